"""Choose how to decode a portal page's bytes.

Charset labels on Vietnamese portals are unreliable: UTF-8 served as
``iso-8859-1``, windows-1258 labelled ``utf-8`` or not labelled at all, and
TCVN3 and VNI pages that only a ``.VnTime`` or ``VNI-Times`` font ever made
readable (often declared in an external stylesheet, so the page itself may
not say).  Bytes that are valid UTF-8 are UTF-8 whatever the label says
(legacy text is almost never valid UTF-8 by accident), and so is a UTF-8
template around runs of legacy text, each run read as it reads best.
Otherwise the label, windows-1258, TCVN3 and VNI are scored on how
Vietnamese their text looks (in a sample of the page, or the whole page if
the sample says nothing), and the best reading wins.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import NamedTuple

from charset_normalizer import from_bytes

from extract.caches import short_strings_cache
from extract.tcvn3 import decode_tcvn3
from extract.vni import decode_vni

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
#: How far into the document a ``<meta charset>`` is looked for.
_META_WINDOW = 16_384

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
#: Combining marks of Vietnamese letters: the five tones, circumflex, breve, horn.
_MARKS = _TONES | frozenset("\u0302\u0306\u031b")
_VOWELS = frozenset("aeiouyAEIOUY")
_WORD = re.compile(r"[^\W\d_]+")
_SYMBOL_IN_WORD = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f\w\s](?=[^\W\d_])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_BYTE = re.compile(rb"[^\x00-\x7f]")
#: How much of a page in a legacy encoding is read to score each reading:
#: hundreds of words, where the scores of right and wrong readings lie far apart.
_SAMPLE_BYTES = 4_096
#: The score a sample's best reading needs to be trusted; below it, the whole page is read.
_SURE_SCORE = 20
#: Valid multi-byte UTF-8 characters needed per invalid byte sequence to read
#: a page as UTF-8 anyway: legacy 8-bit text almost never forms valid ones.
_UTF8_MAJORITY = 8


class Decoded(NamedTuple):
    """A page's text and the encoding it was read with."""

    text: str
    encoding: str


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The codec the HTTP header, or failing that a ``<meta>`` tag, names."""
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(body[:_META_WINDOW])
    labels = (header.group(1) if header else None, meta.group(1).decode("ascii") if meta else None)
    return next((name for name in map(_codec_name, labels) if name), None)


@short_strings_cache(maxsize=1 << 14, longest=64)
def _is_vietnamese_word(word: str) -> bool | None:
    """True for a plausible Vietnamese syllable, False for an impossible one.

    ``None`` for plain ASCII words, which say nothing either way.  Remembered:
    a page repeats its syllables, and so do the pages of a portal.
    """
    decomposed = unicodedata.normalize("NFD", word)
    tones = 0
    base = ""
    marked = False
    for char in decomposed:
        if char in _MARKS:
            if base not in _VOWELS:
                return False
            tones += char in _TONES
            marked = True
        elif char in "đĐ":
            marked = True
            base = char
        elif char.isascii():
            base = char
        else:
            return False
    if tones > 1:
        return False
    return True if marked else None


def vietnamese_score(text: str) -> int:
    """Plausible Vietnamese syllables minus impossible ones.

    Windows-1258 read as cp1252, or TCVN3 read as windows-1258, produce
    syllables with two tones, marks on consonants, foreign letters (ð, Þ) and
    symbols inside words; the right reading produces none of these.
    """
    text = unicodedata.normalize("NFC", text)
    score = -text.count("\ufffd") - len(_SYMBOL_IN_WORD.findall(text))
    for word in _WORD.findall(text):
        if not word.isascii():
            verdict = _is_vietnamese_word(word)
            if verdict is not None:
                score += 1 if verdict else -1
    return score


def _words_sample(body: bytes) -> bytes:
    """About :data:`_SAMPLE_BYTES` of ``body`` from its first non-ASCII byte,
    ending between words: where a reading's words are, without scoring (and
    decoding) a whole page for each reading."""
    start = _NON_ASCII_BYTE.search(body).start()  # type: ignore[union-attr]
    if len(body) - start <= _SAMPLE_BYTES:
        return body[start:]
    end = body.rfind(b" ", start, start + _SAMPLE_BYTES)
    return body[start : end if end > start else start + _SAMPLE_BYTES]


def _best_reading(data: bytes, encodings: list[str]) -> tuple[str, int]:
    """The encoding whose reading of ``data`` looks most Vietnamese, and its score."""
    scores = [vietnamese_score(_read(data, encoding)) for encoding in encodings]
    best = max(range(len(encodings)), key=scores.__getitem__)
    return encodings[best], scores[best]


def _read(body: bytes, encoding: str) -> str:
    if encoding == "tcvn3":
        return decode_tcvn3(body)
    if encoding == "vni":
        return decode_vni(body)
    return body.decode(encoding, errors="replace")


def _stray_byte(error: UnicodeError) -> tuple[str, int]:
    """A byte that is no UTF-8 in UTF-8 text, as windows-1258 reads it (a
    pasted “quote” or – dash, which replacement characters lost); a
    character cut short stays a replacement character."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    stray = error.object[error.start : error.end]
    return (stray.decode("cp1258", errors="replace") if len(stray) == 1 else "\ufffd"), error.end


codecs.register_error("dna-stray-byte", _stray_byte)


def _mostly_utf8(body: bytes) -> str | None:
    """The body read as UTF-8, stray bytes as windows-1258, if only a few are invalid.

    Real portals carry the odd bad byte (a truncated character, a pasted
    cp1252 quote); one must not send the whole page through a legacy reading.
    """
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(_NON_ASCII.findall(text)) - bad
    return body.decode("utf-8", errors="dna-stray-byte") if good >= _UTF8_MAJORITY * bad else None


#: Where a page's runs of text part: at each tag.
_RUNS = re.compile(rb"(?=<)")
#: Runs of valid UTF-8 beyond ASCII that make a page's template UTF-8.
_UTF8_RUNS = 3


def _mixed(body: bytes, candidates: list[str]) -> Decoded | None:
    """A UTF-8 page holding runs of text in a legacy encoding, each run read
    in the encoding that makes it most Vietnamese; ``None`` for a page of one.

    A portal whose template moved to UTF-8 serves old articles from its old
    database: read whole as windows-1258, its title and category were stored
    garbled; read whole as UTF-8, its body.  Legacy text is almost never
    valid UTF-8, so the runs that are show the template's encoding.
    """
    runs: list[str | bytes] = []  # read, or left to read (not UTF-8)
    valid = 0
    for run in _RUNS.split(body):
        try:
            runs.append(run.decode("utf-8"))
            valid += not run.isascii()
        except UnicodeDecodeError:
            runs.append(run)
    invalid = [run for run in runs if isinstance(run, bytes)]
    if valid < _UTF8_RUNS or not invalid:
        return None
    legacy, _ = _best_reading(b" ".join(invalid), candidates)
    parts = []
    read_as_legacy = False
    for run in runs:
        if isinstance(run, str):
            parts.append(run)
            continue
        as_utf8, as_legacy = run.decode("utf-8", errors="dna-stray-byte"), _read(run, legacy)
        better = vietnamese_score(as_legacy) > vietnamese_score(as_utf8)
        parts.append(as_legacy if better else as_utf8)
        read_as_legacy |= better
    return Decoded("".join(parts), f"utf-8+{legacy}" if read_as_legacy else "utf-8")


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode an HTML body, trusting the bytes over the labels.

    :param body: the entity body, already content-decoded (no gzip).
    :param content_type: the HTTP ``Content-Type`` header, if any.

    >>> decode_html("Việt".encode("utf-8"), "text/html; charset=iso-8859-1")
    Decoded(text='Việt', encoding='utf-8')
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return Decoded(body.decode(encoding, errors="replace"), encoding)
    if body.isascii():
        return Decoded(body.decode("ascii"), "ascii")
    try:
        return Decoded(body.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    label = declared_charset(body, content_type)
    candidates = [label] if label and label != "utf-8" else []
    candidates = list(dict.fromkeys([*candidates, "cp1258", "tcvn3", "vni"]))
    mixed = _mixed(body, candidates)
    if mixed is not None:
        return mixed
    mostly = _mostly_utf8(body)
    if mostly is not None:
        return Decoded(mostly, "utf-8")
    sample = _words_sample(body)
    best, score = _best_reading(sample, candidates)
    if score < _SURE_SCORE and len(sample) < len(body):
        best, score = _best_reading(body, candidates)
    if score > 0:
        return Decoded(_read(body, best), best)
    if label:
        return Decoded(_read(body, label), label)
    guess = from_bytes(body).best()
    if guess is None:
        return Decoded(body.decode("utf-8", errors="replace"), "utf-8")
    return Decoded(str(guess), guess.encoding)

"""Snippets: the passage of a hit's text around the matched syllables.

The body is not stored in the index (it would double its size); snippets are
cut from the article as the archive holds it, matching its text against the
canonical syllables the query searched for.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from whoosh.highlight import ContextFragmenter, Formatter, Fragment, highlight

from archive.archived import ArchivedArticle
from search.analysis import text_analyzer
from search.vietnamese import fold, is_folded

#: Characters of text shown around the hits, in total.
WIDTH = 240

_ANALYZER = text_analyzer()


@dataclass(frozen=True, slots=True)
class Snippet:
    """A passage of text and where the hits are in it.

    :param text: one line of text, with "…" where passages were cut.
    :param spans: ``(start, end)`` character ranges of the hits in ``text``.
    """

    text: str
    spans: tuple[tuple[int, int], ...] = ()


class _SpanFormatter(Formatter):
    """Joins Whoosh's fragments into a :class:`Snippet` instead of markup."""

    def format(self, fragments: list[Fragment], replace: bool = False) -> Snippet:
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        length = 0

        def add(text: str, hit: bool = False) -> None:
            nonlocal length
            if hit:
                spans.append((length, length + len(text)))
            parts.append(text)
            length += len(text)

        for number, fragment in enumerate(fragments):
            text = fragment.text
            if number:
                add(" … ")
            elif fragment.startchar > 0:
                add("… ")
            index = fragment.startchar
            for token in sorted(fragment.matches, key=lambda t: (t.startchar, -t.endchar)):
                if token.startchar >= index:
                    add(text[index : token.startchar])
                    add(text[token.startchar : token.endchar], hit=True)
                    index = token.endchar
            add(text[index : fragment.endchar])
            rest = text[fragment.endchar :]
            if number == len(fragments) - 1:
                add(" …" if _has_words(rest) else rest)
        return Snippet("".join(parts), tuple(spans))


def _has_words(text: str) -> bool:
    return any(char.isalnum() for char in text)


def typed_first(query: str, terms: frozenset[str]) -> frozenset[str]:
    """Of ``terms``, the spellings ``query`` asked for: a syllable typed with
    its marks as typed, one typed bare in every spelling.  A snippet shows
    those first: "hoà" highlighted "hóa" in "văn hóa" before "hòa quyện"."""
    typed = [token.text for token in _ANALYZER(query)]
    bare = {word for word in typed if is_folded(word)}
    return frozenset(term for term in terms if term in typed or fold(term) in bare)


def snippet(
    article: ArchivedArticle, terms: Iterable[str], width: int = WIDTH, first: Iterable[str] = ()
) -> Snippet:
    """The best passage of ``article`` for ``terms`` (canonical syllables),
    or for ``first`` of them if it shows any (see :func:`typed_first`).

    The body's, the lead's, the captions' or the title's, whichever shows
    the most of the words searched (the body first among equals): "Thanh
    Thủy" showed a body passage of "Thanh Chương" alone, the lead holding
    both.  Without any hit, the start of the lead or body.
    """
    wanted, preferred = frozenset(terms), frozenset(first)
    if preferred and preferred != wanted and (found := _passage(article, preferred, width)):
        return found
    found = _passage(article, wanted, width)
    if found is not None:
        return found
    opening = " ".join((article.summary or article.body or "").split())
    return Snippet(textwrap.shorten(opening, width, placeholder=" …"))


def _passage(article: ArchivedArticle, wanted: frozenset[str], width: int) -> Snippet | None:
    """The passage showing the most of ``wanted``, if any shows one."""
    sources = (article.body, article.summary, "\n".join(article.captions), article.title)
    fragmenter = ContextFragmenter(maxchars=width // 2, surround=width // 4)
    best, shown = None, 0
    for source in sources:
        if not source:
            continue
        text = " ".join(unicodedata.normalize("NFC", source).split())
        found = highlight(text, wanted, _ANALYZER, fragmenter, _SpanFormatter(), top=2)
        words = len({found.text[start:end].casefold() for start, end in found.spans})
        if words > shown:
            best, shown = found, words
    return best

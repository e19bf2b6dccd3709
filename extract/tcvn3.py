"""TCVN3 (ABC), the font encoding of the oldest Vietnamese pages.

TCVN3 text is single-byte: the bytes are Latin-1 as far as HTTP and HTML
know, and only a ``.VnTime``-style font drew them as Vietnamese.  Decoding is
a byte-for-byte table lookup (bytes 0x80–0x9F are Windows' punctuation).
Capitals set in the ``.VnTimeH`` fonts reuse the lowercase codes, so they
come out lowercase: the bytes do not say otherwise.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from extract.text import windows_punctuation

_TABLE_FILE = Path(__file__).with_name("tcvn3.txt")


@cache
def _table() -> dict[int, str]:
    table = dict(windows_punctuation())
    for line in _TABLE_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            byte, codepoint, _ = line.split("\t")
            table[int(byte, 16)] = chr(int(codepoint[2:], 16))
    return table


def decode_tcvn3(body: bytes) -> str:
    """Decode TCVN3 bytes to Unicode (NFC: TCVN3 letters are precomposed)."""
    return body.decode("latin-1").translate(_table())

"""How pages are turned into bytes, including the wrong ways real portals do it.

Most pages are UTF-8 and say so.  Older portals use windows-1258, which writes tone
marks as separate combining characters, and some pages lie about their charset or
name none at all.  A :class:`Charset` says how the bytes are made and what the HTTP
header and the page's own ``<meta>`` claim.
"""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass

#: The five Vietnamese tone marks; windows-1258 has them as combining characters.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


@dataclass(frozen=True)
class Charset:
    """How a page's text becomes bytes, and what the response claims about it.

    :param codec: the codec that makes the bytes (``utf-8`` or ``cp1258``).
    :param header: the ``charset=`` of the Content-Type header; None sends none.
    :param meta: the charset the page's ``<meta>`` declares; None declares none.
    """

    codec: str
    header: str | None
    meta: str | None

    def encode(self, text: str) -> bytes:
        if self.codec == "cp1258":
            text = text.translate(_CP1258_SPLIT)
        return text.encode(self.codec)


UTF8 = Charset("utf-8", "utf-8", "utf-8")
WINDOWS_1258 = Charset("cp1258", "windows-1258", "windows-1258")

#: Article quirks that change the charset of that one page.
QUIRK_CHARSETS = {
    # UTF-8 bytes behind a server default header; the page declares nothing itself.
    "utf8-as-latin1": Charset("utf-8", "iso-8859-1", None),
    # An old windows-1258 page pasted into a template that claims UTF-8.
    "cp1258-as-utf8": Charset("cp1258", "utf-8", "utf-8"),
    # UTF-8 with no charset in the header or the page.
    "no-charset": Charset("utf-8", None, None),
}


def _split_table() -> dict[int, str]:
    """Vietnamese letters windows-1258 lacks, mapped to base letter + combining tone.

    Python's cp1258 codec has "ê" and U+0301 but no "ế"; windows-1258 text spells
    such letters with a combining tone mark.
    """
    table = {}
    for code in (*range(0x00C0, 0x01B1), *range(0x1EA0, 0x1EFA)):
        parts = unicodedata.normalize("NFD", chr(code))
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
        split = base + "".join(c for c in parts if c in _TONE_MARKS)
        try:
            chr(code).encode("cp1258")
        except UnicodeEncodeError:
            with contextlib.suppress(UnicodeEncodeError):
                split.encode("cp1258")
                table[code] = split
    return table


_CP1258_SPLIT = _split_table()

"""String clean-up shared by every extracted field."""

from __future__ import annotations

import re
import unicodedata

#: Characters editors paste in that render as nothing.
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\xad"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
_HAS_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")


def clean(text: str) -> str:
    """NFC, invisible characters dropped, whitespace (NBSP too) collapsed.

    NFC again here because entities (``a&#769;``) are resolved after the
    page text was normalised.
    """
    text = unicodedata.normalize("NFC", text)
    if _HAS_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    # str.split() and re's \s agree on what is whitespace (NBSP included).
    return " ".join(text.split())

"""String clean-up shared by every extracted field."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
#: Characters editors paste in that render as nothing.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\xad"), None)


def clean(text: str) -> str:
    """NFC, invisible characters dropped, whitespace (NBSP too) collapsed.

    NFC again here because entities (``a&#769;``) are resolved after the
    page text was normalised.
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_INVISIBLE)).strip()

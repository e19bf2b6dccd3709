"""Text for people: short messages built from errors, and archived text made safe to print.

Archived pages and WARC files come from strangers.  Whatever of theirs is
printed (a title, a URL, a bad header in a problem message) must not carry
control characters: ``ESC`` sequences retitle, clear or rewrite a terminal,
and a stray carriage return hides what came before it.  Nor bidirectional
overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make a terminal
show text in another order than it is ("Trojan Source"), and Vietnamese
text has no use for them.

Kept apart from the database code so that callers who only word a message
(the Redis frontier, the CLI) need not load SQLAlchemy to do it; this module
imports nothing but the standard library.
"""

from __future__ import annotations

import re

#: C0 controls but tab and newline, DEL, the C1 controls (U+0080–U+009F),
#: and the bidirectional overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: The same, with tab and newline too: for text that must stay on one line.
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab replaced by ``U+FFFD``.

    >>> printable("Tin t\\x1b[2Jức\\tmới\\n")
    'Tin t\\ufffd[2Jức\\tmới\\n'
    """
    return _CONTROL.sub("\ufffd", text)


def one_line(error: object) -> str:
    """A message on one line, safe for a terminal: drivers' messages span several.

    >>> one_line("could not connect\\n  to server\\x1b]0;owned\\x07")
    'could not connect to server\\ufffd]0;owned\\ufffd'
    """
    return " ".join(_CONTROL_OR_BREAK.sub(_blank_or_mark, str(error)).split())


def _blank_or_mark(match: re.Match[str]) -> str:
    return " " if match.group() in "\t\n\r\x0b\x0c" else "\ufffd"

"""Archived text never carries control characters into a message or a terminal."""

from __future__ import annotations

import doctest

import archive.messages
from archive.messages import one_line, printable

HOSTILE = "Tin \x1b]0;owned\x07tức\x1b[2J\r\nmới\tđây\x9b31m\x00 \u202egnirts\u202c \u2067x\u2069"
#: Bidirectional overrides and isolates: a terminal shows text in another order.
BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def test_printable_keeps_newlines_and_tabs_and_nothing_else() -> None:
    shown = printable(HOSTILE)
    assert "\n" in shown and "\t" in shown
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not BIDI & set(shown)
    assert "tức" in shown and "mới" in shown


def test_one_line_has_no_break_and_no_control() -> None:
    shown = one_line(HOSTILE)
    assert shown == shown.strip() and "\n" not in shown and "\t" not in shown
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not BIDI & set(shown)
    assert one_line("could not\n   connect") == "could not connect"


def test_examples_in_docstrings_hold() -> None:
    assert doctest.testmod(archive.messages).failed == 0

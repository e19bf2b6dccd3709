"""How ``dna`` commands show things, at any width.

On a terminal: rich tables sized to the screen.  Columns that say *which*
thing a row is (ids, site names, URLs) are never cut: when the screen is
too narrow, optional columns go first, and then each row is stacked as
"header: value" lines.  In a pipe or a file: plain lines, never wrapped,
one row per line, so ``grep`` and ``cut`` see whole values.

Times are shown in Vietnam time (UTC+7), the portals' own, and every
header or line that shows one says so (:data:`TIME_ZONE_LABEL`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from archive.messages import printable
from archive.records import VIETNAM_TZ
from crawler.sites import SitesFile
from dna.context import console, err_console

#: How every time ``dna`` prints is labelled.
TIME_ZONE_LABEL = "UTC+7"

#: A column's part in a table: ``key`` names the row (an id, a site, a URL)
#: and is never cut; ``number`` is right-aligned; ``text`` wraps; ``extra``
#: is left out first when the screen is narrow.
Kind = Literal["key", "number", "text", "extra"]

#: Table cells: plain text, or rich Text for colour (plain in a pipe).
Cell = str | Text

#: The narrowest a wrapping column is squeezed to before rows are stacked.
_MIN_TEXT_WIDTH = 12
#: The widest a column of plain output is padded to; a longer cell overflows its row.
_PLAIN_PAD_LIMIT = 120


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    kind: Kind = "text"


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d") -> str:
    """``moment`` in Vietnam time, as people there read dates (see :data:`TIME_ZONE_LABEL`)."""
    return moment.astimezone(VIETNAM_TZ).strftime(pattern) if moment else ""


def is_terminal() -> bool:
    """Whether stdout is a person's terminal (rich tables) or a pipe (plain lines)."""
    return console.is_terminal


def print_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> None:
    """Rows under ``title``: sized to the terminal, or plain lines in a pipe.

    Every cell is made printable (controls neutralised) whatever it holds.
    """
    if not rows:
        console.print(f"{escape(title)}: none")
        return
    if not is_terminal():
        _print_plain(title, columns, [[_safe(cell) for cell in row] for row in rows])
        return
    console.print(fitted_table(title, columns, rows))


def fitted_table(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]]
) -> RenderableType:
    """A table for a terminal as wide as :data:`console`, keeping every ``key`` whole.

    Drops ``extra`` columns, last first, until the keys fit; if they still do
    not, stacks each row as "header: value" lines.
    """
    cells = [[_safe(cell) for cell in row] for row in rows]
    shown = list(range(len(columns)))
    while _needed_width(columns, cells, shown) > console.width:
        extras = [at for at in shown if columns[at].kind == "extra"]
        if not extras:
            return _stacked(title, columns, cells)
        shown.remove(extras[-1])
    table = Table(title=title, title_justify="left", show_header=any(c.header for c in columns))
    for at in shown:
        column = columns[at]
        table.add_column(
            column.header,
            justify="right" if column.kind == "number" else "left",
            no_wrap=column.kind in ("key", "number"),
            overflow="fold",
            min_width=_min_width(column, cells, at),
            ratio=1 if column.kind in ("text", "extra") else None,
        )
    for row in cells:
        table.add_row(*(row[at] for at in shown))
    return table


def _safe(cell: Cell) -> Text:
    if isinstance(cell, Text):
        cell.plain = printable(cell.plain)
        return cell
    return Text(printable(cell))


def _min_width(column: Column, rows: list[list[Text]], at: int) -> int:
    widest = max((_widest_line(row[at]) for row in rows), default=0)
    widest = max(widest, len(column.header))
    return widest if column.kind in ("key", "number") else min(widest, _MIN_TEXT_WIDTH)


def _widest_line(cell: Text) -> int:
    return max((line.cell_len for line in cell.split("\n")), default=0)


def _needed_width(columns: Sequence[Column], rows: list[list[Text]], shown: list[int]) -> int:
    # Each column has one space of padding either side and one rule.
    return sum(_min_width(columns[at], rows, at) + 3 for at in shown) + 1


def _stacked(title: str, columns: Sequence[Column], rows: list[list[Text]]) -> RenderableType:
    """Each row as lines of "header  value": for screens too narrow for the table.

    Values are never cut: a long one folds onto the next line.
    """
    width = max(len(column.header) for column in columns)
    lines: list[RenderableType] = [Text(title, style="italic")]
    for row in rows:
        lines.append(Text())
        for column, cell in zip(columns, row, strict=True):
            if cell.plain:
                line = Text(f"{column.header:>{width}}  ", style="dim") + cell
                line.overflow = "fold"
                lines.append(line)
    return Group(*lines)


def _print_plain(title: str, columns: Sequence[Column], rows: list[list[Text]]) -> None:
    """Aligned columns, one row per line, never wrapped nor cut.

    A column is padded to :data:`_PLAIN_PAD_LIMIT` at most: a stranger's URL of
    9,000 characters overflows its own row, not every row of the table.
    """
    headers = [column.header for column in columns]
    plain = [[" ".join(cell.plain.split("\n")) for cell in row] for row in rows]
    widths = [
        min(max(len(cell) for cell in column), _PLAIN_PAD_LIMIT)
        for column in zip(headers, *plain, strict=True)
    ]
    out = sys.stdout
    out.write(f"{title}\n")
    for row in ([headers] if any(headers) else []) + plain:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip() + "\n")
    out.write("\n")


@contextmanager
def paged() -> Iterator[None]:
    """Page what is printed inside through ``$PAGER`` when it is longer than the screen.

    Only on a terminal; in a pipe the text goes straight through.
    """
    if not is_terminal():
        yield
        return
    with console.capture() as captured:
        yield
    text = captured.get()
    if text.count("\n") < console.height:
        console.file.write(text)
        return
    with console.pager(styles=True):
        console.print(Text.from_ansi(text), end="")


def print_line(markup: str) -> None:
    """One line of rich markup on stdout: wrapped at words on a terminal, whole in a pipe."""
    console.print(markup, soft_wrap=not is_terminal())


def report_problems(registry: SitesFile) -> None:
    """The entries of sites.toml left out as invalid, each with its line."""
    for problem in registry.problems:
        err_console.print(f"[yellow]Skipped:[/] {escape(printable(str(problem)))}", soft_wrap=True)

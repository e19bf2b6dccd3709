"""How ``dna`` commands show things: tables on a terminal, plain columns in a pipe."""

from __future__ import annotations

import sys
from datetime import datetime

from rich.markup import escape
from rich.table import Table

from archive.records import VIETNAM_TZ
from crawler.sites import SitesFile
from dna.context import console, err_console


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d") -> str:
    """``moment`` in Vietnam time, as people there read dates."""
    return moment.astimezone(VIETNAM_TZ).strftime(pattern) if moment else ""


def is_terminal() -> bool:
    """Whether stdout is a person's terminal (rich tables) or a pipe (plain text)."""
    return sys.stdout.isatty()


def print_rows(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """A rich table on a terminal; aligned plain columns in a pipe."""
    if is_terminal():
        table = Table(title=title, title_justify="left", show_header=any(headers))
        for at, header in enumerate(headers):
            numeric = all(row[at].isdigit() or not row[at] for row in rows)
            table.add_column(header, justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*map(escape, row))
        console.print(table)
        return
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    out = sys.stdout
    out.write(f"{title}\n")
    for row in ([headers] if any(headers) else []) + rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip() + "\n")
    out.write("\n")


def report_problems(registry: SitesFile) -> None:
    """The entries of sites.toml left out as invalid, each with its line."""
    for problem in registry.problems:
        err_console.print(f"[yellow]Skipped:[/] {problem}", soft_wrap=True)

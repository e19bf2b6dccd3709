"""One URL shape's tally in a crawl: what the trap guard counts, and what it cut off.

:class:`crawler.shapes.ShapeWatch` keeps one per shape and decides by them;
each says, in the crawl summary's words, what it left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from extract.urls import OLDEST_PLAUSIBLE_YEAR


@dataclass(slots=True)
class ShapeTally:
    """The pages of one URL shape fetched, judged and dropped in one crawl."""

    pages: int = 0
    productive: int = 0
    #: unproductive pages in a row.
    streak: int = 0
    queued: int = 0
    #: links dropped because the shape was stopped, ran into implausible dates or a full queue.
    dropped: int = 0
    #: why the shape is stopped, if it is.
    stopped: str | None = None
    #: a date no news can carry (see implausible_date), seen in one of its unproductive pages.
    late_date: str | None = None
    queue_capped: int = 0
    #: dead ends: pages with no links at all, or copies of the page that linked them.
    dead_ends: int = 0
    #: of those, copies of the page that linked them showing no link at all: print views.
    print_views: int = 0
    #: pages that led only to more of this shape; and of them, the last in a row.
    walks: int = 0
    walk_streak: int = 0
    #: pages that led to nothing not met before (a search refined once too often).
    barren: int = 0
    #: links not followed, dated past today, before the web or on no day; and one's date.
    misdated: int = 0
    misdated_example: str = ""
    #: one of its pages showed what the page it came from did not: it lists things.
    showed_more: bool = False
    #: its pages sent and not yet come back.
    fetching: int = 0
    #: the first of its pages judged, to find it again once the site's spelling changes.
    example: str = ""

    def cut_off(self, key: str, max_queued: int) -> list[str]:
        """What this shape (``key``) left out, one line each; none if nothing.

        :param max_queued: the crawl's cap on requests of one shape waiting.
        """
        lines = []
        if self.stopped:
            dropped = f" ({links_counted(self.dropped)} dropped)" if self.dropped else ""
            lines.append(f"trap: {key} {self.stopped}{dropped}")
        if self.misdated:
            lines.append(
                f"dates: {key}: {links_counted(self.misdated)} dated past today, before "
                f"{OLDEST_PLAUSIBLE_YEAR} or on no day (e.g. {self.misdated_example}) "
                "not followed"
            )
        if self.queue_capped:
            lines.append(
                f"queue cap: {key} had {max_queued} requests waiting; "
                f"{links_counted(self.queue_capped, 'more ')} dropped"
            )
        return lines


def links_counted(count: int, what: str = "") -> str:
    """``1 link``, ``2 more links``: the cut-off lines' counts, in English."""
    return f"{count} {what}link{'s' if count != 1 else ''}"

"""Pages answered again deeper down: the copies a router or a soft 404 makes.

A server that answers any path below a directory (a router ignoring extra
segments, a soft 404) turns every relative link into a deeper URL of the
same page, without end: ``/gioi-thieu/lich-su/lich-su/…``, or, through a
relative menu on pages of other directories, ``/tin-tuc/gioi-thieu/tin-tuc/…``.
Such a page's links lead nowhere the page higher up did not, or only to more
copies of it, so they are not followed.  Once a relative link of a page led
to a copy of that very page in a directory below it, its other relative
links into directories below it lead to copies too (``co-cau-to-chuc/``
beside ``lich-su/``): they are not followed either.  Never below the site's
root, whose other name (``/index.php``) is no router.  Pages compare by
their links as written, not their bytes: visitor counters and clocks change
the bytes on every visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(slots=True)
class _Copies:
    """Pages that offered a page's links again, as written, deeper down."""

    pages: int = 0
    example: str = ""
    #: its other relative links below it, not followed once one led to a copy of it.
    below: int = 0


class DeeperCopies:
    """The shallowest page offering each set of links, and the copies met since."""

    def __init__(self) -> None:
        #: the shallowest page (URL, path segments) offering each set of links as written.
        self.offered: dict[int, tuple[str, tuple[str, ...]]] = {}
        #: copies deeper down of a page, by that page's URL.
        self.copies: dict[str, _Copies] = {}
        #: pages a relative link of which led to a copy of themselves.
        self.routers: set[str] = set()
        #: relative hrefs, as written, that led to a copy; and links refused for it.
        self.written: set[str] = set()
        self.refused = 0
        self.refused_example = ""

    def higher_up(self, url: str, links_written: int, parent: str | None = None) -> str | None:
        """The page with fewer path segments that offered the same links as
        written, if one did: ``url`` is then a copy of it, counted.  If
        ``parent``, the page that linked ``url``, is that page, and ``url``
        lies in a directory below it, its server answers it there whatever
        the path (see :meth:`below_a_router`)."""
        segments = tuple(part for part in urlsplit(url).path.split("/") if part)
        above = self.offered.get(links_written)
        if above is None or len(segments) < len(above[1]):
            self.offered[links_written] = (url, segments)
            return None
        above_url, above_segments = above
        if len(segments) == len(above_segments):
            return None
        copies = self.copies.setdefault(above_url, _Copies(example=url))
        copies.pages += 1
        if parent == above_url and _in_a_directory_below(url, above_url):
            self.routers.add(above_url)
        return above_url

    def led_to_copy(self, written: str) -> None:
        """A relative href, as written, led to a copy: written so on a page of
        any other directory, it leads to another (a menu's ``lien-he`` under
        each article's directory, on a server answering a soft 404)."""
        self.written.add(written)

    def refuses(self, written: str) -> bool:
        """Whether a link written ``written`` is not followed; counted if not."""
        if written not in self.written:
            return False
        self.refused += 1
        self.refused_example = self.refused_example or written
        return True

    def below_a_router(self, url: str, parent: str | None) -> bool:
        """Whether ``url``, a relative link of ``parent``, goes below a page
        one of whose relative links below it led to a copy of it; counted if so."""
        if parent not in self.routers or not _in_a_directory_below(url, parent):
            return False
        self.copies[parent].below += 1
        return True

    def first_copy(self, url: str) -> bool:
        """Whether one copy of ``url`` has been met, the first just now."""
        return self.copies[url].pages == 1

    def cut_off(self) -> list[str]:
        """One line per page copied, e.g. ``trap: /gioi-thieu/ answered again
        deeper on 2 pages (e.g. /gioi-thieu/lich-su/); their links not followed``."""
        lines = []
        if self.refused:
            lines.append(
                f"copies: {self.refused} relative link{'s' if self.refused != 1 else ''} "
                f"written as one that led to a copy (e.g. {self.refused_example!r}) not followed"
            )
        for url, copies in self.copies.items():
            pages = f"{copies.pages} page{'s' if copies.pages != 1 else ''}"
            below = (
                f"; {copies.below} more of its links below it not followed" if copies.below else ""
            )
            lines.append(
                f"trap: {urlsplit(url).path} answered again deeper on {pages} "
                f"(e.g. {urlsplit(copies.example).path}); their links not followed{below}"
            )
        return lines


def _in_a_directory_below(url: str, above: str) -> bool:
    """Whether ``url`` lies in a directory below ``above``'s own, which is not
    the site's root: ``/gioi-thieu/lich-su/`` below ``/gioi-thieu/``, not
    ``/index.php`` beside ``/`` (a home page's other name, whose links
    below the root are the whole site)."""
    path, directory = urlsplit(url).path, urlsplit(above).path
    if directory == "/" or not directory.endswith("/") or not path.startswith(directory):
        return False
    return "/" in path[len(directory) :]

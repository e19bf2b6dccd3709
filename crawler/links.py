"""Where a page's links lead: each ``href`` resolved, canonical, and kept to the site.

The spider reads every link of every page through here, so answers shared
between pages are cached: menus repeat on every page of a portal.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from parsel import Selector
from scrapy.http import TextResponse

from crawler.settings import URLLENGTH_LIMIT
from extract.caches import short_strings_cache
from extract.urls import (
    CACHED_URL_LENGTH,
    absolute,
    is_print_view,
    shared_base,
    with_page_one,
    within_site,
)

#: A link text this many URLs of one page share is a label, not an item's name.
LABEL_URLS = 3


def allowed(url: str, domains: list[str] | tuple[str, ...]) -> bool:
    """Whether ``url`` is HTTP(S) on one of the site's ``domains``, and short
    enough to be requested: Scrapy drops a longer request after the trap
    guard counted it as waiting in its shape's queue, where it never left."""
    return (
        len(url) <= URLLENGTH_LIMIT
        and url.startswith(("http://", "https://"))
        and within_site(url, domains)
    )


def page_selector(response: TextResponse) -> Selector:
    """``response.selector``, which reads the ``<base href>`` too, and raises
    on one no parser reads (``http://[::1/``): then one of the page's text
    alone (:attr:`extract.page.Page.base_url` reads the base for links)."""
    try:
        return response.selector
    except ValueError:
        return Selector(text=response.text, type="html", base_url=response.url)


def link_at(base: str, href: str, domains: tuple[str, ...]) -> str | None:
    """The canonical URL an ``href`` on a page at ``base`` leads to, if worth
    following; answered once for every page of the host (:func:`shared_base`)."""
    href = href.strip()
    return _resolve(shared_base(base, href), href, domains)


def pager_link_at(base: str, href: str, domains: tuple[str, ...]) -> str | None:
    """:func:`link_at` for a pager's link: its ``?page=1`` kept, the second
    page of a pager counting from zero (see :func:`extract.urls.with_page_one`)."""
    url = link_at(base, href, domains)
    return with_page_one(href.strip(), url) if url else None


@short_strings_cache(maxsize=32768, longest=CACHED_URL_LENGTH)
def _resolve(base: str, href: str, domains: tuple[str, ...]) -> str | None:
    if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
        return None
    url = absolute(base, href)
    if url is None or not allowed(url, domains) or is_print_view(url):
        return None
    return url


class FollowedLinks(NamedTuple):
    """What :func:`followed_links` read of a page's links."""

    #: the URLs the hrefs lead to, in page order.
    urls: list[str]
    #: how many hrefs were read.
    read: int
    #: the URLs reached by an href relative to the page's directory
    #: (``lien-he``, ``gioi-thieu/``, ``./``, not ``?page=2``), each with its
    #: href as written: the same href on a page of another directory is
    #: another URL, and the trap guard learns which of them only copy a page.
    written: dict[str, str]


def followed_links(
    hrefs: Sequence[str], base: str, domains: tuple[str, ...], most: int
) -> FollowedLinks:
    """The URLs a page's ``hrefs`` lead to (:func:`link_at`), and how many hrefs were read.

    Reading stops at the href that would add the ``most + 1``-th distinct
    URL.  A portal's pages have hundreds of links; a hostile page of
    hundreds of thousands (15 MB of them) cost half a minute of CPU and
    half a gigabyte, most of it for links the queue cap then dropped.
    """
    links: list[str] = []
    distinct: set[str] = set()
    written: dict[str, str] = {}
    for read, href in enumerate(hrefs):
        url = link_at(base, href, domains)
        if url is None:
            continue
        if url not in distinct:
            if len(distinct) == most:
                return FollowedLinks(links, read, written)
            distinct.add(url)
        as_written = href.strip()
        if url not in written and is_relative(as_written) and not as_written.startswith("?"):
            written[url] = as_written
        links.append(url)
    return FollowedLinks(links, len(hrefs), written)


def is_relative(href: str) -> bool:
    """Whether ``href`` resolves against the page's own path (``lich-su/``, ``?page=2``)."""
    return not href.strip().startswith(
        ("/", "http://", "https://", "#", "mailto:", "javascript:", "tel:", "data:")
    )


def listed_items(
    root: Any,
    base: str,
    domains: tuple[str, ...],
    spelled: Callable[[str], str],
    leave_out: set[str],
    most: int,
) -> frozenset[str]:
    """What a listing page shows, told apart from its other pages by what a reader sees.

    An item is a URL (as ``spelled``), named by the longest text of its
    links: an article's title, whatever "Xem tiếp" or image links to it too.
    It stands for itself by that name, unless the page has no name for it or
    gives the same name to LABEL_URLS URLs or more ("Xem chi tiết" alone
    under each teaser): then by its URL.  Past its end a pager may show its
    last page again with each link spelt anew (a token of the visit, not yet
    learnt as one): by URL every item is new, by title none is.

    :param leave_out: URLs that are no item: the pager's own.
    :param most: read the page's first ``most`` links at most (see :func:`followed_links`).
    """
    names: dict[str, str] = {}
    for anchor in itertools.islice(root.iter("a"), most):
        href = anchor.get("href")
        url = link_at(base, href, domains) if href else None
        if url and (url := spelled(url)) not in leave_out:
            text = " ".join("".join(anchor.itertext()).split())
            if len(text) >= len(names.get(url, "")):
                names[url] = text
    shared = Counter(names.values())
    return frozenset(
        name if name and shared[name] < LABEL_URLS else url for url, name in names.items()
    )

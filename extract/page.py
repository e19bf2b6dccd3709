"""One fetched page, as extraction sees it.

Built from a live Scrapy response or from a WARC record alike, so extraction
never needs Scrapy.  Decoding and parsing happen once, on first use.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node

from extract.charset import Decoded, decode_html
from extract.families import Family, detect_family, get_family
from extract.urls import canonical_or_none, joined


@dataclass
class Page:
    """A fetched HTML page.

    :param url: the URL fetched.
    :param status: HTTP status code.
    :param headers: response headers; keys are lowercased on construction so
        lookups such as ``page.headers.get("last-modified")`` work.
    :param body: the entity body, already content-decoded (no gzip).
    :param fetched_at: UTC-aware time of the fetch.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    fetched_at: datetime

    def __post_init__(self) -> None:
        self.headers = {name.lower(): value for name, value in self.headers.items()}

    @cached_property
    def _decoded(self) -> Decoded:
        return decode_html(self.body, self.headers.get("content-type"))

    @property
    def encoding(self) -> str:
        """The encoding the body was read with (``utf-8``, ``cp1258``, ``tcvn3`` …)."""
        return self._decoded.encoding

    @cached_property
    def text(self) -> str:
        """The decoded body in NFC: windows-1258 and pasted Mac text arrive decomposed."""
        return unicodedata.normalize("NFC", self._decoded.text)

    @cached_property
    def selector(self) -> Selector:
        """The parsed document, plain ``lxml.etree`` elements: parsel's default
        (``lxml.html``) calls a Python class lookup for every element a
        walk meets, a tenth of extraction's CPU, for methods never used."""
        root = create_root_node(self.text, etree.HTMLParser, base_url=self.url)
        return Selector(root=root, type="html")

    @cached_property
    def base_url(self) -> str:
        """What the page's relative URLs resolve against: its ``<base href>``
        where that reads as a web address, else the page's own URL (as a
        browser takes ``<base href="http://[::1/">``)."""
        hrefs = self.selector.root.xpath("//base/@href")
        base = joined(self.url, str(hrefs[0])) if hrefs else None
        if base and base.startswith(("http://", "https://")) and canonical_or_none(base):
            return base
        return self.url


def fetched_page(
    url: str,
    status: int,
    headers: Iterable[tuple[str | bytes, str | bytes]],
    body: bytes,
    fetched_at: datetime,
) -> Page:
    """The :class:`Page` of one fetched response, however it was fetched.

    The live crawl and restore from WARC both come through here, so a page
    decodes the same in both.  ``headers`` are the response's header lines in
    order; of a repeated header the last line counts, as Scrapy and the Fetch
    standard read ``Content-Type``.
    """
    lines: dict[str, str] = {}
    for name, value in headers:
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        lines[name.lower()] = value
    return Page(url, status, lines, body, fetched_at)


def page_family(page: Page, family: Family | None) -> Family:
    """``family``, or the one detected from ``page`` when the site's is not known yet.

    The first page parsed decides a site's family, in a crawl and in a restore.
    """
    return family if family is not None else get_family(detect_family(page.selector, page.url))

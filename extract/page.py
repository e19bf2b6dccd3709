"""One fetched page, as extraction sees it.

Built from a live Scrapy response or from a WARC record alike, so extraction
never needs Scrapy.  Decoding and parsing happen once, on first use.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from parsel import Selector

from extract.charset import Decoded, decode_html


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
        """The parsed document."""
        return Selector(text=self.text, base_url=self.url)

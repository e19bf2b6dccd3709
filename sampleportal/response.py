"""What a sample portal answers to one request, before HTTP framing.

Sites and fault endpoints describe a response as a :class:`Page`; the request handler
turns it into bytes on the wire (compression, chunking, validators, latency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .charsets import UTF8, Charset

#: Content types worth compressing when the client accepts gzip.
COMPRESSIBLE = ("text/", "application/rss+xml", "application/xml")


@dataclass
class Page:
    """One response.

    :param body: text (encoded with ``charset``) or bytes (sent as they are).
    :param charset: how text becomes bytes and what the response claims about it.
    :param last_modified: the Last-Modified header, also used for If-Modified-Since.
    :param etag_key: what the ETag is derived from; by default the body bytes.  Pages
        that print the current time use a stable key so revalidation still works.
    :param chunked: send with Transfer-Encoding: chunked instead of Content-Length.
    :param gzip: ``"always"`` compresses even for clients that did not ask.
    :param delay: extra seconds to wait before answering (the slow fault page).
    :param fault: ``"reset"`` drops the connection without a reply; ``"truncate"``
        announces the whole body but sends half of it.
    """

    body: str | bytes
    status: int = 200
    content_type: str = "text/html"
    charset: Charset = UTF8
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None
    etag_key: str | None = None
    chunked: bool = False
    gzip: Literal["accepted", "always", "never"] = "accepted"
    delay: float = 0.0
    fault: Literal["reset", "truncate"] | None = None

    def payload(self) -> bytes:
        """The body as bytes, before any content encoding."""
        return self.body if isinstance(self.body, bytes) else self.charset.encode(self.body)

    def content_type_header(self) -> str:
        if isinstance(self.body, bytes) or self.charset.header is None:
            return self.content_type
        return f"{self.content_type}; charset={self.charset.header}"

    @property
    def compressible(self) -> bool:
        return self.gzip != "never" and self.content_type.startswith(COMPRESSIBLE)


def redirect(location: str, status: int = 302) -> Page:
    """A redirect with the short HTML body IIS and Apache send along."""
    body = (
        "<html><head><title>Object moved</title></head><body>"
        f'<h2>Object moved to <a href="{location}">here</a>.</h2></body></html>'
    )
    return Page(body, status=status, headers={"Location": location})

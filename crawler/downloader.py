"""Scrapy's HTTP/1.1 download handler, mended for what old portals do.

**TLS 1.0 and 1.1.**  Old IIS servers (Windows Server 2008, where many
district portals were set up) offer nothing newer, and the OpenSSL that
``cryptography`` bundles for Twisted has no TLS 1.0 or 1.1 at all: every
request failed in the handshake ("tlsv1 alert protocol version"), and the
crawl of such a portal ended ``failed`` with nothing archived.  Python's own
``ssl`` module is built on the system's OpenSSL, which still has them when
asked (``@SECLEVEL=0``).  So when a host refuses the handshake, the request
is made again over the system's OpenSSL, with every protocol and cipher
allowed, in a thread of Twisted's pool.  A host that answers so is fetched
that way for the rest of the crawl, and the log says so once.  What comes
back is a response like any other: raw bytes, content encoding kept (the
WARC records them as sent), redirects left to the redirect middleware, and
the same page size and time limits.

**A POST on a connection the server had closed.**  Twisted keeps
connections alive for reuse, and resends an idempotent request itself when
the connection it took turned out closed by the server (an idle timeout, or
an HTTP/1.0 server that closes without saying so), but not a POST.  Scrapy's
retries then took the next stale connection, and the next: a listing page
posted back (:mod:`extract.postback`) failed four times with "connection
was closed cleanly", and the rest of its pager was lost (in three fleet
soaks at ten times the articles: 64, 79 and 65 articles, of a portal or
two).  A request that was never answered because its connection was closed
is now sent again, once for each connection the pool may keep per host,
before Scrapy's retries count.

**The first bytes of a file too large.**  A request whose meta sets
:data:`READ_AT_MOST` keeps the first that many bytes of a larger body,
flagged ``download_stopped`` (the WARC record says ``WARC-Truncated:
length``), where any other is refused past the page size limit: a robots.txt
is read so (RFC 9309 section 2.5).
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import ssl
import time
from typing import TYPE_CHECKING

from OpenSSL import SSL
from scrapy import signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    DownloadTimeoutError,
    StopDownload,
)
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.threads import deferToThread
from twisted.web._newclient import ResponseNeverReceived

from crawler.tls import any_tls_context
from extract.text import whole_number

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
#: Request meta: keep this many bytes of a body and stop reading, whatever its size.
READ_AT_MOST = "dna_read_at_most"
#: Request meta: how much of the body has come so far (with :data:`READ_AT_MOST`).
_READ_SO_FAR = "dna_read_so_far"
#: The response flag of a body cut at :data:`READ_AT_MOST` (as Scrapy's StopDownload sets it).
STOPPED = "download_stopped"
#: Methods Twisted resends itself on a connection found closed (RFC 9110 9.2.2).
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


def refused_handshake(error: BaseException) -> bool:
    """Whether a download failed in the TLS handshake (pyOpenSSL's error among its causes)."""
    cause = error.__cause__
    reasons = getattr(cause, "reasons", None) or [cause]
    return any(isinstance(getattr(reason, "value", reason), SSL.Error) for reason in reasons)


def never_answered(error: BaseException) -> bool:
    """Whether a download failed because its connection closed before any answer."""
    cause = error.__cause__
    return isinstance(cause, ResponseNeverReceived) and all(
        reason.check(ConnectionDone, ConnectionLost) for reason in cause.reasons
    )


class PortalDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler: old TLS over the system's OpenSSL, and POSTs
    sent again when the kept-alive connection they took was closed."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        #: host:port answered only over the system's OpenSSL.
        self.legacy: set[str] = set()
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    async def download_request(self, request: Request) -> Response:
        if READ_AT_MOST in request.meta:
            # Bounded by the bytes kept, not refused for its size.
            request.meta["download_maxsize"] = 0
            request.meta[_READ_SO_FAR] = 0
        parts = urlparse_cached(request)
        if parts.scheme == "https" and parts.netloc in self.legacy:
            response, _ = await self._fetch_legacy(request)
            return response
        try:
            return await self._download(request)
        except DownloadFailedError as exc:
            if parts.scheme != "https" or not refused_handshake(exc):
                raise
            try:
                response, spoken = await self._fetch_legacy(request)
            except (OSError, http.client.HTTPException):
                raise exc from None
        self.legacy.add(parts.netloc)
        self._crawler.stats.inc_value("dna/legacy_tls_hosts")
        logger.warning(
            "%s refused a modern TLS handshake; fetched over %s with the system's OpenSSL",
            parts.netloc,
            spoken,
        )
        return response

    async def _download(self, request: Request) -> Response:
        """Scrapy's download, a POST (which Twisted does not resend) sent again
        on another connection when the one it took was closed unanswered."""
        resends = 0 if request.method in _IDEMPOTENT else self._pool.maxPersistentPerHost
        while True:
            try:
                return await super().download_request(request)
            except DownloadFailedError as exc:
                if not resends or not never_answered(exc):
                    raise
                resends -= 1
                self._crawler.stats.inc_value("dna/resent_on_closed_connection")

    def _bytes_received(self, data: bytes, request: Request, spider: object) -> None:
        """Stop a body at :data:`READ_AT_MOST`, keeping what came (Scrapy's StopDownload)."""
        keep = request.meta.get(READ_AT_MOST)
        if keep is None:
            return
        request.meta[_READ_SO_FAR] += len(data)
        if request.meta[_READ_SO_FAR] >= keep:
            raise StopDownload(fail=False)

    async def _fetch_legacy(self, request: Request) -> tuple[Response, str]:
        maxsize = request.meta.get("download_maxsize", self._default_maxsize)
        timeout = request.meta.get("download_timeout", self._timeout)
        started = time.monotonic()
        fetched = await maybe_deferred_to_future(deferToThread(_fetch, request, maxsize, timeout))
        request.meta["download_latency"] = time.monotonic() - started
        return fetched


def _fetch(request: Request, maxsize: int, timeout: float) -> tuple[Response, str]:
    """Fetch ``request`` with :mod:`http.client` (runs in a thread); the response
    and the TLS version spoken.

    The whole download must end within ``timeout`` seconds, and a body past
    ``maxsize`` bytes is refused as Scrapy refuses it.  A body cut short is
    kept, flagged ``dataloss`` (``DOWNLOAD_FAIL_ON_DATALOSS`` is off).
    """
    parts = urlparse_cached(request)
    deadline = time.monotonic() + timeout
    connection = http.client.HTTPSConnection(
        parts.hostname, parts.port or 443, timeout=timeout, context=any_tls_context()
    )
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.putrequest(request.method, target, skip_accept_encoding=True)
        for name, values in request.headers.items():
            for value in values:
                connection.putheader(name.decode("latin-1"), value.decode("latin-1"))
        connection.endheaders(request.body or None)
        tls = connection.sock
        spoken = (tls.version() if isinstance(tls, ssl.SSLSocket) else None) or "TLS"
        peer = ipaddress.ip_address(tls.getpeername()[0]) if tls is not None else None
        answer = connection.getresponse()
        length = answer.getheader("Content-Length") or ""
        declared = whole_number(length.strip(), 30)
        if maxsize and declared is not None and declared > maxsize:
            raise DownloadCancelledError(
                f"Expected to receive {length} bytes which is larger than download "
                f"max size ({maxsize}) in request {request}."
            )
        chunks: list[bytes] = []
        size, flags = 0, []
        keep = request.meta.get(READ_AT_MOST)
        while chunk := _read(answer, flags):
            if keep is not None and size + len(chunk) >= keep:
                chunks.append(chunk)
                flags.append(STOPPED)
                break
            size += len(chunk)
            if maxsize and size > maxsize:
                raise DownloadCancelledError(
                    f"Received {size} bytes which is larger than download "
                    f"max size ({maxsize}) in request {request}."
                )
            if time.monotonic() > deadline:
                raise DownloadTimeoutError(f"Getting {request.url} took longer than {timeout} s.")
            chunks.append(chunk)
            if flags:
                break
        headers = Headers()
        for name, value in answer.getheaders():
            headers.appendlist(name, value)
        body = b"".join(chunks)
        kind = responsetypes.from_args(headers=headers, url=request.url, body=body)
        response = kind(
            url=request.url,
            status=answer.status,
            headers=headers,
            body=body,
            flags=flags,
            request=request,
            ip_address=peer,
            protocol="HTTP/1.0" if answer.version == 10 else "HTTP/1.1",
        )
        return response, spoken
    finally:
        connection.close()


def _read(answer: http.client.HTTPResponse, flags: list[str]) -> bytes:
    """The next chunk of the body; a body cut short ends it, flagged ``dataloss``."""
    try:
        return answer.read1(_CHUNK)
    except http.client.IncompleteRead as cut:
        flags.append("dataloss")
        return cut.partial

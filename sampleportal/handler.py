"""HTTP/1.1 framing of sample-portal pages: the parts of HTTP a crawler must get right.

Keep-alive, Content-Length or chunked bodies, gzip when asked (and once when not),
ETag and Last-Modified validators with 304 answers, HEAD, per-response latency, and
the two faults that need the raw socket: a reset and a truncated body.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import socketserver
import struct
import sys
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from .response import Page
    from .site import Site

#: Size of the pieces of a chunked body.
CHUNK_SIZE = 4096


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (``gzip``, ``x-gzip`` or ``*``, q > 0)."""
    for part in (header or "").split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            quality = params.strip().removeprefix("q=")
            try:
                return not params.strip() or float(quality) > 0
            except ValueError:
                return True
    return False


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


class PortalHTTPServer(ThreadingHTTPServer):
    """A threaded server (one thread per connection) with the hooks faults need.

    :param latency: seconds every response waits before it is sent.
    """

    daemon_threads = True
    site: Site

    def __init__(self, address: tuple[str, int], latency: float = 0.0) -> None:
        super().__init__(address, PortalHandler)
        self.latency = latency
        self.stopping = threading.Event()
        #: Every request path, in order, for tests of what a crawl fetched.
        self.hits: list[str] = []
        self._resets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, slow without DNS; not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds``; True if the server began stopping meanwhile."""
        return seconds > 0 and self.stopping.wait(seconds)

    def reset(self, connection: socket.socket) -> None:
        """Close ``connection`` with a TCP reset instead of an orderly shutdown."""
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._lock:
            self._resets.add(connection)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._lock:
            abortive = request in self._resets
            self._resets.discard(request)
        if abortive:
            self.close_request(request)  # no FIN first: the client sees a reset
        else:
            super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up (timeouts, resets) are part of the job, not errors.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class PortalHandler(BaseHTTPRequestHandler):
    """Answers GET and HEAD from the server's :class:`~.site.Site`."""

    protocol_version = "HTTP/1.1"
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 30
    #: Headers and body go out in separate writes; Nagle would hold the body back
    #: for the client's delayed ACK (40 ms per response on a keep-alive connection).
    disable_nagle_algorithm = True
    server: PortalHTTPServer

    def version_string(self) -> str:
        return self.server.site.family.server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests and demos read stdout; errors surface as HTTP statuses."""

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        self.server.hits.append(self.path)
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        page = self.server.site.resolve(unquote(url.path) or "/", query)
        if self.server.pause(self.server.latency + page.delay):
            self.close_connection = True
            return
        if page.fault == "reset":
            self.server.reset(self.connection)
            self.close_connection = True
            return
        body = page.payload()
        compress = page.gzip == "always" or (
            page.compressible and accepts_gzip(self.headers.get("Accept-Encoding"))
        )
        if compress:
            body = gzip.compress(body, mtime=0)
        headers = {"Content-Type": page.content_type_header(), **page.headers}
        headers["ETag"] = self._etag(page, body, compress)
        if page.compressible or page.gzip == "always":
            headers["Vary"] = "Accept-Encoding"
        if compress:
            headers["Content-Encoding"] = "gzip"
        if page.last_modified:
            headers["Last-Modified"] = _http_date(page.last_modified)
        if page.status == 200 and self._not_modified(headers["ETag"], page.last_modified):
            self.send_response(304)
            for name in ("ETag", "Last-Modified", "Vary"):
                if name in headers:
                    self.send_header(name, headers[name])
            self.end_headers()
            return
        chunked = page.chunked and self.request_version == "HTTP/1.1"
        self.send_response(page.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not with_body:
            return
        if page.fault == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif chunked:
            for start in range(0, len(body), CHUNK_SIZE):
                piece = body[start : start + CHUNK_SIZE]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)

    @staticmethod
    def _etag(page: Page, body: bytes, compressed: bool) -> str:
        """A strong tag of the bytes, or a weak one of the page's stable key."""
        if page.etag_key is None:
            return f'"{hashlib.sha1(body).hexdigest()[:20]}"'
        key = f"{page.etag_key}/{'gzip' if compressed else 'identity'}"
        return f'W/"{hashlib.sha1(key.encode()).hexdigest()[:20]}"'

    def _not_modified(self, etag: str, last_modified: datetime | None) -> bool:
        """Whether the request's validators match (If-None-Match wins over the date)."""
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            wanted = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
            return "*" in wanted or etag.removeprefix("W/") in wanted
        since = self.headers.get("If-Modified-Since")
        if since is None or last_modified is None:
            return False
        try:
            return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

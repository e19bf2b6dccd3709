"""Look at a portal's home page before it is added: which family, what title.

Used by ``dna sites add``; one page over ``http.client``, because starting
Scrapy for one page would be heavier than the question.  The crawler's
network rules apply all the same: redirects are followed only within the
site's origin or to public addresses (never to a private one the user did
not name), the body is read up to a limit, and the whole fetch, redirects
included, has one deadline, so a server dripping a byte a second cannot hang
the command.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from archive.messages import one_line
from crawler.decide import content_kind
from crawler.settings import USER_AGENT
from crawler.tls import any_tls_context
from extract.families import detect_family
from extract.page import fetched_page
from extract.urls import (
    host_of,
    is_private_address,
    origin_entry,
    resolves_to_private,
    within_site,
)

#: Redirects followed at most, as browsers and Scrapy cap them too.
MAX_REDIRECTS = 5
#: The most of the home page read.
MAX_BODY = 5_000_000


class ProbeError(Exception):
    """The home page could not be fetched; the message says why, on one safe line."""

    def __str__(self) -> str:
        return one_line(super().__str__())


@dataclass(frozen=True, slots=True)
class PortalProbe:
    """What the home page says about a portal."""

    family: str
    title: str | None


def probe_portal(url: str, *, timeout: float = 20.0) -> PortalProbe:
    """Fetch ``url`` and detect its CMS family and site title.

    :param timeout: for the whole fetch, redirects and body included.
    :raises ProbeError: unreachable, too slow, or redirected somewhere unsafe.
    """
    deadline = time.monotonic() + timeout
    own = (origin_entry(url),)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, body = _fetch(current, deadline)
        fields = {name.lower(): value for name, value in headers}
        location = fields.get("location")
        if not (300 <= status < 400 and location):
            break
        try:
            target = urljoin(current, location.strip())
            may_follow = _may_follow(target, own)
        except ValueError:  # "http://[::1/x"
            raise ProbeError(f"cannot fetch {url}: redirected to a URL no parser reads") from None
        if not may_follow:
            raise ProbeError(f"cannot fetch {url}: redirected to {target}, a private address")
        current = target
    else:
        raise ProbeError(f"cannot fetch {url}: more than {MAX_REDIRECTS} redirects")
    # A mistyped address or a portal that is down: said now, not after a failed crawl.
    if status >= 400:
        raise ProbeError(f"{current} answered HTTP {status}: check the address, or try later")
    content_type = fields.get("content-type", "")
    if content_kind(content_type, body) == "other":
        raise ProbeError(f"{current} is not a web page ({content_type}): give the portal's home")
    page = fetched_page(current, status, headers, body, datetime.now(UTC))
    title = page.selector.xpath("normalize-space(//title)").get() or None
    return PortalProbe(detect_family(page.selector, page.url), title)


def _may_follow(target: str, own: tuple[str, ...]) -> bool:
    """Whether a redirect target is the site's own origin or a public address."""
    if urlsplit(target).scheme not in ("http", "https"):
        return False
    if within_site(target, own):
        return True
    host = host_of(target)
    return not (is_private_address(host) or resolves_to_private(host))


def _fetch(url: str, deadline: float) -> tuple[int, list[tuple[str, str]], bytes]:
    """One GET without following redirects; the socket is shut at ``deadline``."""
    parts = urlsplit(url)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProbeError(f"cannot fetch {url}: no answer in time")
    try:
        if parts.scheme == "https":
            # Portals' certificates are often broken and their TLS old; we
            # only read, as the crawl does.
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=remaining, context=any_tls_context()
            )
        else:
            connection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=remaining
            )
    except ValueError as exc:
        raise ProbeError(f"cannot fetch {url}: {exc}") from None
    # A server may answer each read in time and still never finish: a timer
    # shuts the socket at the deadline, which ends any read in progress.
    expired = threading.Event()
    opened: list[socket.socket] = []

    def expire() -> None:
        expired.set()
        for sock in opened:  # the response keeps reading it after the connection lets go
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(remaining, expire)
    timer.daemon = True
    timer.start()
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.connect()
        opened.append(connection.sock)
        if expired.is_set():
            expire()
        connection.request("GET", path, headers={"User-Agent": USER_AGENT})
        response = connection.getresponse()
        body = response.read(MAX_BODY)
        if expired.is_set():
            raise OSError("deadline")
        return response.status, response.getheaders(), body
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if expired.is_set():
            raise ProbeError(f"cannot fetch {url}: no complete answer in time") from None
        raise ProbeError(f"cannot fetch {url}: {exc}") from None
    finally:
        timer.cancel()
        connection.close()

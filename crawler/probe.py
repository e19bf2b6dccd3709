"""Look at a portal's home page before it is added: which family, what title.

Used by ``dna sites add``; a plain urllib fetch, because starting Scrapy for
one page would be heavier than the question.
"""

from __future__ import annotations

import ssl
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from crawler.settings import USER_AGENT
from extract.families import detect_family
from extract.page import fetched_page


class ProbeError(Exception):
    """The home page could not be fetched; the message says why."""


@dataclass(frozen=True, slots=True)
class PortalProbe:
    """What the home page says about a portal."""

    family: str
    title: str | None


def probe_portal(url: str, *, timeout: float = 20.0) -> PortalProbe:
    """Fetch ``url`` and detect its CMS family and site title."""
    # Portals' certificates are often broken; we only read, as the crawl does.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            body = response.read(5_000_000)
            fetched_at = datetime.now(UTC)
            headers = response.headers.items()
            page = fetched_page(response.geturl(), response.status, headers, body, fetched_at)
    except (OSError, ValueError) as exc:
        raise ProbeError(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None
    title = page.selector.xpath("normalize-space(//title)").get() or None
    return PortalProbe(detect_family(page.selector, page.url), title)

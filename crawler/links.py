"""Where a page's links lead: each ``href`` resolved, canonical, and kept to the site.

The spider reads every link of every page through here, so answers shared
between pages are cached: menus repeat on every page of a portal.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from extract.urls import canonicalize, is_print_view, within_site


def extension(url: str) -> str:
    """The URL path's suffix, lowercase with its dot (``.pdf``), or ``""``."""
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return path[dot:] if dot > path.rfind("/") else ""


def allowed(url: str, domains: list[str] | tuple[str, ...]) -> bool:
    """Whether ``url`` is HTTP(S) on one of the site's ``domains``."""
    return url.startswith(("http://", "https://")) and within_site(url, domains)


@lru_cache(maxsize=256)
def _origin(base: str) -> str | None:
    """``scheme://host/`` of an HTTP(S) base URL."""
    if not base.startswith(("http://", "https://")):
        return None
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/" if parts.netloc else None


def link_at(base: str, href: str, domains: tuple[str, ...]) -> str | None:
    """The canonical URL an ``href`` on a page at ``base`` leads to, if worth following.

    Root-relative and absolute links resolve the same from every page of a
    host (``urljoin`` reads only the base's scheme and host for them), so
    they are resolved against the host's root and the answer is shared: the
    menus every page repeats cost a lookup.
    """
    href = href.strip()
    if href[:1] == "/" or href.startswith(("http://", "https://")):
        base = _origin(base) or base
    return _resolve(base, href, domains)


@lru_cache(maxsize=32768)
def _resolve(base: str, href: str, domains: tuple[str, ...]) -> str | None:
    if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
        return None
    url = canonicalize(urljoin(base, href))
    if not allowed(url, domains) or is_print_view(url):
        return None
    return url


def is_relative(href: str) -> bool:
    """Whether ``href`` resolves against the page's own path (``lich-su/``, ``?page=2``)."""
    return not href.strip().startswith(
        ("/", "http://", "https://", "#", "mailto:", "javascript:", "tel:", "data:")
    )

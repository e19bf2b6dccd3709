"""A crawl frontier shared by worker processes on any number of machines, in Redis.

``dna crawl … --frontier redis://HOST:PORT/DB`` swaps Scrapy's in-memory
scheduler for scrapy-redis's: each site's request queue and duplicate filter
live in Redis, so workers crawling the same site take requests from one queue
and never fetch a URL another worker fetched.  Each worker still writes its
own WARC files and enforces its own politeness limits.

Keys, per site: ``dna:SITE:requests`` (queue), ``dna:SITE:dupefilter``,
``dna:SITE:articles`` (article links seen, for the pager hold-back) and
``dna:SITE:worker:HOST-PID`` (one per live worker, busy or idle, expiring
unless its worker renews it).

A worker with nothing to do stays while another worker is busy (it may yet
queue requests) and ends once no worker is busy and the queue is empty.  The
last worker out deletes the site's keys, so the next crawl starts afresh;
when it was interrupted with requests still queued, the keys stay and the
next crawl with the same frontier resumes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from archive.messages import one_line

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.settings import BaseSettings

_MISSING = "a shared frontier needs scrapy-redis: pip install 'district-news-archive[scale]'"


class FrontierError(Exception):
    """The shared frontier cannot be used; the message names it, password hidden."""


def safe_redis_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]  # as written: an IPv6 address keeps its brackets
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def connect(url: str) -> Redis:
    """A Redis client for ``url``, checked to answer; :class:`FrontierError` if not."""
    try:
        import redis
        import scrapy_redis  # noqa: F401 - the scheduler needs it, fail before crawling
    except ImportError:
        raise FrontierError(_MISSING) from None
    safe = safe_redis_url(url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        client.ping()
    except ValueError as exc:
        raise FrontierError(f"invalid frontier URL {safe}: {exc}") from None
    except redis.RedisError as exc:
        raise FrontierError(f"frontier {safe} is unreachable: {one_line(exc)}") from None
    return client


def frontier_settings(url: str) -> dict[str, Any]:
    """The Scrapy settings of a crawl sharing its frontier in Redis at ``url``.

    The spider applies them when ``DNA_FRONTIER_URL`` is set, from ``dna crawl
    --frontier`` or ``-s``/Scrapyd's ``setting=`` alike.
    """
    return {
        "SCHEDULER": "crawler.frontier.scheduler.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        # The last worker out clears the keys (see SharedScheduler.close);
        # scrapy-redis would clear them as soon as any worker ends.
        "SCHEDULER_PERSIST": True,
        "REDIS_URL": url,
    }


def worker_name() -> str:
    """This process's name among the workers: host and pid, as in its WARC file names."""
    return f"{socket.gethostname()}-{os.getpid()}"


def site_key(site: str, part: str) -> str:
    """The Redis key of one part of ``site``'s frontier."""
    return f"dna:{site}:{part}"


class KnownArticles:
    """Article links seen so far by this process: a pager is followed while it shows new ones."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def add_new(self, urls: Iterable[str]) -> int:
        """Remember ``urls``; how many of them were not known before."""
        before = len(self._seen)
        self._seen.update(urls)
        return len(self._seen) - before


class SharedKnownArticles(KnownArticles):
    """Article links seen by any worker of the site: one ``SADD`` per page."""

    def __init__(self, server: Redis, key: str) -> None:
        self.server = server
        self.key = key

    def add_new(self, urls: Iterable[str]) -> int:
        members = list(urls)
        return int(self.server.sadd(self.key, *members)) if members else 0


def known_articles(settings: BaseSettings, site: str) -> KnownArticles:
    """The article links seen: this worker's alone, or the whole fleet's with a frontier."""
    url = settings.get("DNA_FRONTIER_URL")
    if not url:
        return KnownArticles()
    return SharedKnownArticles(connect(url), site_key(site, "articles"))

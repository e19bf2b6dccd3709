"""What the archive already holds for one site: the crawl's memory of earlier crawls.

The WARC recorder asks it whether a payload was stored before (then it writes a
revisit instead of the body); the conditional-GET middleware asks it for the
validators and the original of a URL's last full capture; a ``new`` crawl asks
which articles are archived, and a resumed one what its predecessors fetched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from scrapy import signals

from archive.layout import DataDir
from archive.store import Store
from archive.warcreader import RevisitRef, StoredResponse, WarcReadError, read_response

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from pathlib import Path

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from archive.gone import Gone
    from archive.records import CaptureRecord


def database_url(settings: BaseSettings) -> str | None:
    """The crawl's database URL; ``None`` when the crawl stores nothing there.

    Captures point at WARC records: without WARC, nothing is stored.
    """
    if not (settings.getbool("DNA_STORE_ENABLED") and settings.getbool("DNA_WARC_ENABLED")):
        return None
    data = DataDir.resolve(settings.get("DNA_HOME"))
    return data.database_url(settings.get("DNA_DATABASE_URL") or None)


class ArchiveHistory:
    """One site's archived captures, read-only, plus the originals of this crawl.

    The pipeline commits captures in batches, so the database lags behind the
    crawl; responses stored in full during this crawl are remembered here.
    A capture whose WARC file is gone is no basis for a revisit or a 304.

    :param store: the archive database, or ``None`` to know only this crawl.
    :param site: the site's name; revisits stay within a site's WARC files.
    :param data: the data directory, to find WARC files.
    :param shared: other workers crawl the site at once (a shared frontier):
        what they store is looked for in the database on every response,
        instead of in the digests read once when the crawl began.
    """

    def __init__(
        self, store: Store | None, site: str, data: DataDir, *, shared: bool = False
    ) -> None:
        self.store = store
        self.site = site
        self.data = data
        self.shared = shared
        self._originals: dict[str, CaptureRecord] = {}
        self._files: dict[str, Path | None] = {}
        #: the digests stored in full before this crawl: most responses are not
        #: among them, and then need no query (read on first use).
        self._stored_before: set[str] | None = None
        #: the URLs archived with validators, before this crawl or in it: a
        #: conditional GET is possible for these only (read on first use).
        self._validated: set[str] | None = None
        self._validated_now: set[str] = set()

    @classmethod
    def open(cls, settings: BaseSettings, site: str) -> ArchiveHistory:
        """``site``'s history in the crawl's database, which the pipeline has migrated."""
        url = database_url(settings)
        store = Store(url, migrate=False) if url else None
        data = DataDir.resolve(settings.get("DNA_HOME"))
        return cls(store, site, data, shared=bool(settings.get("DNA_FRONTIER_URL")))

    @classmethod
    def of_crawl(cls, crawler: Crawler, site: str) -> ArchiveHistory:
        """The crawl's one history of ``site``, shared by every component that asks.

        One database connection and one memory of this crawl's originals serve
        the spider, the recorder, replay and conditional GETs alike; it closes
        when the engine stops, after every component is done with it.
        """
        histories = _CRAWL_HISTORIES.get(crawler)
        if histories is None:
            histories = _CRAWL_HISTORIES[crawler] = {}

            def close_all() -> None:
                for history in histories.values():
                    history.close()
                histories.clear()

            crawler.signals.connect(close_all, signal=signals.engine_stopped, weak=False)
        if site not in histories:
            histories[site] = cls.open(crawler.settings, site)
        return histories[site]

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def remember(self, capture: CaptureRecord) -> None:
        """Note a 2xx response stored in full during this crawl."""
        self._originals.setdefault(capture.payload_digest, capture)

    def original(self, payload_digest: str) -> CaptureRecord | None:
        """The response that stored this payload in full, if any and still on disk."""
        if found := self._originals.get(payload_digest):
            return found
        if self.store is None:
            return None
        if not self.shared:
            if self._stored_before is None:
                self._stored_before = self.store.full_payload_digests(self.site)
            if payload_digest not in self._stored_before:
                return None
        found = self.store.original_capture(payload_digest, self.site)
        return found if found and self.warc_path(found) else None

    def recorded(self, capture: CaptureRecord) -> None:
        """Note a capture of this crawl: the database has it only once its batch is in."""
        if capture.status == 200 and (capture.etag or capture.last_modified):
            self._validated_now.add(capture.url)

    def previous(self, url: str) -> tuple[CaptureRecord, CaptureRecord] | None:
        """``url``'s latest 200 capture with validators, and the response holding its payload.

        Asked before every request: most URLs were never archived with
        validators, and are told apart without a query.
        """
        if self.store is None:
            return None
        if not self.shared:
            if self._validated is None:
                self._validated = self.store.validated_urls(self.site)
            if url not in self._validated and url not in self._validated_now:
                return None
        latest = self.store.latest_capture(url, self.site)
        if latest is None or not (latest.etag or latest.last_modified):
            return None
        original = latest if latest.refers_to is None else self.store.capture(latest.refers_to)
        if original is None or not self.warc_path(original):
            return None
        return latest, original

    def warc_path(self, capture: CaptureRecord) -> Path | None:
        """The WARC file holding ``capture``, or ``None`` if it is not on disk."""
        name = capture.warc_file
        if name not in self._files:
            self._files[name] = self.data.find_warc(name)
        return self._files[name]

    def read(self, capture: CaptureRecord) -> StoredResponse:
        """``capture`` as archived, a revisit resolved to its original's payload.

        :raises WarcReadError: the file or the original is gone or unreadable.
        """
        path = self.warc_path(capture)
        if path is None:
            raise WarcReadError(f"{capture.warc_file}: WARC file not found")
        return read_response(path, capture.warc_offset, self._locate)

    def _locate(self, ref: RevisitRef) -> tuple[Path, int] | None:
        """Where a revisit's original is, by its record id in the database."""
        if self.store is None or not ref.record_id:
            return None
        original = self.store.capture(ref.record_id)
        path = self.warc_path(original) if original else None
        return (path, original.warc_offset) if path and original else None

    def archived_articles(self, resumes: int | None = None) -> set[str]:
        """The site's archived article URLs, as a ``new`` crawl should see them.

        A resumed crawl must not count what its killed predecessors archived
        as old, or it would stop paging where they stopped: it sees the
        archive as it stood when the first of them started.
        """
        if self.store is None:
            return set()
        return self.store.article_urls(self.site, before=self._chain_start(resumes))

    def addresses(self) -> dict[str, int]:
        """Every URL of the site's archived articles, with the article's id."""
        return self.store.article_addresses(self.site) if self.store else {}

    def unseen(self, started: datetime, resumes: int | None = None) -> set[int]:
        """The site's archived articles not seen since ``started``, or since the
        first of the crawls ``resumes`` resumed started."""
        if self.store is None:
            return set()
        return self.store.articles_unseen_since(self.site, self._chain_start(resumes) or started)

    def gone(self, article_ids: Iterable[int]) -> dict[int, Gone]:
        """Which of ``article_ids`` their portal has deleted."""
        return self.store.gone(article_ids) if self.store else {}

    def _chain_start(self, resumes: int | None) -> datetime | None:
        """When the first crawl of the chain ``resumes`` ends started (None: no chain)."""
        if not resumes:
            return None
        first = self.store.crawl_run(self.store.resume_chain(resumes)[-1])  # type: ignore[union-attr]
        return first.started_at if first else None

    def captured_by(self, crawl_id: int) -> dict[str, CaptureRecord]:
        """Each URL fetched by ``crawl_id`` and the crawls it resumed: its latest capture."""
        if self.store is None:
            return {}
        return self.store.crawl_captures(self.store.resume_chain(crawl_id))


#: Each running crawl's histories, by site (see :meth:`ArchiveHistory.of_crawl`).
_CRAWL_HISTORIES: WeakKeyDictionary[Crawler, dict[str, ArchiveHistory]] = WeakKeyDictionary()

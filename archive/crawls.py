"""The archive's crawl history: crawls started, finished, resumed and rebuilt.

A mixin of :class:`~archive.store.Store` (which provides ``session``), kept
apart so that the store's article queries and the crawl book each fit a
module of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, ScalarSelect

from archive.archived import RESTORED, CrawlRun, CrawlSummary, crawl_run_of
from archive.database import StoreError
from archive.locks import LockOwner
from archive.models import ArticleVersion, Capture, Crawl, Site

T = TypeVar("T")


class CrawlHistory:
    """Crawl rows: what ran, on which host and process, and how it ended."""

    session: Callable[[], Session]

    def start_crawl(self, site_id: int, *, mode: str = "full", resumes: int | None = None) -> int:
        """Record that this process started a crawl of ``site_id``; returns its id.

        :param resumes: the unfinished crawl this one picks up; it is marked
            ``interrupted`` (it was, even if killed while marked running).
        """
        me = LockOwner.me()
        with self.session() as session, session.begin():
            if resumes is not None:
                earlier = session.get(Crawl, resumes)
                if earlier is not None and earlier.status == "running":
                    # Killed: it ended with the last response it archived, and
                    # never counted what it archived (its WARC files, recovered).
                    last, pages = session.execute(
                        select(func.max(Capture.fetched_at), func.count()).where(
                            Capture.crawl_id == resumes
                        )
                    ).one()
                    earlier.status = "interrupted"
                    earlier.reason = earlier.reason or "killed"
                    earlier.ended_at = last or earlier.started_at
                    earlier.pages = pages
                    earlier.articles_new, earlier.articles_updated = _versions_made(
                        session, resumes
                    )
            crawl = Crawl(
                site_id=site_id,
                mode=mode,
                started_at=datetime.now(UTC),
                status="running",
                host=me.host,
                pid=me.pid,
                resumes=resumes,
            )
            session.add(crawl)
            session.flush()
            return crawl.id

    def finish_crawl(
        self,
        crawl_id: int,
        *,
        status: str,
        reason: str | None,
        pages: int,
        articles_new: int,
        articles_updated: int,
        errors: int,
        bytes_written: int,
        cut_off: list[str] | None = None,
    ) -> None:
        """Record how crawl ``crawl_id`` ended, and what it left out on purpose."""
        with self.session() as session, session.begin():
            crawl = session.get(Crawl, crawl_id)
            if crawl is None:
                raise StoreError(f"no crawl {crawl_id}")
            crawl.ended_at = datetime.now(UTC)
            crawl.status = status
            crawl.reason = reason
            crawl.pages = pages
            crawl.articles_new = articles_new
            crawl.articles_updated = articles_updated
            crawl.errors = errors
            crawl.bytes_written = bytes_written
            crawl.cut_off = "\n".join(cut_off) if cut_off else None

    def add_restored_crawl(
        self,
        site_id: int,
        *,
        started_at: datetime,
        ended_at: datetime,
        pages: int,
        bytes_written: int,
        reason: str,
    ) -> bool:
        """Record a crawl rebuilt from WARC (status ``restored``), unless a crawl of
        the site covers any of that time already (restoring twice adds nothing);
        returns whether it was added.  What WARC does not say stays unknown."""
        with self.session() as session, session.begin():
            overlapping = session.scalar(
                select(Crawl.id)
                .where(
                    Crawl.site_id == site_id,
                    Crawl.started_at <= ended_at,
                    func.coalesce(Crawl.ended_at, Crawl.started_at) >= started_at,
                )
                .limit(1)
            )
            if overlapping is not None:
                return False
            session.add(
                Crawl(
                    site_id=site_id,
                    mode="unknown",
                    started_at=started_at,
                    ended_at=ended_at,
                    status=RESTORED,
                    reason=reason[:64],
                    pages=pages,
                    bytes_written=bytes_written,
                )
            )
            return True

    def crawl_runs(self, site: str | None = None, limit: int | None = None) -> list[CrawlRun]:
        """Past and running crawls, newest first."""
        query = (
            select(Crawl, Site.name)
            .join(Site, Crawl.site_id == Site.id)
            .order_by(Crawl.started_at.desc(), Crawl.id.desc())
        )
        if site is not None:
            query = query.where(Site.name == site)
        if limit is not None:
            query = query.limit(limit)
        with self.session() as session:
            return _counted(session, [crawl_run_of(c, name) for c, name in session.execute(query)])

    def crawl_run(self, crawl_id: int) -> CrawlRun | None:
        """Crawl ``crawl_id``, if it exists."""
        query = select(Crawl, Site.name).join(Site, Crawl.site_id == Site.id)
        with self.session() as session:
            row = session.execute(query.where(Crawl.id == crawl_id)).first()
            return crawl_run_of(*row) if row else None

    def latest_crawls(self) -> dict[str, CrawlRun]:
        """Each site's most recent crawl, by site name."""
        query = select(Crawl, Site.name).join(Site, Crawl.id == _of_newest_crawl(Crawl.id))
        with self.session() as session:
            runs = _counted(session, [crawl_run_of(c, name) for c, name in session.execute(query)])
            return {run.site: run for run in runs}

    def finished_pages(self) -> dict[str, int]:
        """Each site's pages in its newest finished crawl, by site name: how much
        crawling the site takes.  An unfinished crawl's count is only what it
        got before it stopped."""
        newest = _of_newest_crawl(Crawl.id, Crawl.status == "finished")
        query = select(Site.name, Crawl.pages).join(Crawl, Crawl.id == newest)
        with self.session() as session:
            return {name: pages for name, pages in session.execute(query)}

    def resume_chain(self, crawl_id: int) -> list[int]:
        """``crawl_id`` and the crawls it resumed, back to the first."""
        chain: list[int] = []
        with self.session() as session:
            current: int | None = crawl_id
            while current is not None and current not in chain:
                chain.append(current)
                current = session.scalar(select(Crawl.resumes).where(Crawl.id == current))
        return chain

    def crawl_summaries(self) -> list[CrawlSummary]:
        """Each crawled site's crawls: how many, the latest, and their totals."""
        latest = _of_newest_crawl(Crawl.status)
        restored = Crawl.status == RESTORED

        def counted(column: ColumnElement[int]) -> ColumnElement[int]:
            return func.sum(case((restored, None), else_=column))

        query = (
            select(
                Site.name,
                func.count(Crawl.id),
                func.max(Crawl.started_at),
                latest,
                func.sum(Crawl.pages),
                counted(Crawl.articles_new),
                counted(Crawl.articles_updated),
                counted(Crawl.errors),
                func.sum(Crawl.bytes_written),
                func.count(case((restored, 1))),
            )
            .join(Crawl, Crawl.site_id == Site.id)
            .group_by(Site.id, Site.name)
            .order_by(Site.name)
        )
        with self.session() as session:
            summaries = [
                CrawlSummary(
                    site=site,
                    crawls=crawls,
                    last_started=last,
                    last_status=status,
                    pages=pages or 0,
                    articles_new=new or 0,
                    articles_updated=updated or 0,
                    errors=errors or 0,
                    bytes_written=written or 0,
                    restored=rebuilt,
                )
                for site, crawls, last, status, pages, new, updated, errors, written, rebuilt in (
                    session.execute(query)
                )
            ]
        if any(summary.last_status == "running" for summary in summaries):
            latest = self.latest_crawls()
            for summary in summaries:
                run = latest.get(summary.site)
                if run is None or run.status != "running":
                    continue
                summary.pages += run.pages  # counted at its end, which has not come
                if run.is_orphaned:
                    summary.last_status = "killed"  # as `dna crawls` says it
        return summaries


def _of_newest_crawl(column: ColumnElement[T], *where: ColumnElement[bool]) -> ScalarSelect[T]:
    """``column`` of the site's newest crawl (of those ``where`` holds), as a
    subquery correlated with ``Site``."""
    return (
        select(column)
        .where(Crawl.site_id == Site.id, *where)
        .order_by(Crawl.started_at.desc(), Crawl.id.desc())
        .limit(1)
        .correlate(Site)
        .scalar_subquery()
    )


#: A version as made by a crawl, beside the article's earlier ones.
_Made = aliased(ArticleVersion)


def _versions_made(session: Session, crawl_id: int) -> tuple[int, int]:
    """Articles a crawl archived first, and those it gave a new version."""
    first = ~(
        select(ArticleVersion.id)
        .where(ArticleVersion.article_id == _Made.article_id, ArticleVersion.id < _Made.id)
        .exists()
    )
    made = (
        select(first.label("first"))
        .select_from(_Made)
        .join(Capture, Capture.id == _Made.capture_id)
        .where(Capture.crawl_id == crawl_id)
        .subquery()
    )
    counts = select(func.count().filter(made.c.first), func.count().filter(~made.c.first))
    new, updated = session.execute(counts.select_from(made)).one()
    return new, updated


def _counted(session: Session, runs: list[CrawlRun]) -> list[CrawlRun]:
    """``runs``, each still marked running given the pages it archived so far,
    and when it archived the last.

    A crawl counts its pages when it ends; one killed never did, and showed
    0 where its summary had said 38.  Its captures are what a resume counts.
    """
    running = [run for run in runs if run.status == "running"]
    if running:
        query = (
            select(Capture.crawl_id, func.count(), func.max(Capture.fetched_at))
            .where(Capture.crawl_id.in_([run.id for run in running]))
            .group_by(Capture.crawl_id)
        )
        archived = {crawl: (count, last) for crawl, count, last in session.execute(query)}
        for run in running:
            run.pages, run.last_capture = archived.get(run.id, (0, None))
    return runs

"""Pick up a crawl that was killed (SIGKILL, a reboot) or interrupted.

A killed crawl leaves its last WARC file ``.open`` and the database behind
the WARC by up to one batch.  Resuming first closes those files after their
last complete record and restores them into the database, attributed to the
crawl that wrote them (the same extraction as a live crawl, via
:mod:`crawler.restore`).  The new crawl then replays what was fetched
(:class:`crawler.middlewares.replay.ResumeReplayMiddleware`) and fetches the rest, so
nothing is fetched twice and nothing is lost.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archive.verify import RepairError, repair_open_file
from archive.warcwriter import OPEN_SUFFIX, writer_suffix
from crawler.restore import Restorer

if TYPE_CHECKING:
    from archive.archived import CrawlRun
    from archive.layout import DataDir
    from archive.store import Store
    from archive.warcscan import ScanProblem
    from crawler.sites import SitesFile


@dataclass
class ResumePlan:
    """What resuming one site's crawl found and recovered.

    :param crawl: the unfinished crawl to pick up.
    :param files: its WARC files.
    :param repaired: what was done to those left ``.open``.
    :param recovered: captures and articles that were in WARC but not yet in
        the database.
    """

    crawl: CrawlRun
    files: list[Path] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    recovered: dict[str, int] = field(default_factory=dict)


def written_by(directory: Path, run: CrawlRun) -> list[Path]:
    """The WARC files in ``directory`` that crawl ``run``'s process wrote.

    File names carry the writer's PID and short host name; the time check
    keeps a recycled PID's older files out.
    """
    if run.pid is None or run.host is None or not directory.is_dir():
        return []
    marker = writer_suffix(run.pid, run.host)
    started = run.started_at.timestamp() - 1
    return sorted(
        path
        for path in directory.iterdir()
        if path.name.removesuffix(OPEN_SUFFIX).endswith(marker) and path.stat().st_mtime >= started
    )


def prepare_resume(
    store: Store,
    data: DataDir,
    registry: SitesFile,
    site: str,
    *,
    on_problem: Callable[[ScanProblem], None] | None = None,
) -> ResumePlan | None:
    """Recover ``site``'s unfinished crawl into the database; ``None`` if there is none.

    Call it holding the site's crawl lock: a crawl marked running whose
    process is alive elsewhere is not resumable.
    """
    latest = store.crawl_runs(site, limit=1)
    if not latest or not latest[0].is_resumable:
        return None
    plan = ResumePlan(latest[0])
    before = store.counts()
    for crawl_id in reversed(store.resume_chain(plan.crawl.id)):
        run = store.crawl_run(crawl_id)
        if run is None or run.host is None or run.host != socket.gethostname():
            continue  # another machine's files are not here to recover
        files = []
        for path in written_by(data.warc_dir(site), run):
            if path.name.endswith(OPEN_SUFFIX):
                if path.stat().st_size == 0:
                    # Killed between creating its file and writing to it: nothing to keep.
                    path.unlink()
                    plan.repaired.append(f"{path.name}: empty; removed")
                    continue
                try:
                    done, path = repair_open_file(path, min_age=0)
                    plan.repaired.append(f"{path.name}: {done}")
                except RepairError as exc:
                    plan.repaired.append(str(exc))
            files.append(path)
        if files:
            restorer = Restorer(store, data, registry, crawl_id=crawl_id)
            restorer.restore(files, on_problem=on_problem)
            plan.files += files
    after = store.counts()
    plan.recovered = {table: after[table] - before.get(table, 0) for table in after}
    return plan

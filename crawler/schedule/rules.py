"""When a site's scheduled crawls are due: cron slots against its crawl history.

Pure decisions, no clock and no processes: the scheduler (``dna schedule
run``), ``dna schedule`` and the tests all ask the same questions with an
explicit "now".

The rules, as archivists expect them:

* A schedule fires at its cron *slots*, in the sites file's time zone.  A slot
  is **taken care of** by a crawl of the site, in a mode that serves it, that
  started at or after the slot, or by any crawl of the site that was running
  at the slot (the overlap rule: that slot is skipped, not queued).
* **Catch-up:** only the latest slot counts.  After downtime the slots missed
  in between are folded into one crawl, not one per slot.
* A ``full`` crawl serves a ``new`` schedule too (it fetches every new article
  as well); a ``new`` crawl does not serve a ``full`` schedule.  When both are
  due, one ``full`` crawl runs.
* A site never crawled is due at once: its archive is empty, and waiting
  for the first slot (a week, for a weekly schedule) would leave it so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from croniter import CroniterError, croniter

from archive.archived import CrawlRun

#: ``new`` fetches listings and unseen articles; ``full`` revisits everything.
CRAWL_MODES = ("new", "full")
DEFAULT_MODE = "new"
#: The keys of a schedule written as a table.
SCHEDULE_KEYS = ("cron", "mode")
#: Which crawl modes take care of a schedule's slot.
SERVES = {"new": frozenset({"new", "full"}), "full": frozenset({"full"})}
#: Shorthands that crontab and systemd both know.
CRON_ALIASES = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly"})
# Five fields of numbers, names, *, ranges, steps and lists: the syntax crontab
# and systemd timers share.  croniter's extensions (L, W, #, seconds) are not.
_CRON_VALUE = r"(?:\d+|[a-z]{3})"
_CRON_ITEM = rf"(?:\*|{_CRON_VALUE}(?:-{_CRON_VALUE})?)(?:/\d+)?"
_CRON_FIELD = re.compile(rf"^{_CRON_ITEM}(?:,{_CRON_ITEM})*$")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A cron expression and the crawl mode it starts.

    :param line: where it is written in ``sites.toml``.
    """

    cron: str
    mode: str = DEFAULT_MODE
    line: int = 0


@dataclass(frozen=True, slots=True)
class Due:
    """A crawl the schedule wants now.

    :param slot: the latest slot not yet taken care of (earlier missed ones fold into it).
    :param schedules: the schedules this one crawl takes care of.
    """

    mode: str
    slot: datetime
    schedules: tuple[Schedule, ...]


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a usable cron schedule, or ``None`` if it is."""
    text = expression.strip().lower()
    if text.startswith("@"):
        if text in CRON_ALIASES:
            return None
        return f"unknown cron shorthand {expression!r} (one of {', '.join(sorted(CRON_ALIASES))})"
    fields = text.split()
    if len(fields) != 5:
        return (
            f"cron {expression!r} has {len(fields)} field(s); give five: "
            "minute hour day-of-month month day-of-week, e.g. '0 3 * * *'"
        )
    if not all(_CRON_FIELD.match(field) for field in fields):
        return f"cron {expression!r} uses syntax crontab lacks: use numbers, names, * , - and /"
    try:
        croniter.expand(text)
    except CroniterError as exc:
        return f"invalid cron {expression!r}: {str(exc).strip().splitlines()[-1]}"
    return None


def parse_schedule(value: object, line: int) -> Schedule | str:
    """A :class:`Schedule` from a site's ``schedule`` value (a cron string, or a
    table of :data:`SCHEDULE_KEYS`) written at ``line``, or why it is not one."""
    if isinstance(value, str):
        value = {"cron": value}
    if not isinstance(value, dict):
        return 'schedule must be a cron string or a table { cron = "0 3 * * *", mode = "new" }'
    for key in value:
        if key not in SCHEDULE_KEYS:
            return f"unknown schedule key {key!r} (known: {', '.join(SCHEDULE_KEYS)})"
    cron, mode = value.get("cron"), value.get("mode", DEFAULT_MODE)
    if not isinstance(cron, str):
        return 'schedule needs cron = "minute hour day month weekday", e.g. "0 3 * * *"'
    if problem := cron_problem(cron):
        return problem
    if mode not in CRAWL_MODES:
        return f"unknown crawl mode {mode!r} (one of {', '.join(CRAWL_MODES)})"
    return Schedule(cron.strip(), mode, line)


def latest_slot(schedule: Schedule, now: datetime, zone: tzinfo) -> datetime:
    """The schedule's most recent slot at or before ``now``."""
    # croniter's get_prev is strictly before its start, and slots are whole
    # minutes: start from the next minute so a slot at exactly ``now`` counts.
    start = now.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return croniter(schedule.cron.lower(), start).get_prev(datetime)


def next_slot(schedule: Schedule, now: datetime, zone: tzinfo) -> datetime:
    """The schedule's first slot after ``now``."""
    return croniter(schedule.cron.lower(), now.astimezone(zone)).get_next(datetime)


def takes_care_of(
    run: CrawlRun, schedule: Schedule, slot: datetime, now: datetime, *, overlap: bool = True
) -> bool:
    """Whether ``run`` serves ``schedule``'s ``slot``: started after it, or overlapped it.

    :param overlap: whether a crawl running at the slot counts; without it,
        the scheduler sees which slots it is skipping, to log them.
    """
    if run.started_at >= slot:
        return run.mode in SERVES[schedule.mode]
    return overlap and run.started_at <= slot <= _end_of(run, now)


def is_running(run: CrawlRun) -> bool:
    """Whether ``run`` is going on now, in a process still alive.

    A run marked running without a process (recorded before crawls kept
    their PID) cannot be checked; the site's crawl lock is what counts then.
    """
    return run.status == "running" and run.pid is not None and not run.is_orphaned


def _end_of(run: CrawlRun, now: datetime) -> datetime:
    """When ``run`` stopped; a live one runs until ``now``; a killed one's end is unknown."""
    if run.ended_at is not None:
        return run.ended_at
    return now if is_running(run) else run.started_at


def due_slots(
    schedules: Iterable[Schedule],
    runs: Sequence[CrawlRun],
    now: datetime,
    zone: tzinfo,
    *,
    overlap: bool = True,
) -> list[tuple[Schedule, datetime]]:
    """Each schedule whose latest slot no crawl in ``runs`` (one site's) took care of."""
    due = []
    for schedule in schedules:
        slot = latest_slot(schedule, now, zone)
        if not any(takes_care_of(run, schedule, slot, now, overlap=overlap) for run in runs):
            due.append((schedule, slot))
    return due


def due_crawl(
    schedules: Sequence[Schedule],
    runs: Sequence[CrawlRun],
    now: datetime,
    zone: tzinfo,
    *,
    overlap: bool = True,
) -> Due | None:
    """The one crawl a site needs now, if any.

    :param runs: the site's crawls, at least all those started since its
        schedules' oldest latest slot and the one before (see :func:`history_start`).
    :param overlap: see :func:`takes_care_of`.
    """
    if not schedules:
        return None
    pending = due_slots(schedules, runs, now, zone, overlap=overlap)
    if not pending:
        return None
    mode = "full" if any(schedule.mode == "full" for schedule, _ in pending) else "new"
    served = tuple(schedule for schedule, _ in pending if mode in SERVES[schedule.mode])
    slot = max(slot for schedule, slot in pending if schedule in served)
    return Due(mode, slot, served)


def history_start(schedules: Iterable[Schedule], now: datetime, zone: tzinfo) -> datetime | None:
    """The oldest latest slot: :func:`due_crawl` needs the runs since then, and one before."""
    return min((latest_slot(schedule, now, zone) for schedule in schedules), default=None)


def upcoming(schedule: Schedule, runs: Sequence[CrawlRun], now: datetime, zone: tzinfo) -> datetime:
    """When ``schedule`` next wants a crawl: its missed latest slot, else its next slot."""
    if due_slots([schedule], runs, now, zone):
        return latest_slot(schedule, now, zone)
    return next_slot(schedule, now, zone)


def last_served(schedule: Schedule, runs: Sequence[CrawlRun]) -> CrawlRun | None:
    """The newest crawl in a mode that serves ``schedule``."""
    return next((run for run in runs if run.mode in SERVES[schedule.mode]), None)

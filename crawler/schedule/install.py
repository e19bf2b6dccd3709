"""``dna schedule install``: the schedules as crontab lines or systemd units.

For archivists who prefer the OS scheduler.  Paths are absolute, so the
lines work from cron's and systemd's bare environment.  Every crawl runs
with ``--resume``, so one killed by a reboot is finished at its next slot.
"""

from __future__ import annotations

import getpass
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from croniter import croniter
from sqlalchemy.engine import make_url

from archive.database import sqlite_url
from archive.layout import DataDir
from crawler.sites import SiteConfig, SitesFile

SCHEDULER_UNIT = "dna-schedule.service"
#: Time a crawl gets to close its WARC files after SIGTERM before systemd kills it.
STOP_TIMEOUT = "10min"
_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


@dataclass(frozen=True, slots=True)
class Invocation:
    """How the OS scheduler runs ``dna``: the command, and the archive it works on.

    :param dna: the absolute path of the ``dna`` command.
    :param data: the data directory, absolute.
    :param sites_path: the sites file, absolute.
    :param db_url: the database; set in the environment of the units and
        lines, never on a command line, where ``ps`` would show a password.
    """

    dna: str
    data: DataDir
    sites_path: Path
    db_url: str

    def command(self, *args: str) -> list[str]:
        """``dna ARGS`` on this archive."""
        return [self.dna, *args, "--data", str(self.data.root), "--sites", str(self.sites_path)]

    def crawl(self, site: str, mode: str) -> list[str]:
        """The ``dna crawl`` an OS scheduler runs for one schedule."""
        return self.command("crawl", site, "--mode", mode, "--resume")

    @property
    def custom_database(self) -> str | None:
        """The database URL, when it is not the data directory's own SQLite file."""
        return None if self.db_url == sqlite_url(self.data.database_file) else self.db_url


def _scheduled(registry: SitesFile) -> list[SiteConfig]:
    return [site for site in registry.sites if site.schedules]


# -- cron ----------------------------------------------------------------------


def crontab(registry: SitesFile, dna: Invocation) -> str:
    """Crontab lines, one per schedule, to paste into ``crontab -e``."""
    logs = dna.data.root / "logs"
    # The shell opens the log before dna runs: the directory must exist.
    logs.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# District News Archive: scheduled crawls from {dna.sites_path}",
        "# cron runs missed slots never and any number of crawls at once; dna crawl",
        "# skips a site already being crawled.  dna schedule run also catches up",
        "# missed runs once and caps concurrent crawls.",
    ]
    zone = registry.crawler.get("timezone")
    if zone:
        lines.append(f"# Times in {zone}: cronie honours CRON_TZ, other crons use the machine's.")
        lines.append(f"CRON_TZ={zone}")
    if database := dna.custom_database:
        lines.append(f"DNA_DATABASE_URL={database}")
    for site in _scheduled(registry):
        log = shlex.quote(str(logs / f"cron-{site.name}.log"))
        for schedule in site.schedules:
            command = shlex.join(dna.crawl(site.name, schedule.mode))
            # cron turns an unescaped % into a newline.
            line = f"{schedule.cron} {command} >> {log} 2>&1".replace("%", "\\%")
            lines.append(line)
    return "\n".join(lines) + "\n"


# -- systemd -------------------------------------------------------------------


def on_calendar(cron: str, zone: str | None = None) -> list[str]:
    """systemd ``OnCalendar=`` values that fire when ``cron`` does.

    cron fires when *either* day field matches if both are restricted;
    systemd needs both to, so that case becomes two values.
    """
    minute, hour, day, month, weekday = croniter.expand(cron.lower())[0]
    suffix = f" {zone}" if zone else ""
    clock = f"{_values(hour, pad=True)}:{_values(minute, pad=True)}:00{suffix}"
    months = _values(month)
    weekdays = ",".join(_ranges(weekday, names=_WEEKDAYS)) if weekday != ["*"] else None
    if weekdays and day != ["*"]:
        return [f"*-{months}-{_values(day)} {clock}", f"{weekdays} *-{months}-* {clock}"]
    prefix = f"{weekdays} " if weekdays else ""
    return [f"{prefix}*-{months}-{_values(day)} {clock}"]


def _values(expanded: list[int | str], *, pad: bool = False) -> str:
    return "*" if expanded == ["*"] else ",".join(_ranges(expanded, pad=pad))


def _ranges(
    values: Iterable[int | str], names: tuple[str, ...] | None = None, *, pad: bool = False
) -> list[str]:
    """``[1, 2, 3, 5]`` as ``["1..3", "5"]``, systemd's ranges."""
    numbers = sorted(int(value) for value in values)
    label = (lambda n: names[n]) if names else (lambda n: f"{n:02d}" if pad else str(n))
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{label(run[0])}..{label(run[-1])}")
        else:
            parts.extend(label(number) for number in run)
    return parts


def _unit_escape(text: str) -> str:
    return text.replace("%", "%%")


def _service_user() -> str:
    """Who the service runs as: who ran ``sudo``, not root (``sudo`` sets
    ``$USER`` to root; the archive's files would become root's)."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


def _service_section(dna: Invocation, command: list[str], kind: str) -> list[str]:
    lines = [
        "[Service]",
        f"Type={kind}",
        f"User={_service_user()}",
        f"WorkingDirectory={_unit_escape(str(dna.data.root))}",
    ]
    if database := dna.custom_database:
        if make_url(database).password:
            lines += [
                "# The database URL holds a password: keep it out of this file, in one",
                "# readable by root only, as DNA_DATABASE_URL=...",
                "EnvironmentFile=/etc/dna/database.env",
            ]
        else:
            lines.append(f"Environment={_unit_escape(shlex.quote('DNA_DATABASE_URL=' + database))}")
    lines += [
        f"ExecStart={_unit_escape(shlex.join(command))}",
        "# SIGTERM to dna alone: it passes the stop on and closes its WARC files.",
        "KillMode=mixed",
        f"TimeoutStopSec={STOP_TIMEOUT}",
    ]
    return lines


_NETWORK = ["After=network-online.target", "Wants=network-online.target"]


def systemd_timers(registry: SitesFile, dna: Invocation) -> dict[str, str]:
    """A ``.service`` and a ``.timer`` per site and mode, by file name."""
    zone = registry.crawler.get("timezone")
    units: dict[str, str] = {}
    for site in _scheduled(registry):
        for mode in dict.fromkeys(schedule.mode for schedule in site.schedules):
            name = f"dna-crawl-{site.name}-{mode}"
            description = f"District News Archive: {mode} crawl of {site.name}"
            service = [
                "[Unit]",
                f"Description={description}",
                *_NETWORK,
                "",
                *_service_section(dna, dna.crawl(site.name, mode), "oneshot"),
            ]
            calendars = [
                value
                for schedule in site.schedules
                if schedule.mode == mode
                for value in on_calendar(schedule.cron, zone)
            ]
            timer = [
                "[Unit]",
                f"Description={description}, on schedule",
                "",
                "[Timer]",
                *(f"OnCalendar={value}" for value in calendars),
                "# After downtime, run a missed crawl once.",
                "Persistent=true",
                f"Unit={name}.service",
                "",
                "[Install]",
                "WantedBy=timers.target",
            ]
            units[f"{name}.service"] = "\n".join(service) + "\n"
            units[f"{name}.timer"] = "\n".join(timer) + "\n"
    return units


def scheduler_service(dna: Invocation, max_concurrent: int) -> dict[str, str]:
    """The ``.service`` running ``dna schedule run``, by file name."""
    command = dna.command("schedule", "run", "--workers", str(max_concurrent))
    unit = [
        "[Unit]",
        "Description=District News Archive: scheduled crawls",
        *_NETWORK,
        "",
        *_service_section(dna, command, "simple"),
        "Restart=on-failure",
        "RestartSec=30",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return {SCHEDULER_UNIT: "\n".join(unit) + "\n"}

"""``dna schedule install``: crontab lines and systemd units that fire when the scheduler would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from croniter import croniter

from crawler.schedule.daemon import dna_executable
from crawler.schedule.install import on_calendar
from dna.cli import main

SITES = """\
[crawler]
timezone = "Asia/Ho_Chi_Minh"

[[site]]
name = "xa-a"
start_urls = ["http://a.vn/"]
schedule = ["30 2 * * *", { cron = "0 4 * * sun", mode = "full" }]

[[site]]
name = "by-hand"
start_urls = ["http://b.vn/"]
"""


def install(tmp_path: Path, *args: str) -> tuple[int, str]:
    (tmp_path / "sites.toml").write_text(SITES, encoding="utf-8")
    result = CliRunner().invoke(main, ["schedule", "install", *args, "--data", str(tmp_path)])
    return result.exit_code, result.stdout


def test_cron_lines_have_absolute_paths_and_the_zone(tmp_path: Path) -> None:
    code, output = install(tmp_path, "--cron")
    assert code == 0, output
    dna = dna_executable()
    assert os.path.isabs(dna)
    sites = tmp_path / "sites.toml"
    log = tmp_path / "logs" / "cron-xa-a.log"
    lines = [line for line in output.splitlines() if line and not line.startswith("#")]
    assert lines[:3] == [
        "CRON_TZ=Asia/Ho_Chi_Minh",
        f"30 2 * * * {dna} crawl xa-a --mode new --resume --data {tmp_path} --sites {sites} "
        f">> {log} 2>&1",
        f"0 4 * * sun {dna} crawl xa-a --mode full --resume --data {tmp_path} --sites {sites} "
        f">> {log} 2>&1",
    ]
    assert "by-hand" not in output
    assert log.parent.is_dir()  # the shell opens the log before dna runs


def test_cron_lines_escape_percent_and_name_a_custom_database(tmp_path: Path) -> None:
    data = tmp_path / "100%"
    data.mkdir()
    code, output = install(data, "--cron", "--db", "postgresql://archive@db/dna")
    assert code == 0, output
    # With the driver dna ships with named, as every command reads it.
    assert "DNA_DATABASE_URL=postgresql+psycopg://archive@db/dna" in output
    commands = [line for line in output.splitlines() if not line.startswith("#")]
    assert "100\\%" in commands[-1]
    assert not any(re.search(r"[^\\]%", line) for line in commands)  # cron's newline


def test_systemd_units_verify_and_keep_passwords_out(tmp_path: Path) -> None:
    units = tmp_path / "units"
    (tmp_path / "sites.toml").write_text(SITES, encoding="utf-8")
    command = ["schedule", "install", "--systemd", "--output-dir", str(units)]
    database = ["--db", "postgresql://u:secret@db/dna"]
    result = CliRunner().invoke(main, [*command, "--data", str(tmp_path), *database])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in units.iterdir()) == [
        "dna-crawl-xa-a-full.service",
        "dna-crawl-xa-a-full.timer",
        "dna-crawl-xa-a-new.service",
        "dna-crawl-xa-a-new.timer",
    ]
    service = (units / "dna-crawl-xa-a-full.service").read_text()
    assert f"ExecStart={dna_executable()} crawl xa-a --mode full --resume" in service
    assert "KillMode=mixed" in service and "Type=oneshot" in service
    assert "secret" not in service and "EnvironmentFile=" in service
    timer = (units / "dna-crawl-xa-a-full.timer").read_text()
    assert "OnCalendar=Sun *-*-* 04:00:00 Asia/Ho_Chi_Minh" in timer
    assert "Persistent=true" in timer
    assert "enable --now dna-crawl-xa-a-new.timer dna-crawl-xa-a-full.timer" in result.stderr
    analyze = shutil.which("systemd-analyze")
    if analyze:
        result = subprocess.run(
            [analyze, "verify", *map(str, sorted(units.iterdir()))],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (result.returncode, result.stderr) == (0, "")


def test_scheduler_service_is_the_default(tmp_path: Path) -> None:
    code, output = install(tmp_path, "--max-concurrent", "3")
    assert code == 0, output
    assert "# ---- dna-schedule.service ----" in output
    assert (
        f"ExecStart={dna_executable()} schedule run --workers 3 --data {tmp_path} "
        f"--sites {tmp_path / 'sites.toml'}"
    ) in output
    assert "Restart=on-failure" in output and "KillMode=mixed" in output


def test_the_service_runs_as_who_ran_sudo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sudo dna schedule install` sets $USER to root: the service ran as
    root, and the archive's files written by it became root's."""
    monkeypatch.setenv("USER", "root")
    monkeypatch.setenv("LOGNAME", "root")
    monkeypatch.setenv("SUDO_USER", "archivist")
    code, output = install(tmp_path)
    assert code == 0, output
    assert "User=archivist" in output


def test_nothing_to_install_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "sites.toml").write_text('[[site]]\nname = "a"\nstart_urls = ["http://a.vn/"]\n')
    result = CliRunner().invoke(main, ["schedule", "install", "--cron", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert "has a schedule to install" in result.output


CRONS = [
    "30 2 * * *",
    "0 4 * * sun",
    "*/20 6-18 * * mon-fri",
    "0 4 1,15 * mon",  # either day: cron's rule, two OnCalendar values
    "15 0 */10 1-3,12 *",
    "@weekly",
]


@pytest.mark.parametrize("cron", CRONS)
def test_on_calendar_fires_when_cron_does(cron: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    zone = "Asia/Ho_Chi_Minh"
    values = on_calendar(cron, zone)

    def systemd_next() -> list[datetime]:
        result = subprocess.run(
            [analyze, "calendar", "--iterations=12", *values],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, TZ="UTC"),
        )
        found = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ ([\d-]+ [\d:]+) UTC", result.stdout)
        moments = sorted({datetime.fromisoformat(text).replace(tzinfo=UTC) for text in found})
        return moments[:12]

    def cron_next(start: datetime) -> list[datetime]:
        moments = croniter(cron, start.astimezone(ZoneInfo(zone)))
        return [moments.get_next(datetime).astimezone(UTC) for _ in range(12)]

    before = datetime.now(UTC)
    actual = systemd_next()
    assert actual in (cron_next(before), cron_next(datetime.now(UTC)))

"""Deploying to a real Scrapyd with ``scrapyd-deploy`` and scheduling a fleet over its HTTP API.

Two jobs of the ``portal`` spider share a Redis frontier and a PostgreSQL
database, as workers on two Scrapyd hosts would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from archive.store import Store
from sampleportal import PortalServer
from tests.harness import sites_toml
from tests.services import postgres_database, scrapyd_server

REPO = Path(__file__).resolve().parents[1]
DEPLOY = str(Path(sys.executable).parent / "scrapyd-deploy")


def call(scrapyd: str, endpoint: str, fields: list[tuple[str, str]] | None = None) -> dict:
    """One Scrapyd API call: POST with ``fields``, else GET."""
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    with urllib.request.urlopen(scrapyd + endpoint, data=data, timeout=30) as response:
        answer = json.load(response)
    assert answer["status"] == "ok", answer
    return answer


def test_deploy_and_schedule_two_workers(
    postgres_server: str, redis_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with (
        PortalServer("vnportal", latency=0.01, extra_articles=30) as portal,
        scrapyd_server(tmp_path / "scrapyd") as scrapyd,
        postgres_database(postgres_server) as database,
    ):
        (data / "sites.toml").write_text(sites_toml({"xa": portal}), encoding="utf-8")
        # The repository's scrapy.cfg names the project ([deploy]); a
        # [deploy:NAME] target in the user's own scrapy.cfg points at this Scrapyd.
        config = tmp_path / "config"
        config.mkdir()
        (config / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {scrapyd}\n", encoding="utf-8")
        env = dict(os.environ, XDG_CONFIG_HOME=str(config))
        deploy = subprocess.run(
            [DEPLOY, "test", "--version", "1"], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        assert call(scrapyd, "listprojects.json")["projects"] == ["dna"]
        assert call(scrapyd, "listspiders.json?project=dna")["spiders"] == ["portal"]

        settings = {
            "DNA_HOME": str(data),
            "DNA_DATABASE_URL": database,
            "DNA_FRONTIER_URL": redis_url,
        }
        fields = [("project", "dna"), ("spider", "portal"), ("site", "xa")]
        fields += [("setting", f"{key}={value}") for key, value in settings.items()]
        jobs = {call(scrapyd, "schedule.json", fields)["jobid"] for _ in range(2)}

        deadline = time.monotonic() + 180
        while True:
            listed = call(scrapyd, "listjobs.json?project=dna")
            if {job["id"] for job in listed["finished"]} == jobs:
                break
            assert time.monotonic() < deadline, listed
            time.sleep(0.5)

        store = Store(database)
        try:
            assert {a.url for a in store.articles()} == set(portal.expected_articles())
            counts = store.counts()
        finally:
            store.close()
    assert counts["crawls"] == 2
    logs = sorted((tmp_path / "scrapyd" / "logs").rglob("*.log"))
    assert len(logs) == 2
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "Traceback" not in text, text[-3000:]
        assert "'dna/pages_ok'" in text or "dna/frontier_worker" in text

"""Shared fixtures: real fixture portals on 127.0.0.1 and real crawls of them.

A Scrapy process can run only one crawl (Twisted's reactor does not
restart), so crawls run ``dna`` as a subprocess, the way users do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.store import Store, sqlite_url
from dna.sampleportal import PortalServer
from dna.sampleportal.corpus import load_site

from services import postgres_database, postgres_server_url, redis_server

FAMILIES = ("vnportal", "liferay", "tandan", "nukeviet", "generic")
DNA = str(Path(sys.executable).parent / "dna")

#: Crawl options for fixture portals on loopback: no politeness delay, short
#: timeouts, a 2 MB page limit (the fault portal serves a 3 MB page), and
#: a free-space floor that small test machines still clear.
TEST_CRAWLER_OPTIONS = """\
[crawler]
min_free_mb = 20
download_delay = 0
autothrottle = false
concurrency_per_host = 4
timeout = 2
retry_times = 2
max_page_size = 2000000
"""


def run_dna(
    *args: str, data: Path, timeout: float = 180, **kwargs: object
) -> subprocess.CompletedProcess:
    """Run the ``dna`` command as a user would, on ``data``."""
    env = dict(os.environ, COLUMNS="200", DNA_RETRY_BACKOFF_BASE="0.2")
    env.pop("DNA_HOME", None)
    env.pop("DNA_SITES", None)
    env.pop("DNA_DATABASE_URL", None)
    # From the data directory, not the repository: dna must not depend on
    # finding scrapy.cfg in the working directory.
    data.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [DNA, *args, "--data", str(data)],
        cwd=data,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        **kwargs,
    )


def sites_toml(portals: dict[str, PortalServer], extra: str = "") -> str:
    """A sites.toml naming each portal by its family, with the place it serves."""
    blocks = [TEST_CRAWLER_OPTIONS]
    for name, portal in portals.items():
        place = "".join(
            f'{key} = "{value}"\n' for key, value in load_site(portal.family).units.items()
        )
        blocks.append(f'[[site]]\nname = "{name}"\nstart_urls = ["{portal.base_url}"]\n{place}')
    return "\n".join(blocks) + extra


@dataclass
class Harvest:
    """A finished crawl of the fixture portals."""

    data: Path
    result: subprocess.CompletedProcess
    portals: dict[str, PortalServer]

    def store(self) -> Store:
        return Store(f"sqlite:///{self.data / 'archive.sqlite3'}")

    @property
    def warc_files(self) -> list[Path]:
        return sorted((self.data / "warc").glob("*/*.warc.gz"))


@pytest.fixture(scope="session")
def portals() -> Iterator[dict[str, PortalServer]]:
    """One portal per family; the generic one also serves every fault."""
    servers = {
        family: PortalServer(family, faults=family == "generic", slow_seconds=4).start()
        for family in FAMILIES
    }
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def harvest(portals: dict[str, PortalServer], tmp_path_factory: pytest.TempPathFactory) -> Harvest:
    """``dna crawl`` of all five fixture portals at once, in one process."""
    data = tmp_path_factory.mktemp("harvest")
    (data / "sites.toml").write_text(sites_toml(portals), encoding="utf-8")
    result = run_dna("crawl", *FAMILIES, data=data)
    return Harvest(data, result, portals)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server of ``make test``: a URL whose role may create databases."""
    return postgres_server_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty archive database on each engine: a SQLite file, a new PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "archive.sqlite3")
        return
    with postgres_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server of this test's own on 127.0.0.1."""
    with redis_server(tmp_path / "redis") as url:
        yield url

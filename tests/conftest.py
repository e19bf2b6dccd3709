"""Shared fixtures: real fixture portals on 127.0.0.1 and real crawls of them.

Helpers that tests import live in modules of their own (``harness``,
``services``, ``corpus``, ``warcrecords``, ``pages``), never in a test file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.database import sqlite_url
from sampleportal import PortalServer
from tests.harness import FAMILIES, Harvest, run_dna, sites_toml
from tests.services import postgres_database, postgres_server_url, redis_server


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
    """``dna crawl`` of all five fixture portals at once, spread over the default workers."""
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

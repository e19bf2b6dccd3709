"""Real servers for the tests: PostgreSQL databases, redis-server, scrapyd.

``make test`` (scripts/with-test-services.sh) starts PostgreSQL and exports
``DNA_TEST_POSTGRES_URL`` (a role allowed to create databases) and
``DNA_TEST_REQUIRE_SERVICES=1``.  Then a missing server fails the test that
needs it; run by hand without them, such tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

REQUIRE_SERVICES = os.environ.get("DNA_TEST_REQUIRE_SERVICES") == "1"
_INSUFFICIENT_PRIVILEGE = "42501"


def missing_service(reason: str) -> NoReturn:
    """Fail when ``make test`` promised the server, skip when run by hand."""
    if REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)


def postgres_server_url() -> str:
    """The URL ``make test`` gave for PostgreSQL, checked to answer."""
    url = os.environ.get("DNA_TEST_POSTGRES_URL")
    if not url:
        missing_service("PostgreSQL tests need DNA_TEST_POSTGRES_URL (make test sets it)")
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        missing_service(f"PostgreSQL at {make_url(url).render_as_string()} is unreachable: {exc}")
    finally:
        engine.dispose()
    return url


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; dropped afterwards."""
    name = f"dna_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            _drop_database(admin, name)
        finally:
            admin.dispose()


def _drop_database(admin: Engine, name: str, attempts: int = 30) -> None:
    """Drop ``name``, waiting out an autovacuum worker busy in it.

    ``WITH (FORCE)`` ends the test's own connections, but not an autovacuum
    worker's (a superuser's) unless the role may signal it: then the drop
    is refused, and succeeds once the worker is done, seconds later.
    """
    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE or (
                attempt == attempts - 1
            ):
                raise
            time.sleep(1)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Poll ``ready`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout} s")
        time.sleep(0.1)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def _serving(command: list[str], directory: Path, port: int, name: str) -> Iterator[None]:
    """Run a server in ``directory`` until the block ends, once it answers on ``port``."""
    process = subprocess.Popen(
        command, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: _answers(port), f"{name} on port {port}")
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def finished(processes: list[subprocess.Popen], timeout: float = 300) -> None:
    """Wait for ``processes``; each must exit 0 without a traceback."""
    outputs = [process.communicate(timeout=timeout) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stdout + stderr
        assert "Traceback" not in stdout + stderr


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 without persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    with _serving([*command, "--appendonly", "no"], directory, port, "redis-server"):
        yield f"redis://127.0.0.1:{port}/0"


@contextmanager
def scrapyd_server(directory: Path) -> Iterator[str]:
    """A real scrapyd on 127.0.0.1 running jobs with this Python; yields its URL."""
    binary = Path(sys.executable).parent / "scrapyd"
    if not binary.exists():
        missing_service("scrapyd is not installed (pip install scrapyd)")
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {directory / 'eggs'}\n"
        f"logs_dir = {directory / 'logs'}\n"
        f"dbs_dir = {directory / 'dbs'}\n"
        "items_dir =\n"
        "max_proc = 4\n"
        "poll_interval = 0.2\n",
        encoding="utf-8",
    )
    with _serving([str(binary)], directory, port, "scrapyd"):
        yield f"http://127.0.0.1:{port}/"

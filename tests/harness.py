"""Running ``dna`` as a user would, against fixture portals: shared by tests and benchmarks.

A Scrapy process can run only one crawl (Twisted's reactor does not
restart), so crawls run ``dna`` as a subprocess, the way users do.
"""

from __future__ import annotations

import http.server
import os
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import click

from archive.store import Store
from sampleportal import PortalServer
from sampleportal.corpus import load_site

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


def archived_articles(data: Path, site: str) -> list:
    """The articles archived of ``site`` in the SQLite archive of ``data``."""
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        return list(store.articles(site=site))
    finally:
        store.close()


def sites_toml(portals: dict[str, PortalServer], extra: str = "", *, crawler: str = "") -> str:
    """A sites.toml naming each portal by its family, with the place it serves;
    ``crawler`` adds lines to its ``[crawler]`` table."""
    blocks = [TEST_CRAWLER_OPTIONS + crawler]
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


class PagesHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``pages`` (path -> (status, body)) and records every path asked for;
    a redirect's body is where it leads, and status 0 closes the connection
    unanswered (a server that hangs up)."""

    pages: ClassVar[dict[str, tuple[int, bytes]]]
    asked: ClassVar[list[str]]

    def do_GET(self) -> None:
        self.asked.append(self.path)
        status, body = self.pages.get(self.path, (404, b"not here"))
        if not status:
            self.close_connection = True
            return
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", body.decode())
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve_pages(
    pages: dict[str, tuple[int, bytes]], tls: ssl.SSLContext | None = None
) -> tuple[http.server.ThreadingHTTPServer, list[str]]:
    """A server of ``pages`` on 127.0.0.1 (over ``tls`` if given), started in a
    thread, and the list of paths it is asked for; shut it down when done."""
    asked: list[str] = []
    handler = type("Handler", (PagesHandler,), {"pages": pages, "asked": asked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, asked


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """A group's commands by name, those it loads when run included (``dna``'s are)."""
    context = click.Context(group)
    return {name: group.get_command(context, name) for name in group.list_commands(context)}

"""Browsing the archive as it was: pywb serving every site as a collection, on 127.0.0.1.

pywb is the archivists' replay server, and our WARCs already replay in it
(tests/test_replay.py).  It pins an old redis that clashes with ours, so it
lives in a virtualenv of its own: ``$DNA_PYWB`` if set, else the checkout's
``.venv-pywb`` (``make pywb``), else one made on first use in the user's
cache folder.  The collections are laid out in ``DATA/replay``::

    DATA/replay/collections/<site>/archive/<file>.warc.gz   links to DATA/warc/<site>/…
    DATA/replay/collections/<site>/indexes/index.cdxj       the files' CDXJ, merged

and rebuilt on each start, so they always match the archive.  Files still
being written (``.open``) are left out until their crawl closes them.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archive.cdxj import merged_lines
from archive.messages import one_line

if TYPE_CHECKING:
    from archive.layout import DataDir

DEFAULT_PORT = 8080
HOST = "127.0.0.1"
_STARTUP_SECONDS = 60


class ReplayError(Exception):
    """Replay cannot start: the port is taken, pywb cannot be installed, nothing to show."""


def replay_url(site: str, fetched_at: datetime, url: str, port: int = DEFAULT_PORT) -> str:
    """Where ``dna replay`` shows the capture of ``url`` made at ``fetched_at``."""
    stamp = fetched_at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"http://{HOST}:{port}/{site}/{stamp}/{url}"


def pywb_candidates() -> list[Path]:
    """The virtualenvs searched for pywb, in order."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    chosen = [Path(os.environ["DNA_PYWB"])] if os.environ.get("DNA_PYWB") else []
    return [*chosen, Path(__file__).resolve().parents[1] / ".venv-pywb", cache / "dna" / "pywb"]


def find_pywb(install: Callable[[Path], None] | None = None) -> Path:
    """The ``bin`` folder of a pywb virtualenv; made with ``install`` if there is none.

    :param install: called with the folder about to be made (to tell the user).
    :raises ReplayError: there is none and installing it failed.
    """
    candidates = pywb_candidates()
    for venv in candidates:
        if (venv / "bin" / "wayback").exists():
            return venv / "bin"
    target = candidates[0] if os.environ.get("DNA_PYWB") else candidates[-1]
    if install is not None:
        install(target)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
        pip = [str(target / "bin" / "pip"), "install", "--quiet", "pywb"]
        subprocess.run(pip, check=True, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ReplayError(
            f"cannot install pywb into {target} ({exc}); run `make pywb` in the dna checkout, "
            "or set DNA_PYWB to a virtualenv holding pywb"
        ) from exc
    return target / "bin"


def build_collections(data: DataDir) -> list[str]:
    """Lay out ``DATA/replay`` with one collection per site; returns the site names."""
    root = data.root / "replay" / "collections"
    sites = []
    for folder in sorted(p for p in data.warc_root.glob("*") if p.is_dir()):
        warcs = sorted({*folder.glob("*.warc.gz"), *folder.glob("*.warc")})
        if not warcs:
            continue
        collection = root / folder.name
        shutil.rmtree(collection, ignore_errors=True)
        (collection / "archive").mkdir(parents=True)
        (collection / "indexes").mkdir()
        for warc in warcs:
            (collection / "archive" / warc.name).symlink_to(warc.resolve())
        index = collection / "indexes" / "index.cdxj"
        with open(index, "w", encoding="utf-8") as handle:
            handle.writelines(merged_lines({warc: warc.name for warc in warcs}))
        sites.append(folder.name)
    if not sites:
        raise ReplayError(f"no WARC files under {data.warc_root}: crawl a site first (`dna crawl`)")
    return sites


def check_port(port: int) -> None:
    """Raise :class:`ReplayError` naming ``port`` if it cannot be listened on."""
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
            raise ReplayError(
                f"port {port} on {HOST} {reason}: choose another with --port"
            ) from exc


def serve(data: DataDir, bin_dir: Path, port: int, on_ready: Callable[[list[str]], None]) -> int:
    """Run pywb on ``HOST:port`` over every site until it stops; returns its exit code.

    :param on_ready: called with the collections once pywb answers.
    """
    check_port(port)
    sites = build_collections(data)
    command = [str(bin_dir / "wayback"), "-p", str(port), "-b", HOST]
    log = data.root / "replay" / "pywb.log"
    with open(log, "wb") as sink:
        server = subprocess.Popen(command, cwd=log.parent, stdout=sink, stderr=subprocess.STDOUT)
    # SIGTERM (kill, systemd, a terminal closing) ended this process at once
    # and left pywb serving, its parent gone: it now stops as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _wait_until_up(server, port, log)
        on_ready(sites)
        return server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_until_up(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while True:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None:
                last = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                detail = last[-1] if last else f"exit status {server.returncode}"
                raise ReplayError(
                    f"pywb stopped on start: {one_line(detail)} (see {log})"
                ) from None
            if time.monotonic() > deadline:
                raise ReplayError(f"pywb did not answer on port {port} within a minute") from None
            time.sleep(0.2)

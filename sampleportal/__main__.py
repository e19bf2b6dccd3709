"""Serve a sample portal until interrupted: ``python -m sampleportal``.

Prints the base URL on one line, so ``make demo`` can start it in the background and
read where it listens.

Example::

    python -m sampleportal --family vnportal --port 8765
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from .corpus import FAMILIES
from .server import PortalServer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sampleportal",
        description="Serve a sample Vietnamese government news portal on a loopback address.",
    )
    parser.add_argument("--family", choices=FAMILIES, default="vnportal", help="CMS family")
    parser.add_argument("--host", default="127.0.0.1", help="a 127.0.0.x address")
    parser.add_argument("--port", type=int, default=8765, help="port, 0 for any free one")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per response")
    parser.add_argument("--articles", type=int, default=0, help="synthetic articles to add")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic articles")
    parser.add_argument("--faults", action="store_true", help="link the fault endpoints")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server = PortalServer(
        args.family,
        host=args.host,
        port=args.port,
        latency=args.latency,
        extra_articles=args.articles,
        faults=args.faults,
        seed=args.seed,
    )
    try:
        server.start()
    except (OSError, ValueError) as exc:
        print(
            f"error: cannot serve on {args.host}:{args.port}: {exc}; try another --port",
            file=sys.stderr,
        )
        return 1
    print(server.base_url, flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

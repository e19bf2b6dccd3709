"""District News Archive: the ``dna`` command that wires crawler, archive and search."""

import signal


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C while ``dna`` still imports (seconds on a loaded machine): exit 130
    quietly, as an interrupted command does, not with an import traceback."""
    raise SystemExit(130)


# dna.cli hands SIGINT back to Python once every command is loaded.
signal.signal(signal.SIGINT, _interrupted_while_starting)

"""The ``dna`` command: one front door to crawl, archive and search.

Each command parses its arguments, calls one library function and turns our
exceptions into a one-line error.  Usage errors exit 2, failures 1.
"""

from __future__ import annotations

import errno
import importlib
import os
import signal
import sys
from typing import Any

import click

from archive.messages import one_line
from dna.context import DnaError, err_console

#: Each command, and the module of ``dna`` that defines it.
COMMAND_MODULES = {
    "sites": "commands_sites",
    "crawl": "commands_crawl",
    "crawls": "commands_crawl",
    "restore": "commands_archive",
    "verify": "commands_archive",
    "export": "commands_archive",
    "stats": "commands_archive",
    "wacz": "commands_wacz",
    "replay": "commands_wacz",
    "search": "commands_search",
    "show": "commands_search",
    "index": "commands_search",
    "places": "commands_places",
    "schedule": "commands_schedule",
}


class DnaGroup(click.Group):
    """The top of ``dna``: every error a command lets out ends as one line on stderr.

    A reader that stops early (``dna export | head``) ends the command
    quietly with status 0, as ``cat`` stops; Ctrl-C is one line and status
    130, as a shell reports an interrupted command; a usage error is one line
    (exit 2) pointing at ``--help``; any other operating-system error is
    one line (exit 1) naming the file.  Even a bug is one line (exit 1),
    unless ``$DNA_DEBUG`` asks for its traceback.

    Commands are imported when run, not all of them for any one: ``dna
    search`` does not load Scrapy, nor ``dna crawl`` the search code, which
    saves a crawl a fifth of a second of start-up (see :data:`COMMAND_MODULES`).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is None:
            return super().get_command(ctx, cmd_name)
        return getattr(importlib.import_module(f"dna.{module}"), cmd_name)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # dna's own options (``dna --bogus``) are parsed here, before any command.
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _OneLineUsageError(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except KeyboardInterrupt:
            # Not click's "Aborted!" with status 1.  Commands commit in
            # transactions and write files under temporary names: what an
            # interrupted one had committed stays, nothing is half-written.
            err_console.print("Interrupted.")
            raise click.exceptions.Exit(130) from None
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _OneLineUsageError(exc) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _silence_stdout()
                raise click.exceptions.Exit(0) from None
            raise DnaError(describe_os_error(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("DNA_DEBUG"):
                raise
            raise DnaError(
                f"unexpected {type(exc).__name__}: {one_line(str(exc))} "
                "(a bug in dna; DNA_DEBUG=1 shows where)"
            ) from None


class _OneLineUsageError(click.UsageError):
    """A usage error as one line: what is wrong, and where the help is."""

    def __init__(self, error: click.UsageError) -> None:
        message = error.format_message()
        command = error.ctx.command.name if error.ctx else None
        if isinstance(error, click.NoSuchOption) and command == "search":
            # "dna search -bão": a word left out, read as the options -b, -ã, -o.
            message = (
                message.rstrip(".") + "; a query starting with - goes last, after the "
                "options and --: dna search [OPTIONS] -- '-word …'"
            )
        super().__init__(message, error.ctx)
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        where = f" (see: {self.ctx.command_path} --help)" if self.ctx else ""
        DnaError(f"{self.format_message()}{where}").show()


def describe_os_error(exc: OSError) -> str:
    """An operating-system error as a person reads it: what failed, and on which file."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EROFS:
        reason = "read-only file system"
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{reason}"


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit cannot fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


@click.group(
    cls=DnaGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="district-news-archive", prog_name="dna")
def main() -> None:
    """District News Archive: preserve Vietnam's commune and district news portals.

    Harvest portals into WARC files and a database, then search them in
    Vietnamese, with or without diacritics.

    Example:

    \b
        dna sites add xa-thanh-lien https://thanhlien.nghean.gov.vn/
        dna crawl xa-thanh-lien
        dna search "thanh lien"
    """


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the script that makes SHELL complete dna's commands, options and values.

    Load it from your shell's start-up file.

    Example:

    \b
        dna completion bash >> ~/.bashrc
        dna completion zsh > ~/.zfunc/_dna
        dna completion fish > ~/.config/fish/completions/dna.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # every click.Choice above has a class
    click.echo(completer(main, {}, "dna", "_DNA_COMPLETE").source())


# Loaded: Ctrl-C is Python's KeyboardInterrupt again (see dna/__init__.py).
signal.signal(signal.SIGINT, signal.default_int_handler)

"""The front door: every command, given what a new user types wrong, answers in one line.

Each bad input runs the real ``dna`` as a subprocess and must give one line
on stderr, the documented exit code, no traceback, and leave the archive
exactly as it was.  Then every table and listing is read at 60, 100 and 200
columns and in a pipe: ids, site names and URLs are never cut.  Then every
example in ``--help`` and in docs/commands.md must parse, and the ones that
can run against the fixture archive run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from dna.cli import main
from sampleportal import PortalServer
from tests.harness import DNA, sites_toml, subcommands

SITE = "xa-mau"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REPO = Path(__file__).resolve().parents[1]
#: The manual and the README, whose ``$ dna …`` examples must parse.
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.fixture(scope="module")
def portal() -> Iterator[PortalServer]:
    server = PortalServer("vnportal").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def archive(portal: PortalServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small crawl of the sample portal, shared by every test here."""
    data = tmp_path_factory.mktemp("front-door")
    (data / "sites.toml").write_text(sites_toml({SITE: portal}), encoding="utf-8")
    result = dna_at("crawl", SITE, "--max-pages", "30", data=data, columns=60, terminal=True)
    assert result.returncode == 0, result.stderr
    (data / "crawl-at-60.txt").write_text(result.stdout, encoding="utf-8")
    (data / "crawl-at-60.err").write_text(result.stderr, encoding="utf-8")
    return data


def dna_at(
    *args: str,
    data: Path,
    columns: int = 200,
    terminal: bool = False,
    stdin: str | None = None,
) -> subprocess.CompletedProcess:
    """``dna ARGS --data DATA`` as run_dna does, but DATA may be a file or missing."""
    env = dict(os.environ, COLUMNS=str(columns), LINES="5000", PAGER="cat")
    for name in ("DNA_HOME", "DNA_SITES", "DNA_DATABASE_URL", "TTY_COMPATIBLE", "DNA_DEBUG"):
        env.pop(name, None)
    if terminal:
        env["TTY_COMPATIBLE"] = "1"
    return subprocess.run(
        [DNA, *args, "--data", str(data)],
        cwd=data.parent,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        input=stdin,
        check=False,
    )


def fingerprint(data: Path) -> str:
    """What the archive holds: WARC files, sites.toml, and every database row."""
    digest = hashlib.sha256()
    for path in [*sorted((data / "warc").rglob("*")), data / "sites.toml"]:
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    database = sqlite3.connect(f"file:{data / 'archive.sqlite3'}?mode=ro", uri=True)
    try:
        for line in database.iterdump():
            digest.update(line.encode())
    finally:
        database.close()
    return digest.hexdigest()


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, words: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == code, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and words in lines[0], lines[0]


# -- bad input on a good archive ------------------------------------------------

BAD_INPUT = [
    (("search", "lien", "--site", "nope"), 2, f"unknown site 'nope'; known: {SITE}"),
    (("export", "--site", "nope"), 2, "unknown site 'nope'"),
    (("verify", "--site", "nope"), 2, "unknown site 'nope'"),
    (("crawls", "--site", "nope"), 2, "unknown site 'nope'"),
    (("crawl", "nope"), 2, "unknown site 'nope'"),
    (("sites", "refresh-places", "nope"), 2, "unknown site 'nope'"),
    (("search", "lien", "--site", "../etc"), 2, "unsafe name"),
    (("search", "lien", "--since", "2023-02-30"), 2, "no such date '2023-02-30'"),
    (("search", "lien", "--until", "30/01/2023"), 2, "write YYYY-MM-DD"),
    (("search", "lien", "--since", "2023-03-01", "--until", "2023-01-01"), 2, "is after"),
    (("crawl", SITE, "--since", "2023-13-01"), 2, "no such date"),
    (("crawl", SITE, "--since", "2099-01-01"), 2, "is after today"),
    (("search", "AND"), 2, "malformed query"),
    (("search", "-bão"), 2, "a query starting with - goes last, after the options and --"),
    (("search", "lien", "--place", "Thanh Sơn, Phú Thọ"), 2, "names 3 places"),
    (("search", "lien", "--limit", "0"), 2, "--limit"),
    (("search", "lien", "--json", "--csv"), 2, "choose one"),
    (("show", "999999"), 1, "no article 999999"),
    (("sites", "add", "good", "xa.gov.vn"), 2, "did you mean 'https://xa.gov.vn'"),
    (("sites", "add", "Bad Name", "http://127.0.0.1:9/"), 2, "unsafe name"),
    (("sites", "add", SITE, "http://127.0.0.1:9/"), 2, "already in"),
    (("sites", "remove", "nope"), 1, "no site called 'nope'"),
    (("restore", "no-such-path"), 1, "nothing to restore: no such file or directory"),
    # A mistyped --db made an empty archive there, and reported nothing archived.
    (("stats", "--db", "sqlite:////tmp/dna-no-such-dir/typo.db"), 1, "no archive at"),
    (("search", "bão", "--db", "sqlite:////tmp/dna-no-such-dir/typo.db"), 1, "no archive at"),
    (("crawl",), 2, "name at least one SITE"),
    (("crawl", "--all", SITE), 2, "or use --all, not both"),
    (("frobnicate",), 2, "No such command"),
    (("--bogus",), 2, "No such option '--bogus'"),  # dna's own options, before any command
]


@pytest.mark.parametrize(("args", "code", "words"), BAD_INPUT, ids=lambda v: str(v))
def test_bad_input_is_one_line_and_changes_nothing(
    archive: Path, args: tuple[str, ...], code: int, words: str
) -> None:
    before = fingerprint(archive)
    result = dna_at(*args, data=archive)
    if args[0] == "restore":
        # Each input skipped is reported as it is met, then the one error.
        result.stderr = "\n".join(
            line for line in result.stderr.splitlines() if not line.startswith("Skipped:")
        )
    assert_one_line_error(result, code, words)
    assert fingerprint(archive) == before


def test_restore_of_garbage_or_nothing_exits_1_and_adds_nothing(
    archive: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.warc.gz"
    garbage.write_bytes(os.urandom(4096))
    (tmp_path / "empty.warc").write_bytes(b"")
    (tmp_path / "empty-dir").mkdir()
    before = fingerprint(archive)
    for given in (garbage, tmp_path / "empty.warc", tmp_path / "empty-dir"):
        result = dna_at("restore", str(given), data=archive)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[-1].startswith(
            ("Error: nothing restored", "Error: nothing to restore")
        )
    assert fingerprint(archive) == before
    # A directory holding no WARC file is said so before any archive is made.
    result = dna_at("restore", str(tmp_path / "empty-dir"), data=tmp_path / "fresh")
    assert_one_line_error(result, 1, "nothing to restore: no WARC or WACZ file in")
    assert not (tmp_path / "fresh" / "archive.sqlite3").exists()


def test_a_command_that_reads_leaves_an_empty_database_empty(tmp_path: Path) -> None:
    """An empty database named by --db (a mistyped PostgreSQL name, a file
    made by hand) got every dna table from a search; and psql's postgres://
    spelling was "a bug in dna"."""
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for args in (("stats",), ("export",), ("crawls",)):
        result = dna_at(*args, "--db", f"sqlite:///{empty}", data=tmp_path / "data")
        assert_one_line_error(result, 1, "no archive in")
    with sqlite3.connect(empty) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
    result = dna_at("stats", "--db", "postgres://dna:TOPSECRET@127.0.0.1:9/x", data=tmp_path)
    assert_one_line_error(result, 1, "cannot open database postgresql+psycopg://dna:***@")
    assert "TOPSECRET" not in result.stderr


def test_restore_of_a_mistyped_path_leaves_no_archive_behind(tmp_path: Path) -> None:
    """A typo made a new, empty archive.sqlite3 in the data directory, then
    said the input held no HTTP response."""
    result = dna_at("restore", "bakcup/warc", data=tmp_path / "fresh")
    assert_one_line_error(result, 1, "nothing to restore: no such file or directory: bakcup")
    assert not (tmp_path / "fresh" / "archive.sqlite3").exists()


def test_restore_of_no_warc_at_all_leaves_no_archive_behind(tmp_path: Path) -> None:
    """An empty file or one that is no WARC left an empty archive.sqlite3, and
    `dna search` there then spoke of indexes, not of a missing archive."""
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    result = dna_at("restore", str(empty), data=tmp_path / "fresh")
    assert result.returncode == 1
    assert not (tmp_path / "fresh" / "archive.sqlite3").exists()


def test_restore_that_skips_some_inputs_counts_them_and_exits_0(
    archive: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.warc.gz"
    garbage.write_bytes(os.urandom(4096))
    target = tmp_path / "restored"
    result = dna_at("restore", str(garbage), str(archive / "warc"), data=target)
    assert result.returncode == 0, result.stderr
    assert "1 input(s) skipped whole" in result.stderr


def test_a_data_path_that_is_a_file_is_one_line_for_every_command(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "archive.txt"
    not_a_dir.write_text("not an archive\n")
    commands = [
        ("crawls",),
        ("stats",),
        ("export",),
        ("verify",),
        ("index",),
        ("search", "lien"),
        ("show", "1"),
        ("crawl", SITE),
        ("restore", str(tmp_path)),
        ("sites", "add", "xa-a", "http://127.0.0.1:9/"),
    ]
    for args in commands:
        assert_one_line_error(dna_at(*args, data=not_a_dir), 1, "is a file, not a data directory")
    assert not_a_dir.read_text() == "not an archive\n"


def test_read_commands_on_a_mistyped_data_directory_create_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "dna-dtaa"
    for args in [("crawls",), ("stats",), ("export",), ("verify",), ("search", "x"), ("show", "1")]:
        assert_one_line_error(dna_at(*args, data=missing), 1, "no archive in")
    # A place is looked up in the gazetteer, archive or not.
    place = dna_at("places", "Thanh Liên", data=missing)
    assert place.returncode == 0, place.stderr
    assert "now part of" in place.stdout and "No archive in" in place.stdout
    assert not missing.exists()


def _read_only(archive: Path, *args: str) -> subprocess.CompletedProcess:
    """``dna ARGS`` with ``archive`` mounted read-only in a namespace of its own."""
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    env = dict(os.environ, COLUMNS="200")
    env.pop("DNA_HOME", None)
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, str(archive), DNA, *args, "--data", str(archive)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_an_archive_on_read_only_media_is_searchable_and_refuses_writes(archive: Path) -> None:
    probe = ["unshare", "-rm", "sh", "-c", 'mount --bind -o ro "$0" "$0"', str(archive)]
    if shutil.which("unshare") is None or subprocess.run(probe, check=False).returncode:
        pytest.skip("no user namespaces here to mount the archive read-only")
    before = fingerprint(archive)
    for args in [
        ("search", "thanh lien"),
        ("show", "1"),
        ("crawls",),
        ("stats",),
        ("export",),
        ("verify",),
        ("places", "Thanh Liên"),
    ]:
        result = _read_only(archive, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    for args in [("crawl", SITE), ("index",), ("sites", "add", "x", "http://127.0.0.1:9/")]:
        assert_one_line_error(_read_only(archive, *args), 1, "read-only")
    assert fingerprint(archive) == before


def test_a_reader_that_stops_early_ends_the_command_quietly(archive: Path) -> None:
    commands = (("export",), ("search", "thanh lien"), ("crawls",), ("show", "1"))
    for args in (*commands, ("places", "Thanh Liên"), ("stats",), ("sites",)):
        process = subprocess.Popen(
            [DNA, *args, "--data", str(archive)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if k != "DNA_HOME"},
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # as `head` does once it has enough
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0, errors
        assert errors.strip() in ("", "Exported 0 article(s).") or "Exported" in errors, errors
        assert "Traceback" not in errors and "Error" not in errors


def test_ctrl_c_in_a_command_is_one_line_exit_130_and_changes_nothing(tmp_path: Path) -> None:
    # A portal that takes the connection and never answers holds `sites add`
    # in its probe: the command is running when Ctrl-C comes.
    (tmp_path / "sites.toml").write_text(sites_toml({}), encoding="utf-8")
    before = (tmp_path / "sites.toml").read_bytes()
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        process = subprocess.Popen(
            [DNA, "sites", "add", "xa", f"http://127.0.0.1:{port}/", "--data", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        silent.settimeout(60)
        connection, _ = silent.accept()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        connection.close()
    assert process.returncode == 130, stderr
    assert (stdout, stderr.strip()) == ("", "Interrupted.")
    assert (tmp_path / "sites.toml").read_bytes() == before


def test_completion_prints_a_script_for_each_shell_and_refuses_others() -> None:
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete ")):
        result = subprocess.run([DNA, "completion", shell], capture_output=True, text=True)
        assert result.returncode == 0 and marker in result.stdout, result.stderr
    wrong = subprocess.run([DNA, "completion", "tcsh"], capture_output=True, text=True)
    assert_one_line_error(wrong, 2, "'tcsh' is not one of")


# -- sites.toml that does not parse -----------------------------------------------


def test_a_syntax_error_in_one_site_leaves_the_others_usable(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    broken = (
        '[[site]]\nname = "good"\nstart_urls = ["http://127.0.0.1:9/"]\n\n'
        '[[site]]\nname = "bad\nstart_urls = ["http://127.0.0.1:9/"]\n'
    )
    sites.write_text(broken, encoding="utf-8")
    listing = dna_at("sites", data=tmp_path)
    assert listing.returncode == 1
    assert "good" in listing.stdout and "TOML syntax" in listing.stderr
    added = dna_at("sites", "add", "new", "http://127.0.0.1:9/", data=tmp_path)
    assert_one_line_error(added, 2, "cannot be parsed")
    assert sites.read_text(encoding="utf-8") == broken


def test_sites_remove_takes_out_one_entry_and_keeps_the_rest_as_written(tmp_path: Path) -> None:
    text = (
        "# portals of Thanh Chương\n"
        '[[site]]\nname = "a"\nstart_urls = ["http://127.0.0.1:9/"]\n\n'
        '[[site]]\nname = "b"\nstart_urls = ["http://127.0.0.1:9/b"]\n\n'
        '[[site]]\nname = "c"  # last\nstart_urls = ["http://127.0.0.1:9/c"]\n'
    )
    (tmp_path / "sites.toml").write_text(text, encoding="utf-8")
    result = dna_at("sites", "remove", "b", data=tmp_path)
    assert result.returncode == 0, result.stderr
    after = (tmp_path / "sites.toml").read_text(encoding="utf-8")
    assert after == text.replace(
        '[[site]]\nname = "b"\nstart_urls = ["http://127.0.0.1:9/b"]\n\n', ""
    )


# -- the terminal ---------------------------------------------------------------


def _urls_whole(output: str, urls: list[str]) -> None:
    """Each URL appears whole, on one line or folded across lines (never cut)."""
    joined = "".join(line.strip(" │┃") for line in output.splitlines())
    for url in urls:
        assert url in output or url in joined, url


@pytest.mark.parametrize("columns", [60, 100, 200, None], ids=["60", "100", "200", "pipe"])
def test_ids_site_names_and_urls_are_never_cut(archive: Path, columns: int | None) -> None:
    terminal = columns is not None
    width = columns or 80

    def show(*args: str) -> str:
        result = dna_at(*args, data=archive, columns=width, terminal=terminal)
        assert result.returncode == 0, result.stderr
        text = ANSI.sub("", result.stdout)
        if terminal:
            # Only a URL, printed whole for the terminal to wrap, may be longer.
            too_long = [line for line in text.splitlines() if len(line) > width]
            assert all(re.fullmatch(r"\s*https?://\S+", line) for line in too_long), too_long
        return text

    found = show("search", "thanh lien")
    listed = dna_at("search", "thanh lien", "--json", data=archive).stdout.splitlines()
    records = [json.loads(line) for line in listed]
    assert records
    for record in records:
        assert re.search(rf"(?<!\d){record['id']}(?!\d)", found)
        assert SITE in found
    _urls_whole(found, [record["url"] for record in records])

    article = show("show", str(records[0]["id"]))
    _urls_whole(article, [record["url"] for record in records[:1]])

    crawls = show("crawls")
    assert re.search(rf"^\W*1\W+{SITE}\b", crawls, re.MULTILINE), crawls

    sites = show("sites")
    assert SITE in sites
    _urls_whole(sites, [re.search(r"http://127\.0\.0\.1:\d+/", sites).group()])

    if not terminal:
        assert not any("┃" in line or "│" in line for line in found.splitlines())


def test_the_crawl_summary_keeps_site_names_at_60_columns_and_has_no_stale_frame(
    archive: Path, portal: PortalServer
) -> None:
    summary = ANSI.sub("", (archive / "crawl-at-60.txt").read_text(encoding="utf-8"))
    assert SITE in summary
    assert summary.count("Crawl summary") == 1
    assert "Crawling…" not in summary.split("Crawl summary")[-1]
    assert "running" not in summary.split("Crawl summary")[-1]


def test_indexing_after_a_crawl_shows_a_bar_on_a_terminal_and_nothing_in_a_pipe(
    archive: Path,
) -> None:
    shown = ANSI.sub("", (archive / "crawl-at-60.err").read_text(encoding="utf-8"))
    assert re.search(r"Indexing new and changed articles .* (\d+)/\1\b", shown), shown
    piped = dna_at("index", data=archive)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    assert piped.stdout.startswith("Indexed 0 articles")


# -- examples -------------------------------------------------------------------


def _examples_in_help(command: click.Command) -> Iterator[tuple[str, ...]]:
    for line in (command.help or "").splitlines():
        if line.strip().startswith("dna "):
            yield tuple(shlex.split(line.strip(), comments=True))
    if isinstance(command, click.Group):
        for sub in subcommands(command).values():
            yield from _examples_in_help(sub)


def _examples_in_docs() -> Iterator[tuple[str, ...]]:
    for page in DOCS:
        # A command continued on the next line (ending with \\) is one command;
        # one shown failing (its next line an error) is no example to follow.
        lines = page.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
        for line, after in zip(lines, [*lines[1:], ""], strict=True):
            if line.startswith("$ dna ") and not after.startswith("Error:"):
                yield tuple(shlex.split(line[2:], comments=True))


def _without_redirection(words: tuple[str, ...]) -> list[str]:
    cut = next((at for at, word in enumerate(words) if word in (">", ">>", "|")), len(words))
    return list(words[1:cut])


def test_every_example_in_help_and_docs_parses() -> None:
    examples = [*_examples_in_help(main), *_examples_in_docs()]
    assert len(examples) > 30
    for example in examples:
        rest = _without_redirection(example)
        command: click.Command = main
        while isinstance(command, click.Group) and rest and rest[0] in subcommands(command):
            command = subcommands(command)[rest.pop(0)]
        try:
            command.make_context(command.name or "dna", rest)
        except click.ClickException as exc:
            pytest.fail(f"{shlex.join(example)}: {exc.format_message()}")


def test_search_and_places_examples_run_against_an_archive(archive: Path) -> None:
    examples = [*_examples_in_help(main), *_examples_in_docs()]
    runnable = [
        _without_redirection(example)
        for example in examples
        if example[1] in ("search", "places")
        # Not another site's, nor another database's: the archive here is SQLite on
        # loopback, and an example's server (10.0.0.5) is no address to send to.
        and not {"--site", "--db", "--backend"} & set(example)
    ]
    assert len(runnable) >= 4
    for args in runnable:
        result = dna_at(*args, data=archive)
        assert result.returncode == 0, (args, result.stderr)

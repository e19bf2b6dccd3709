"""``dna search``, ``show``, ``index`` and ``stats`` through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archive.export import FIELDS
from archive.store import Store
from archive.warcwriter import HttpRequestData, HttpResponseData, WarcFileWriter
from dna.cli import main
from dna.commands_search import HIT_FIELDS
from search.indexdir import IndexState, write_state
from tests.corpus import CORPUS, add_articles, build_archive, record


def dna(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("data")
    store, _ = build_archive(root)
    store.close()
    yield root


def test_search_prints_total_and_hits_plainly_in_a_pipe(data: Path) -> None:
    result = dna("search", "nong thon moi", "--data", str(data), "--limit", "1")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "3 hits for 'nong thon moi', showing 1–1\n"
        "\n"
        "2023-11-20  xa-thanh-lien  Thanh Liên về đích nông thôn mới nâng cao\n"
        "    Sau 5 năm phấn đấu, xã đã hoàn thành 19/19 tiêu chí nông thôn mới nâng cao. "
        "Người dân hiến đất làm đường giao thông, góp phần xây dựng nông thôn mới.\n"
        "    https://xa-thanh-lien.gov.vn/tin-tuc/ntm-dat-chuan.html  (id 2)\n"
    )


def test_search_shows_each_hit_with_its_id_on_a_terminal(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dna.commands_search.is_terminal", lambda: True)
    result = dna("search", "hdnd", "--data", str(data))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].strip() == "1 hit for 'hdnd', showing 1–1"
    hit_id, _, site = lines[2].split()
    assert hit_id.isdigit() and site == "xa-thanh-lien"
    assert "Kỳ họp thứ 7 HĐND" in lines[3]


def test_search_finds_the_seed_for_thanh_lien(data: Path) -> None:
    result = dna("search", "thanh lien", "--data", str(data))
    assert result.exit_code == 0
    assert f"2024-01-12  xa-thanh-lien  {CORPUS[0].title}" in result.output.splitlines()


def test_full_width_letters_pasted_from_a_pdf_search_as_typed(data: Path) -> None:
    result = dna("search", "ｔｈａｎｈ ｌｉｅｎ", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert f"2024-01-12  xa-thanh-lien  {CORPUS[0].title}" in result.output.splitlines()


def test_search_json_lines(data: Path) -> None:
    result = dna("search", "bão", "--json", "--limit", "2", "--data", str(data))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    hits = [json.loads(line) for line in lines]
    assert [tuple(hit) for hit in hits] == [HIT_FIELDS, HIT_FIELDS]
    assert hits[0]["title"] == "Khắc phục hậu quả cơn bão số 3"
    assert hits[0]["published"] == "2024-09-08T08:00:00+07:00"
    assert hits[0]["score"] > hits[1]["score"] > 0
    assert "bão" in hits[0]["snippet"]
    assert (
        result.stderr
        == "8 hits for 'bão', 2 of them spelled as typed (--exact: those only), showing 1–2\n"
    )


def test_export_writes_every_hit_with_its_full_text(data: Path, tmp_path: Path) -> None:
    """search --json gave one page of ten snippets; a researcher exporting what
    they found needs every hit, whole, as dna export writes articles."""
    storms = tmp_path / "storms.csv"
    result = dna("search", "bão", "--exact", "--export", str(storms), "--data", str(data))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(storms.read_text(encoding="utf-8"))))
    assert {row["title"] for row in rows} == {STORM, STORM_2}
    assert tuple(rows[0]) == FIELDS and all("bão" in row["body"] for row in rows)
    assert "Exported 2 article(s) as csv" in result.stderr
    every = dna("search", "bão", "--export", "-", "--limit", "1", "--data", str(data))
    records = [json.loads(line) for line in every.stdout.splitlines()]
    assert len(records) == 8 and len({record["id"] for record in records}) == 8
    both = dna("search", "bão", "--csv", "--export", str(storms), "--data", str(data))
    assert both.exit_code == 2 and "choose one of --json, --csv and --export" in both.output


def test_exact_keeps_the_spellings_typed_and_says_when_none_has_them(data: Path) -> None:
    result = dna("search", "bão", "--exact", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 hits for 'bão', showing 1–2\n")
    none = dna("search", "bằo", "--exact", "--data", str(data))
    assert none.exit_code == 0
    assert none.stdout == "0 hits for 'bằo'\n"
    assert "without --exact, other diacritics match too" in none.stderr
    folded = dna("search", "bằo", "--data", str(data))
    assert folded.stdout.startswith("8 hits for 'bằo', none spelled as typed: all with other")
    both = dna("search", "bão", "--exact", "--fuzzy", "--data", str(data))
    assert both.exit_code == 2
    assert "choose one of --exact" in both.output


def test_search_csv(data: Path) -> None:
    result = dna("search", "hdnd", "--csv", "--data", str(data))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["title"] for row in rows] == ["Kỳ họp thứ 7 HĐND xã khóa XXI"]
    assert tuple(rows[0]) == HIT_FIELDS


def test_json_and_csv_exclude_each_other(data: Path) -> None:
    result = dna("search", "bão", "--json", "--csv", "--data", str(data))
    assert result.exit_code == 2
    assert "choose one of --json, --csv and --export" in result.output


STORM = "Khắc phục hậu quả cơn bão số 3"
STORM_2 = "Chủ động ứng phó bão lũ, bảo đảm an toàn cho người dân"


@pytest.mark.parametrize(
    ("options", "first", "site", "dates"),
    [
        (
            ["--site", "huyen-thanh-chuong"],
            "Báo Nghệ An trao giải báo chí tuyên truyền",
            "huyen-thanh-chuong",
            "",
        ),
        (["--since", "2024-09-06"], STORM, "", "2024-09-06"),
        (["--until", "2024-09-05"], STORM_2, "", "2024-09-05"),
        (["--category", "quoc phong - an ninh"], STORM_2, "", ""),
    ],
)
def test_search_filters(data: Path, options: list[str], first: str, site: str, dates: str) -> None:
    result = dna("search", "bão", "--json", "--data", str(data), *options)
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits[0]["title"] == first
    assert all(hit["site"].startswith(site) for hit in hits)
    if options[0] == "--since":
        assert all(hit["published"] >= dates for hit in hits)
    if options[0] == "--until":
        assert all(hit["published"][:10] <= dates for hit in hits)
        assert STORM not in [hit["title"] for hit in hits]


def test_search_sorts_by_date_and_pages(data: Path) -> None:
    def dates(*options: str) -> list[str]:
        result = dna("search", "xã", "--json", "--data", str(data), *options)
        return [json.loads(line)["published"][:10] for line in result.stdout.splitlines()]

    newest = dates("--sort", "newest", "--limit", "3")
    assert newest == sorted(newest, reverse=True)
    assert dates("--sort", "oldest", "--limit", "1") == ["2017-04-01"]
    assert dates("--sort", "newest", "--limit", "1", "--page", "2") == newest[1:2]
    result = dna("search", "xã", "--json", "--sort", "newest", "--data", str(data))
    assert json.loads(result.stdout.splitlines()[0])["score"] is None


def test_search_past_the_last_page(data: Path) -> None:
    result = dna("search", "hdnd", "--page", "3", "--data", str(data))
    assert result.exit_code == 0
    assert result.output == "1 hit for 'hdnd', none on page 3\n"


def test_search_accepts_whoosh_syntax(data: Path) -> None:
    def titles(query: str) -> list[str]:
        result = dna("search", query, "--json", "--data", str(data))
        assert result.exit_code == 0, result.output
        return [json.loads(line)["title"] for line in result.stdout.splitlines()]

    assert titles("title:hđnd OR title:mttq") == [
        "Kỳ họp thứ 7 HĐND xã khóa XXI",
        "Ủy ban MTTQ xã trao quà Tết cho hộ nghèo",
    ] or set(titles("title:hđnd OR title:mttq")) == {
        "Kỳ họp thứ 7 HĐND xã khóa XXI",
        "Ủy ban MTTQ xã trao quà Tết cho hộ nghèo",
    }
    assert "Khắc phục hậu quả cơn bão số 3" not in titles("bão NOT dân")
    assert titles("bão AND site:huyen-thanh-chuong") == [
        "Báo Nghệ An trao giải báo chí tuyên truyền"
    ]
    assert "Đảng ủy xã lãnh đạo thực hiện nhiệm vụ chính trị" in titles("dang*")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('nông "thôn mới', "unclosed quote (column 6: '\"thôn mới')"),
        ("(bão OR lũ", "unclosed '(' (column 1: '(bão OR lũ')"),
        ("bão)", "unmatched ')' (column 4: ')')"),
        ("bão AND", "nothing after the operator (column 5: 'AND')"),
        ("OR bão", "nothing before OR (column 1: 'OR bão')"),
        ("tieude:bão", "unknown field 'tieude'"),
        ("published:hôm-qua", "cannot read 'hôm-qua' as published"),
        ("bão published:[2024 TO 2023]", "the date range ends before it begins (column 15"),
        ("id:abc", "an article id is a number (as `dna show` takes), not 'abc'"),
        ("   ", "the query is empty"),
        ("thanh~1 liên", '~ works after a "phrase" (words near each other); for typos'),
        ("bão~", "for typos in words, add --fuzzy (column 4: '~')"),
    ],
)
def test_malformed_query_is_a_usage_error(data: Path, query: str, message: str) -> None:
    result = dna("search", query, "--data", str(data))
    assert result.exit_code == 2
    assert result.output.startswith("Error: malformed query: ")
    assert message in " ".join(result.output.split())


def test_missing_index_hints_at_crawl_or_rebuild(tmp_path: Path) -> None:
    Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}").close()  # an archive, never indexed
    result = dna("search", "bão", "--data", str(tmp_path))
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "no search index" in text
    assert "dna crawl SITE" in text and "dna index --rebuild" in text


def test_empty_index_hints_at_crawl_or_rebuild(tmp_path: Path) -> None:
    assert dna("index", "--data", str(tmp_path)).exit_code == 0
    result = dna("search", "bão", "--data", str(tmp_path))
    assert result.exit_code == 1
    assert "the search index is empty" in result.output


def test_corrupt_index_names_the_rebuild(tmp_path: Path) -> None:
    store, _ = build_archive(tmp_path, CORPUS[:2])
    store.close()
    for path in (tmp_path / "index").glob("*.toc"):
        path.write_bytes(b"not a table of contents")
    result = dna("search", "bão", "--data", str(tmp_path))
    assert result.exit_code == 1
    assert "`dna index --rebuild`" in " ".join(result.output.split())
    rebuilt = dna("index", "--rebuild", "--data", str(tmp_path))
    assert rebuilt.output.startswith("Indexed 2 articles in ")
    assert dna("search", "thanh lien", "--data", str(tmp_path)).exit_code == 0


def test_outdated_index_names_the_rebuild(tmp_path: Path) -> None:
    store, _ = build_archive(tmp_path, CORPUS[:2])
    store.close()
    write_state(tmp_path / "index", IndexState(schema_version=0))
    result = dna("search", "bão", "--data", str(tmp_path))
    assert result.exit_code == 1
    assert "schema version 0, this dna needs" in " ".join(result.output.split())
    assert "`dna index --rebuild`" in " ".join(result.output.split())


def test_articles_archived_since_the_index_was_updated_are_said_not_searched(
    tmp_path: Path,
) -> None:
    """A crawl into PostgreSQL (or with --no-index) leaves a Whoosh index
    behind: searched, it answered from an old snapshot with exit 0."""
    store, _ = build_archive(tmp_path, CORPUS[:2])
    add_articles(store, CORPUS[2:4])
    store.close()
    result = dna("search", "xã", "--data", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Note: 2 articles archived since the index was last updated are not searched" in (
        " ".join(result.output.split())
    )
    dna("index", "--data", str(tmp_path))
    assert "Note:" not in dna("search", "xã", "--data", str(tmp_path)).output


def test_index_updates_incrementally(tmp_path: Path) -> None:
    store, _ = build_archive(tmp_path, CORPUS[:3])
    store.close()
    assert dna("index", "--data", str(tmp_path)).output.startswith("Indexed 0 articles in ")
    assert dna("index", "--rebuild", "--data", str(tmp_path)).output.startswith(
        "Indexed 3 articles in "
    )


def test_show_prints_metadata_provenance_text_and_versions(data: Path) -> None:
    result = dna("show", "1", "--data", str(data))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == CORPUS[0].title
    assert "  published    2024-01-12 08:00 (UTC+7) (from page)" in lines
    assert "  author       Hữu Thịnh – Trung tâm VHTT&TT" in lines
    assert "  WARC file    xa-thanh-lien-0001.warc.gz" in lines
    assert "  captured     2024-06-01 10:00:00 (UTC+7)" in lines
    assert lines[lines.index("Text") + 1] == CORPUS[0].lead
    assert "Image: Toàn cảnh hội nghị tại hội trường UBND xã." in result.output
    assert lines[-2] == "Versions (1), times in UTC+7"
    assert lines[-1].startswith(f"  1. 2024-06-01 10:00  {CORPUS[0].title}  ")
    assert lines[-1].endswith("(current)")


def test_show_by_url(data: Path) -> None:
    url = record(CORPUS[1]).url
    result = dna("show", url, "--data", str(data))
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == CORPUS[1].title


def test_show_finds_a_url_however_it_was_copied(data: Path) -> None:
    """A URL pasted from a browser or a citation ('HTTP://…', a final slash, a
    tracking parameter, a session token the crawl learnt to leave out under a
    name nobody lists) was 'no article': the archive holds it as crawled."""
    url = record(CORPUS[1]).url
    scheme, rest = url.split("://")
    host, path = rest.split("/", 1)
    typings = (f"{scheme.upper()}://{host.upper()}/{path}/", f"{url}?utm_source=zalo")
    for typed in (*typings, f"{url}?k=0123456789abcdef"):
        result = dna("show", typed, "--data", str(data))
        assert result.exit_code == 0, (typed, result.output)
        assert result.output.splitlines()[0] == CORPUS[1].title


def test_show_unknown_article(data: Path) -> None:
    result = dna("show", "9999", "--data", str(data))
    assert result.exit_code == 1
    assert "no article 9999 in the archive" in result.output
    # More digits than SQL holds was an OverflowError, "a bug in dna".
    huge = "9" * 23
    result = dna("show", huge, "--data", str(data))
    assert (result.exit_code, result.output.strip()) == (
        1,
        f"Error: no article {huge} in the archive (ids are printed by `dna search`)",
    )


def test_show_takes_an_id_pasted_with_spaces(data: Path) -> None:
    result = dna("show", " 1 ", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == CORPUS[0].title


def test_show_follows_a_captured_redirect_to_its_article(tmp_path: Path) -> None:
    """A listing links to /tin-tuc/duong-truc-xa, which redirects to the
    article: the link a researcher copies was 'no article' (restorer probe).
    A redirect loop ends in 'no article'."""
    warcs = WarcFileWriter(tmp_path / "warc" / "xa-thanh-lien", "xa-thanh-lien")
    fetched = datetime(2024, 6, 1, 3, tzinfo=UTC)
    url = record(CORPUS[0]).url
    host = url.split("/tin-tuc/")[0]
    hops = {
        f"{host}/duong-truc-xa": "/tin-tuc/duong-truc-xa",  # relative, then another hop
        f"{host}/tin-tuc/duong-truc-xa": url,
        f"{host}/vong-a": f"{host}/vong-b",
        f"{host}/vong-b": "/vong-a",
    }
    captures = [
        warcs.write_exchange(
            HttpRequestData("GET", source, [("User-Agent", "dna-test")]),
            HttpResponseData(301, [("Location", target)], b"Moved"),
            fetched,
        )
        for source, target in hops.items()
    ]
    page = "<html><body><h1>Xã Thanh Liên</h1></body></html>".encode()
    captures.append(
        warcs.write_exchange(
            HttpRequestData("GET", url, [("User-Agent", "dna-test")]),
            HttpResponseData(200, [("Content-Type", "text/html")], page),
            fetched,
        )
    )
    warcs.close()
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    site = store.site_id("xa-thanh-lien")
    writer = store.writer(site, store.start_crawl(site))
    for capture in captures:
        writer.add_capture(capture)
    writer.add_article(record(CORPUS[0]), captures[-1].record_id, fetched)
    writer.flush()
    store.close()
    result = dna("show", f"{host}/duong-truc-xa", "--data", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == CORPUS[0].title
    result = dna("show", f"{host}/vong-a", "--data", str(tmp_path))
    assert (result.exit_code, "no article" in result.output) == (1, True)


def test_show_raw_prints_the_archived_html(tmp_path: Path) -> None:
    html = "<html><body><h1>Xã Thanh Liên</h1></body></html>".encode()
    warcs = WarcFileWriter(tmp_path / "warc" / "xa-thanh-lien", "xa-thanh-lien")
    fetched = datetime(2024, 6, 1, 3, tzinfo=UTC)
    url = record(CORPUS[0]).url
    capture = warcs.write_exchange(
        HttpRequestData("GET", url, [("User-Agent", "dna-test")]),
        HttpResponseData(200, [("Content-Type", "text/html; charset=utf-8")], html),
        fetched,
    )
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    site = store.site_id("xa-thanh-lien")
    writer = store.writer(site, store.start_crawl(site))
    writer.add_capture(capture)
    writer.add_article(record(CORPUS[0]), capture.record_id, fetched)
    writer.flush()
    store.close()
    result = dna("show", url, "--raw", "--data", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == html
    warcs.close()
    assert dna("show", url, "--raw", "--data", str(tmp_path)).stdout_bytes == html


def test_stats(data: Path) -> None:
    result = dna("stats", "--data", str(data))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == [
        "Articles per site and year",
        "site                2017  2022  2023  2024  total",
        "huyen-thanh-chuong        1     3     1     5",
        "xa-thanh-lien       1     2     14    9     26",
    ]
    assert lines[lines.index("Crawls") + 1].split() == [
        "site",
        "crawls",
        "last",
        "started",
        "(UTC+7)",
        "last",
        "status",
        "pages",
        "new",
        "updated",
        "errors",
    ]
    size = {line.split("  ")[0]: line.split("  ")[-1].strip() for line in lines if "  " in line}
    assert size["articles"] == "31 (31 versions)"
    assert re.fullmatch(r"\d+\.\d (KB|MB)", size["search index (Whoosh)"])
    assert re.fullmatch(r"\d+\.\d (KB|MB)", size["database"])


@pytest.mark.parametrize("command", ["search", "show", "index", "stats"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = dna(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_a_real_crawl_leaves_the_seed_searchable(harvest: Any) -> None:
    """``make demo``'s last step: crawl the sample portals, then search them."""
    from sampleportal.corpus import load_articles

    seed = load_articles("vnportal")[0]
    result = dna("search", "thanh lien", "--json", "--limit", "20", "--data", str(harvest.data))
    assert result.exit_code == 0, result.output
    titles = [json.loads(line)["title"] for line in result.stdout.splitlines()]
    assert seed.title in titles
    url = next(
        json.loads(line)["url"]
        for line in result.stdout.splitlines()
        if json.loads(line)["title"] == seed.title
    )
    raw = dna("show", url, "--raw", "--data", str(harvest.data))
    assert raw.exit_code == 0, raw.output
    assert b"UBMTTQ" in raw.stdout_bytes


@pytest.mark.parametrize("option", ["--site", "--category", "--place", "--province", "--district"])
def test_a_filter_given_twice_is_a_usage_error(data: Path, option: str) -> None:
    """'--province "Nghệ An" --province "Hà Tĩnh"' searched Hà Tĩnh alone, and
    said nothing: a historian comparing two provinces got half of them."""
    one, other = ("xa-thanh-lien", "xa-a") if option == "--site" else ("Nghệ An", "Hà Tĩnh")
    result = dna("search", "xa", option, one, option, other, "--data", str(data))
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': given 2 times; give it once" in result.output

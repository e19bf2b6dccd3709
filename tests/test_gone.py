"""Articles deleted from their portal: a full crawl rechecks what no link leads to.

A portal deletes an article by taking it off its lists; its URL then answers
404 or 410.  The archive keeps the article and says it is gone, from the
captures alone, so a restore from the WARC files says the same.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness import TEST_CRAWLER_OPTIONS, run_dna, serve_pages

TITLES = {
    1: "Hội nghị tổng kết công tác năm 2024",
    2: "Lễ ra quân đầu xuân trồng cây",
    3: "Trao quà cho hộ nghèo dịp Tết",
    4: "Tập huấn phòng chống thiên tai",
    5: "Khánh thành nhà văn hóa thôn Đông",
}


def _article(number: int) -> tuple[int, bytes]:
    title = TITLES[number]
    story = "".join(
        f"<p>Sáng ngày {day}/5, Ủy ban nhân dân xã tổ chức sự kiện số {number}: {title.lower()}, "
        "đánh giá kết quả đạt được và đề ra nhiệm vụ trọng tâm cho thời gian tới.</p>"
        for day in (2, 3, 4)
    )
    body = f"<div class='noidung'><h1>{title}</h1><p>Đăng ngày 0{number}/05/2025</p>{story}</div>"
    return 200, f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def _home(paths: list[str]) -> tuple[int, bytes]:
    links = "".join(f'<li><a href="{path}">{path}</a></li>' for path in paths)
    return 200, f"<html><head><title>Xã</title></head><body><ul>{links}</ul></body></html>".encode()


def _exported(data: Path, *args: str) -> dict[str, dict]:
    result = run_dna("export", *args, data=data)
    assert result.returncode == 0, result.stderr
    return {row["url"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_a_full_crawl_finds_deleted_articles_gone_and_keeps_them(
    tmp_path: Path, database_url: str
) -> None:
    articles = {f"/tin/{n}.html": _article(n) for n in TITLES}
    pages = {"/": _home(list(articles)), **articles}
    server, asked = serve_pages(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    data = tmp_path / "data"
    data.mkdir()
    db = ("--db", database_url)
    (data / "sites.toml").write_text(
        f'{TEST_CRAWLER_OPTIONS}\n[[site]]\nname = "xa"\nstart_urls = ["{base}/"]\n',
        encoding="utf-8",
    )
    try:
        assert run_dna("crawl", "xa", "--no-index", *db, data=data).returncode == 0
        assert len(_exported(data, *db)) == 5
        # The editor deletes 2 (404) and 3 (410), leaves 4 online but on no
        # list, and moves 5 to a new address, its old one answering 404.
        pages["/"] = _home(["/tin/1.html", "/bai/5.html"])
        pages["/tin/2.html"] = (404, b"not here")
        pages["/tin/3.html"] = (410, b"gone")
        pages["/bai/5.html"] = pages.pop("/tin/5.html")
        asked.clear()
        full = run_dna("crawl", "xa", "--no-index", "--mode", "full", *db, data=data)
        assert full.returncode == 0, full.stdout + full.stderr
        rechecked = {path for path in asked if path.startswith("/tin/")} - {"/tin/1.html"}
        assert rechecked == {"/tin/2.html", "/tin/3.html", "/tin/4.html"}
        assert (
            f"gone: 2 archived article(s) answer 404 or 410 (e.g. {base}/tin/2.html): deleted "
            "from the portal, kept in the archive (dna export --gone lists them); 3 no link "
            "led to were asked again"
        ) in " ".join(full.stdout.split())
        assert "Failed pages" not in full.stdout  # a deletion is a finding, not a failure

        every = _exported(data, *db)
        assert len(every) == 5  # nothing archived is lost
        gone = _exported(data, "--gone", *db)
        assert set(gone) == {f"{base}/tin/2.html", f"{base}/tin/3.html"}
        assert all(row["gone_since"] for row in gone.values())
        assert every[f"{base}/tin/4.html"]["gone_since"] is None
        # Seen again by the recheck: its last sighting is this crawl's.
        assert every[f"{base}/tin/4.html"]["last_seen"] > every[f"{base}/tin/4.html"]["first_seen"]
        assert every[f"{base}/tin/5.html"]["gone_since"] is None  # moved, not gone

        shown = run_dna("show", f"{base}/tin/3.html", *db, data=data)
        assert "deleted from the portal: HTTP 410 since" in shown.stdout
        crawls = run_dna("crawls", *db, data=data)
        assert "gone: 2 archived" in crawls.stdout
        stats = run_dna("stats", *db, data=data)
        assert "5 (5 versions; 2 gone from their portals: dna export --gone)" in stats.stdout

        # WARC is the source of truth: a restore says the same.
        restored = tmp_path / "restored"
        result = run_dna("restore", str(data / "warc"), "--no-index", data=restored)
        assert result.returncode == 0, result.stdout + result.stderr
        assert set(_exported(restored, "--gone")) == set(gone)

        # 2 comes back online; 1, still linked, is deleted; 5, moved before,
        # is taken off the lists and deleted at its new address.
        pages["/tin/2.html"] = _article(2)
        pages["/tin/1.html"] = (404, b"not here")
        pages["/bai/5.html"] = (404, b"not here")
        pages["/"] = _home(["/tin/1.html", "/tin/2.html"])
        asked.clear()
        again = run_dna("crawl", "xa", "--no-index", "--mode", "full", *db, data=data)
        assert again.returncode == 0, again.stdout + again.stderr
        assert {"/tin/5.html", "/bai/5.html"} <= set(asked)  # every URL of an article not met
        assert "gone: 3 archived article(s)" in again.stdout
        assert "Failed pages" not in again.stdout
        gone_now = {f"{base}/tin/{n}.html" for n in (1, 3, 5)}
        assert set(_exported(data, "--gone", *db)) == gone_now
    finally:
        server.shutdown()


def test_new_crawls_and_sites_that_turn_it_off_recheck_nothing(tmp_path: Path) -> None:
    pages = {
        "/": _home(["/tin/1.html", "/tin/2.html"]),
        **{f"/tin/{n}.html": _article(n) for n in (1, 2)},
    }
    server, asked = serve_pages(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    toml = f'{TEST_CRAWLER_OPTIONS}\n[[site]]\nname = "xa"\nstart_urls = ["{base}/"]\n'
    (tmp_path / "sites.toml").write_text(toml, encoding="utf-8")
    try:
        assert run_dna("crawl", "xa", "--no-index", data=tmp_path).returncode == 0
        pages["/"] = _home(["/tin/1.html"])
        asked.clear()
        assert run_dna("crawl", "xa", "--no-index", data=tmp_path).returncode == 0  # new mode
        assert "/tin/2.html" not in asked
        off = toml.replace("[crawler]\n", "[crawler]\nrecheck_archived = false\n")
        (tmp_path / "sites.toml").write_text(off, encoding="utf-8")
        result = run_dna("crawl", "xa", "--no-index", "--mode", "full", data=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "/tin/2.html" not in asked
    finally:
        server.shutdown()


def test_a_portal_that_stops_answering_is_not_rechecked_article_by_article(
    tmp_path: Path,
) -> None:
    """After the merger, old portals go dark: a timeout for each archived
    article would hold the crawl for hours and list every one as failed."""
    articles = {f"/tin/{n}.html": _article(n) for n in TITLES}
    pages = {"/": _home(list(articles)), **articles}
    server, asked = serve_pages(pages)
    toml = (
        f'{TEST_CRAWLER_OPTIONS}\n[[site]]\nname = "xa"\n'
        f'start_urls = ["http://127.0.0.1:{server.server_address[1]}/"]\n'
    )
    (tmp_path / "sites.toml").write_text(toml, encoding="utf-8")
    try:
        assert run_dna("crawl", "xa", "--no-index", data=tmp_path).returncode == 0
        # Only the home page still answers, linking nothing; every article
        # request finds the connection closed without a word.
        pages["/"] = _home([])
        pages.update({path: (0, b"") for path in articles})
        asked.clear()
        result = run_dna("crawl", "xa", "--no-index", "--mode", "full", data=tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    # The site answered: its articles are asked for, but not one by one past a
    # first batch nobody answered (each retried, as any request).
    assert len({path for path in asked if path.startswith("/tin/")}) == 4
    assert "rechecks: the portal stopped answering; 1 URL(s) of archived articles" in result.stdout

    # The portal is gone altogether: nothing to recheck, nothing listed as failed.
    result = run_dna("crawl", "xa", "--no-index", "--mode", "full", data=tmp_path)
    assert "/tin/" not in result.stdout
    assert "rechecks:" not in result.stdout


def _site(tmp_path: Path, base: str) -> None:
    toml = f'{TEST_CRAWLER_OPTIONS}\n[[site]]\nname = "xa"\nstart_urls = ["{base}/"]\n'
    (tmp_path / "sites.toml").write_text(toml, encoding="utf-8")


def _full(tmp_path: Path) -> str:
    result = run_dna("crawl", "xa", "--no-index", "--mode", "full", data=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return " ".join(result.stdout.split())


def test_a_moved_article_failing_at_its_new_address_is_not_gone(tmp_path: Path) -> None:
    """Its old URL has answered 404 since the move: that says nothing when the
    new one fails for a while; only the URL it was last seen at tells."""
    pages = {"/": _home(["/tin/1.html"]), "/tin/1.html": _article(1)}
    server, _ = serve_pages(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _site(tmp_path, base)
    try:
        assert run_dna("crawl", "xa", "--no-index", data=tmp_path).returncode == 0
        pages["/bai/1.html"] = pages.pop("/tin/1.html")  # moved; the old URL 404 …
        pages["/"] = _home(["/bai/1.html", "/tin/1.html"])  # … still linked
        _full(tmp_path)
        pages["/"] = _home([])
        pages["/bai/1.html"] = (500, b"loi")
        assert "gone:" not in _full(tmp_path)
        assert not _exported(tmp_path, "--gone")
        pages["/bai/1.html"] = (404, b"not here")
        assert "gone: 1 archived article(s)" in _full(tmp_path)
        assert set(_exported(tmp_path, "--gone")) == {f"{base}/tin/1.html"}
    finally:
        server.shutdown()


def test_rechecks_robots_txt_disallows_do_not_stop_the_others(tmp_path: Path) -> None:
    """A request robots.txt forbids is not sent: no sign the portal is down."""
    articles = {f"/tin/{n}.html": _article(n) for n in TITLES}
    pages = {"/": _home(list(articles)), **articles}
    server, asked = serve_pages(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _site(tmp_path, base)
    try:
        assert run_dna("crawl", "xa", "--no-index", data=tmp_path).returncode == 0
        forbidden = "".join(f"Disallow: /tin/{n}.html\n" for n in (1, 2, 3, 4))
        pages["/robots.txt"] = (200, f"User-agent: *\n{forbidden}".encode())
        pages["/"] = _home([])
        pages["/tin/5.html"] = (410, b"gone")
        asked.clear()
        line = _full(tmp_path)
    finally:
        server.shutdown()
    assert "/tin/5.html" in asked
    assert "gone: 1 archived article(s) answer 404 or 410" in line
    assert "rechecks:" not in line


def test_a_recheck_sent_to_another_host_does_not_say_the_portal_moved(tmp_path: Path) -> None:
    """A recheck has no depth, as a start page has: its off-site redirect
    said "moved: a start page redirects off the site" while the home page
    answered where it always had."""
    articles = {f"/tin/{n}.html": _article(n) for n in (1, 2)}
    pages = {"/": _home(list(articles)), **articles}
    server, asked = serve_pages(pages)
    port = server.server_address[1]
    _site(tmp_path, f"http://127.0.0.1:{port}")
    try:
        assert run_dna("crawl", "xa", "--no-index", data=tmp_path).returncode == 0
        pages["/"] = _home(["/tin/1.html"])
        pages["/tin/2.html"] = (301, f"http://localhost:{port}/tin/2.html".encode())
        asked.clear()
        line = _full(tmp_path)
    finally:
        server.shutdown()
    assert "/tin/2.html" in asked
    assert "off-site redirect to http://localhost" in line  # said, as a failed page
    assert "moved:" not in line


def test_rechecks_sent_to_the_home_page_are_answers(tmp_path: Path) -> None:
    """A portal sending deleted articles' URLs to its home page answers each
    recheck with a redirect, whose target the duplicate filter drops: that
    read as no answer, and stopped the rechecks as if the portal were down."""
    articles = {f"/tin/{n}.html": _article(n) for n in TITLES}
    pages = {"/": _home(list(articles)), **articles}
    server, asked = serve_pages(pages)
    _site(tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
    try:
        assert run_dna("crawl", "xa", "--no-index", data=tmp_path).returncode == 0
        pages.update({"/": _home([]), **{path: (302, b"/") for path in articles}})
        asked.clear()
        line = _full(tmp_path)
    finally:
        server.shutdown()
    assert set(articles) <= set(asked)  # every one asked, past the first batch of 4
    assert "rechecks:" not in line
    assert "gone:" not in line  # a redirect is no proof of deletion (see archive.gone)

"""Portals nobody tuned for, crawled to the end by a real ``dna crawl``.

Four zoo portals (sampleportal.zoo) in one crawl: one full of traps, one
whose articles answer under many URLs, one on an unknown template with
query-id articles and teaser listings, and one of 200 articles whose
listings overlap.  Each must end by itself, keep every
article once, and store only articles, with bylines that are names.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive.models import Capture, Site
from archive.store import Store
from crawler.sites import load_sites
from extract.urls import looping_path
from sampleportal import PortalServer
from sampleportal.zoo import TRAPS, ZooPortal
from tests.harness import (
    TEST_CRAWLER_OPTIONS,
    PagesHandler,
    archived_articles,
    run_dna,
    serve_pages,
)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _zoo(seed: int, scale: int = 1, **changes: object) -> ZooPortal:
    portal = ZooPortal(seed, scale)
    for name, value in changes.items():
        setattr(portal, name, value)
    return portal


@pytest.fixture(scope="module")
def zoo_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, ZooPortal], str]:
    portals = {
        # Every trap; tags and a print link under short articles too.
        "traps": _zoo(
            3,
            scheme="path",
            traps=list(TRAPS),
            sessions=False,
            calendar_params=("_8_month", "_8_year"),
        ),
        "aliases": _zoo(
            4,
            scheme="case",
            traps=["print"],
            sessions=True,
            session_name="vs",
            clock=True,
            moved=False,
            returns=True,
        ),
        # Article links end in a number alone, new on every page shown.
        "unknown": _zoo(
            5, scheme="query", traps=["calendar"], calendar_params=("m", "y"), numbered=True
        ),
        # Ten times the articles, five to a page: the all-news listing and each
        # category's page through the same articles, each ahead in turn; a
        # quarter of article links on an old origin redirecting to the portal.
        "overlapping": _zoo(0, 10, moved=True),
    }
    data = tmp_path_factory.mktemp("zoo")
    blocks = [TEST_CRAWLER_OPTIONS]
    for number, (name, portal) in enumerate(portals.items()):
        portal.serve(f"127.0.0.{51 + number}")
        blocks.append(f'[[site]]\nname = "{name}"\nstart_urls = {json.dumps(portal.start_urls)}\n')
    (data / "sites.toml").write_text("\n".join(blocks), encoding="utf-8")
    try:
        result = run_dna("crawl", "--all", "--no-index", data=data, timeout=300)
    finally:
        for portal in portals.values():
            portal.close()
    assert result.returncode == 0, result.stdout + result.stderr
    return data, portals, result.stdout


def _captured_urls(data: Path, site: str) -> list[str]:
    """Every URL the crawl captured for ``site``, in the order they came back."""
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        with store.session() as session:
            return list(
                session.scalars(
                    select(Capture.url)
                    .join(Site)
                    .where(Site.name == site)
                    .order_by(Capture.id)  # the order they came back in
                ).all()
            )
    finally:
        store.close()


@pytest.mark.parametrize("site", ["traps", "aliases", "unknown", "overlapping"])
def test_every_article_once_and_only_articles(zoo_crawl, site: str) -> None:
    data, portals, _ = zoo_crawl
    truth = {article.title: article for article in portals[site].articles}
    stored = archived_articles(data, site)
    titles = [article.title for article in stored]
    assert sorted(titles) == sorted(truth), "missing, duplicated or non-articles stored"
    for article in stored:
        assert article.author == truth[article.title].author  # never the chrome's role line


def test_traps_are_stopped_early_said_once(zoo_crawl) -> None:
    data, portals, summary = zoo_crawl
    assert "traps: cut off: trap: " in summary
    runs = json.loads(run_dna("crawls", "--json", data=data).stdout)
    assert all(run["status"] == "finished" for run in runs)
    for run in runs:
        traps = [line.split()[1] for line in run["cut_off"] if line.startswith("trap: ")]
        paths = [shape.partition("?")[0] for shape in traps]
        assert len(paths) == len(set(paths)), f"a trap reported twice: {traps}"
    cut = {run["site"]: run["cut_off"] for run in runs}["traps"]
    assert any(line.startswith("trap: /lich-cong-tac?_8_month=*&_8_year=*") for line in cut)
    assert any(line.startswith("trap: /tim-kiem?q=*") for line in cut)
    assert any(line.startswith("trap: /danh-muc?") for line in cut)
    assert any(line.startswith("trap: /tag/*") for line in cut)
    assert any(line.startswith("trap: /gioi-thieu/ answered again deeper") for line in cut)
    # The menu's relative link led to a copy once: written so on pages of
    # other directories (the tag router's, answering below any tag with fresh
    # links), it is not followed again, nor does any path loop.
    assert any(line.startswith("copies: ") and "'gioi-thieu/'" in line for line in cut)
    urls = _captured_urls(data, "traps")
    # The menu's relative link below the articles' directory finds the
    # introduction again, not under its own path: a copy, its links unfollowed.
    paths = {urlsplit(url).path for url in urls}
    assert "/tag/gioi-thieu/gioi-thieu/" not in paths
    assert not any(looping_path(url) for url in urls)
    assert "/tin-tuc/gioi-thieu/" in paths
    assert not any(
        path.startswith("/tin-tuc/gioi-thieu/") for path in paths - {"/tin-tuc/gioi-thieu/"}
    )
    portal = portals["traps"]
    trap_pages = sum(portal.is_trap(url) for url in urls)
    # A trap is seen for what it is in two or three pages; a pager that never
    # ends costs one page past the end of each listing (all news and each
    # category: a listing never stops on what another listing showed first).
    # On this portal of 24 articles that fixed cost is over a quarter.
    assert trap_pages <= 3 * len(TRAPS) + portal.categories + 1
    assert trap_pages / len(urls) <= 0.3


def test_an_endless_pager_ends_at_its_short_last_page(zoo_crawl) -> None:
    """Past the end, this pager repeats its last page.  Category 1 holds 96
    articles, five to a page: its last page shows one, and ends it.  All
    news (200) and category 2 (104) end full or nearly: the page past the
    end ends them, one page each at most, if they get that far (a listing
    behind another, showing nothing new ten pages in a row, ends there)."""
    data, portals, _ = zoo_crawl
    portal = portals["overlapping"]
    assert "pager" in portal.traps and portal.per_page == 5
    urls = _captured_urls(data, "overlapping")
    past_the_end: Counter[int] = Counter()
    for url in urls:
        if portal.trap_of(url) == "pager":
            parts = urlsplit(url)
            past_the_end[portal.listing_at(parts.path, dict(parse_qsl(parts.query)))[0]] += 1
    assert past_the_end, "a full last page is only known to be the last past it"
    assert 1 not in past_the_end
    assert max(past_the_end.values()) == 1


def test_every_section_of_the_menu_is_opened_before_any_listing_goes_deep(zoo_crawl) -> None:
    """The home page links each category's first page, a page of no known
    kind.  Sent as such, behind every listing page and article, a category
    was opened only once the other listings were fifteen pages deep; all
    news, then ahead, ran to its end, and the category behind ran ten more."""
    data, portals, _ = zoo_crawl
    portal = portals["overlapping"]
    pages = []
    for url in _captured_urls(data, "overlapping"):  # in the order fetched
        parts = urlsplit(url)
        if (listed := portal.listing_at(parts.path, dict(parse_qsl(parts.query)))) is not None:
            pages.append(listed)
    firsts = [pages.index((category, 1)) for category in range(1, portal.categories + 1)]
    # Not first of all: a pager page may be sent while a category is on trial.
    deep = next(index for index, (_, page) in enumerate(pages) if page >= 5)
    assert max(firsts) < deep, pages[: deep + 1]


def test_an_alias_is_shown_as_another_url_of_its_article(zoo_crawl) -> None:
    data, _, _ = zoo_crawl
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        with_aliases = [
            found
            for article in store.articles(site="aliases")
            if (found := store.article(article.id)) and found.other_urls
        ]
    finally:
        store.close()
    assert with_aliases, "print views and session URLs should have become aliases"
    shown = run_dna("show", str(with_aliases[0].id), data=data)
    lines = [line.split() for line in shown.stdout.splitlines()]
    assert ["also", "at", with_aliases[0].other_urls[0]] in lines


def test_a_cache_buster_leaves_the_urls_once_learnt(zoo_crawl) -> None:
    """Article links carry ``_=<the time now in ms>``: every visit made them new
    URLs.  Learnt from the first link seen twice, it leaves the site's URLs, and
    the links queued with it are sent without it: fewer pages (often none) are
    fetched with it than the portal has articles, against 172 of 191 unlearnt."""
    data, portals, _ = zoo_crawl
    assert portals["aliases"].clock
    urls = _captured_urls(data, "aliases")
    busted = [url for url in urls if "_" in dict(parse_qsl(urlsplit(url).query))]
    assert len(busted) < len(portals["aliases"].articles)


def test_an_article_sent_before_its_spelling_was_learnt_is_not_fetched_again(
    zoo_crawl,
) -> None:
    """Article links carry a new session id and time on every page, in
    capitals on some pages and not on others.  Once both ids and the case
    were learnt, an article already fetched as ``Bai-Viet-7.aspx?vs=…&_=…``
    was fetched again as ``bai-viet-7.aspx``, a URL the duplicate filter had
    never seen: 7 of this portal's 20 articles were."""
    data, portals, _ = zoo_crawl
    portal = portals["aliases"]
    fetched: dict[int, list[str]] = {}
    for url in _captured_urls(data, "aliases"):
        parts = urlsplit(url)
        article = portal.article_at(parts.path, dict(parse_qsl(parts.query)))
        if article is not None:
            fetched.setdefault(article.id, []).append(url)
    assert len(fetched) == len(portal.articles)
    again = {
        number: urls
        for number, urls in fetched.items()
        if len(urls) > 1 and any(urlsplit(url).query == "" for url in urls)
    }
    assert not again


def test_a_return_address_leaves_the_urls_from_the_first_page(zoo_crawl) -> None:
    """Article links carry ``redirect=<the page they are on>``, nested: kept,
    every page linking to an article gave it a new, longer URL, and a crawl
    of the portal stopped its articles' shape as a trap and lost most of them."""
    data, portals, _ = zoo_crawl
    assert portals["aliases"].returns
    urls = _captured_urls(data, "aliases")
    assert not [url for url in urls if "redirect" in dict(parse_qsl(urlsplit(url).query))]


def test_a_number_alone_the_server_ignores_leaves_the_urls(zoo_crawl) -> None:
    """``news_detail.asp?cat=1&id=7&48213977``, a new number on every page shown:
    learnt once two numbers gave one article, the rest are fetched without it.
    Unlearnt, every page shown made its links new URLs: this module's crawl
    did not end in 300 s.  (Learnt, the articles' shape is a new one; it
    keeps the productive pages of the old, or strong signs stopped it and
    the articles queued in it.)"""
    data, portals, _ = zoo_crawl
    urls = _captured_urls(data, "unknown")
    numbered = [
        url
        for url in urls
        if any(name.isdigit() for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True))
    ]
    assert len(numbered) < 3 * len(portals["unknown"].articles)


def test_a_budget_that_is_not_a_positive_number_is_reported_with_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(
        '[crawler]\nmax_pages = 0\n\n[[site]]\nname = "x"\nstart_urls = ["http://x.vn/"]\n'
        'max_minutes = "soon"\n',
        encoding="utf-8",
    )
    problems = [str(problem) for problem in load_sites(path).problems]
    assert (
        f"{path}:2: [crawler] max_pages must be a positive number; its default is used" in problems
    )
    assert any(
        p.startswith(f"{path}:7: site 'x': max_minutes must be a positive") for p in problems
    )


def test_a_listing_paging_beside_its_articles_is_no_trap(tmp_path: Path) -> None:
    """NukeViet pages a category under the articles' own directory
    (``/news/kinh-te/page-9`` beside ``/news/kinh-te/<article>.html``), and
    its pages show articles the all-news listing showed first: no new link.
    Counted as unproductive pages of ``/news/kinh-te/*``, they stopped it
    and the articles queued in it, two thirds of the portal's."""
    with PortalServer("nukeviet", extra_articles=200) as portal:
        # Two at a time, the default: the listings run further ahead of the articles.
        options = TEST_CRAWLER_OPTIONS.replace("per_host = 4", "per_host = 2")
        (tmp_path / "sites.toml").write_text(
            f'{options}\n[[site]]\nname = "nv"\nstart_urls = ["{portal.base_url}"]\n',
            encoding="utf-8",
        )
        result = run_dna("crawl", "nv", "--no-index", data=tmp_path)
        expected = set(portal.expected_articles())
    assert result.returncode == 0, result.stderr
    assert "/news/kinh-te/*" not in result.stdout
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    try:
        archived = {article.url for article in store.articles(site="nv")}
    finally:
        store.close()
    assert archived == expected


def test_links_to_a_moved_origin_go_to_the_new_one_once_learnt(
    zoo_crawl: tuple[Path, dict[str, ZooPortal], str],
) -> None:
    """A quarter of the overlapping portal's article links name its old origin,
    which redirects (301) to the portal: two redirects teach the move, and the
    links found after it go to the portal at once, not one redirect each.
    (Without it, 100 redirects; links queued before, about 20, still redirect.)"""
    data, portals, _ = zoo_crawl
    old = urlsplit(portals["overlapping"].start_urls[1]).netloc
    captured = _captured_urls(data, "overlapping")
    redirected = {url for url in captured if urlsplit(url).netloc == old}
    assert 2 <= len(redirected) <= 35, sorted(redirected)


def _crawl_alone(
    portal: ZooPortal, host: str, site: str, data: Path
) -> subprocess.CompletedProcess[str]:
    """Serve ``portal`` on ``host`` and crawl it, alone, as site ``site``."""
    portal.serve(host)
    return _crawl_site(site, portal.start_urls, data)


def _crawl_site(
    site: str, start_urls: list[str], data: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """Crawl ``start_urls`` as site ``site``, alone, with the test options (and ``options``)."""
    (data / "sites.toml").write_text(
        f'{TEST_CRAWLER_OPTIONS}\n[[site]]\nname = "{site}"\n'
        f"start_urls = {json.dumps(start_urls)}\n",
        encoding="utf-8",
    )
    return run_dna("crawl", site, "--no-index", *options, data=data, timeout=180)


def _crawl_pages(
    pages: dict[str, tuple[int, bytes]], start: str, site: str, data: Path, *options: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Serve ``pages`` and crawl them from path ``start`` (``dna crawl`` given
    ``options`` too); the result, and the paths asked."""
    server, asked = serve_pages(pages)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}{start}"
        return _crawl_site(site, [url], data, *options), asked
    finally:
        server.shutdown()


def test_a_host_that_refuses_too_many_requests_is_slowed_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """A portal answering 429 past four requests a second, as rate-limited
    hosts do.  Retrying each refused request alone lost a third of the
    articles and their listings, and the host refused more than it answered:
    the crawl must slow down for the whole host, and keep to it."""
    with _zoo(28, per_second=4, moved=False) as portal:
        result = _crawl_alone(portal, "127.0.0.71", "busy", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed pages" not in result.stdout
    titles = {article.title for article in archived_articles(tmp_path, "busy")}
    assert titles == {article.title for article in portal.articles}
    # A few refusals teach the pace; one in five requests is far too many.
    answered = len(_captured_urls(tmp_path, "busy"))
    assert portal.refused <= answered // 5, (portal.refused, answered)
    (log,) = (tmp_path / "logs").glob("crawl-*.log")
    assert "asked to slow down (HTTP 429)" in log.read_text(encoding="utf-8")


def test_a_post_on_a_connection_closed_unanswered_is_sent_again(tmp_path: Path) -> None:
    """Twisted resends a GET whose kept-alive connection the server had
    closed, not a POST; Scrapy's retries took the next stale connection, and
    a listing's page posted back was lost with the rest of its pager."""
    with _zoo(11, 3, postback="next", traps=[], moved=False, drops_kept_alive=True) as portal:
        result = _crawl_alone(portal, "127.0.0.74", "closing", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed pages" not in result.stdout
    assert len(archived_articles(tmp_path, "closing")) == len(portal.articles)
    # Sent again at once on another connection, not left to the retries,
    # which wait and may take a stale connection again (3 retries without).
    # Each connection the server kept alive is stale, so a POST may now and
    # then meet more of them than it resends, and be retried.
    (log,) = (tmp_path / "logs").glob("crawl-*.log")
    stats = log.read_text(encoding="utf-8")
    resent = re.search(r"'dna/resent_on_closed_connection': (\d+)", stats)
    retried = re.search(r"'retry/count': (\d+)", stats)
    assert resent is not None
    assert retried is None or int(retried.group(1)) < int(resent.group(1)) // 4


@pytest.mark.parametrize("pager", ["numbers", "next"])
def test_listings_paged_by_postback_are_paged_to_their_end(tmp_path: Path, pager: str) -> None:
    """An ASP.NET portal whose listings page only by ``__doPostBack``: page 2
    is the listing's form posted back, and no link leads to it.  Following
    links alone kept the first page of each listing: 16 of the 42 articles.
    Its pager never ends ("Trang sau" posts on past the last page); the
    crawl ends it, and the WARC keeps each posted form with its answer.
    Where pages are numbered, "Trang sau" is not posted: it repeats a number."""
    with _zoo(11, 3, postback=pager, traps=["pager"], moved=False) as portal:
        result = _crawl_alone(portal, "127.0.0.73", "aspnet", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    titles = [article.title for article in archived_articles(tmp_path, "aspnet")]
    assert sorted(titles) == sorted(article.title for article in portal.articles)
    posted = []
    for warc in (tmp_path / "warc").rglob("*.warc.gz"):
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "request" and record.http_headers.protocol == "POST":
                    posted.append(record.content_stream().read().decode())
    assert posted and all("__VIEWSTATE=" in body for body in posted)
    assert any(
        f"__EVENTARGUMENT=Page%24{2 if pager == 'numbers' else 'Next'}" in body for body in posted
    )
    # Each listing's pages after its first, once; past the end of an endless
    # pager at most one page repeating the last (where no number leads past it).
    listings = range(portal.categories + 1)
    pages = sum(portal.last_page(category) - 1 for category in listings)
    extra = len(listings) if pager == "next" else 0
    assert pages <= len(posted) <= pages + extra, posted


def _meeting_article(number: int, title: str, chrome: str = "", after: str = "") -> str:
    """An article page of the hand-made portals below: a meeting's report,
    long enough to be an article, its text its own by ``number``."""
    body = f"<p>Ủy ban nhân dân xã tổ chức hội nghị lần thứ {number}, đánh giá kết quả"
    body += " đạt được và đề ra nhiệm vụ trọng tâm cho năm tới.</p>"
    return (
        f"<html><head><title>{title}</title></head><body>{chrome}<h1>{title}</h1>"
        f"<div class='noidung'>{body * 3}</div>{after}</body></html>"
    )


def _meeting_title(number: int) -> str:
    return f"Hội nghị tổng kết công tác năm của xã, phiên số {number}"


def _teaser(href: str, title: str) -> str:
    """An item of the hand-made portals' listings: the title linked, a line under it."""
    return f'<div><a href="{href}">{title}</a><p>Ủy ban nhân dân xã tổ chức hội nghị.</p></div>'


@pytest.mark.parametrize("without_slash", [301, 404])
def test_sections_needing_their_slash_keep_it_where_articles_do_not(
    tmp_path: Path, without_slash: int
) -> None:
    """Articles answer with and without a slash ending their path; the news
    section only with it, redirecting there or answering 404 without.  Learnt
    from one article, the slash left every path of the site: the section's
    pages were never fetched, and the articles only they listed were lost,
    with nothing said."""
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    for number in range(1, 9):
        title = _meeting_title(number)
        page = (200, _meeting_article(number, title, '<a href="/tin-tuc/">Tin tức</a>'))
        pages[f"/tin-tuc/bai-{number}/"] = pages[f"/tin-tuc/bai-{number}"] = page
    for page, numbers, more in (
        ("/tin-tuc/", (2, 3, 4), "?page=2"),
        ("/tin-tuc/?page=2", (5, 6, 7, 8), ""),
    ):
        items = "".join(_teaser(f"/tin-tuc/bai-{n}/", _meeting_title(n)) for n in numbers)
        pager = f'<a href="/tin-tuc/{more}">Trang 2</a>' if more else ""
        pages[page] = (200, _HOME_LINK + items + pager)
        bare = page.replace("/tin-tuc/", "/tin-tuc", 1)
        pages[bare] = (301, page) if without_slash == 301 else (404, "Không tìm thấy")
    first = _meeting_title(1)
    pages["/"] = (200, _teaser("/tin-tuc/bai-1/", first) + _teaser("/tin-tuc/bai-1", first))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, asked = _crawl_pages(encoded, "/", "slashes", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "slashes")) == 8, (result.stdout, asked)
    assert "/tin-tuc/?page=2" in asked


def test_an_aspnet_session_in_the_path_is_no_part_of_any_url(tmp_path: Path) -> None:
    """ASP.NET without cookies sends a path with no session to a fresh one,
    ``/(S(token))/…``, whose relative links carry it.  Every page was fetched
    again under each session (about ten times each), and the article's URL
    of record kept a dead session.  A page costs its redirect and itself."""
    pages: dict[str, tuple[int, bytes]] = {"/robots.txt": (404, b"")}
    items = []
    for number in range(1, 9):
        title = _meeting_title(number)
        more = f'<a href="chi-tiet.aspx?id={number % 8 + 1}">Tin khác</a>'
        article = _meeting_article(number, title, '<a href="/Default.aspx">Trang chủ</a>', more)
        pages[f"/tin-tuc/chi-tiet.aspx?id={number}"] = (200, article.encode())
        items.append(_teaser(f"tin-tuc/chi-tiet.aspx?id={number}", title))
    pages["/Default.aspx"] = (200, "".join(items).encode())
    sessions = iter(range(10_000, 99_999))

    class Cookieless(PagesHandler):
        def do_GET(self) -> None:
            self.asked.append(self.path)
            session = re.match(r"/\(S\(\w+\)\)(/.*)", self.path)
            if session is None and self.path != "/robots.txt":
                self.send_response(302)
                self.send_header("Location", f"/(S(a1b2c3d4e5f6g7{next(sessions)}))" + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, body = self.pages.get(session[1] if session else self.path, (404, b""))
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    asked: list[str] = []
    handler = type("Handler", (Cookieless,), {"pages": pages, "asked": asked})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        home = f"http://127.0.0.1:{server.server_address[1]}/Default.aspx"
        result = _crawl_site("cookieless", [home], tmp_path)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stdout + result.stderr
    stored = archived_articles(tmp_path, "cookieless")
    assert len(stored) == 8
    assert not any("(S(" in article.url for article in stored)
    fetched = Counter(re.sub(r"^/\(S\(\w+\)\)", "", path) for path in asked)
    assert max(count for path, count in fetched.items() if "chi-tiet" in path) <= 2, fetched


def test_a_calendar_whose_weeks_read_as_notices_is_still_a_trap(tmp_path: Path) -> None:
    """Each week of this work calendar is a dated headline over a table of
    the same meetings: a notice, stored as an article, its text new by its
    week's number.  Every week was productive, and the calendar was walked
    from 1979 to 2069 until the page budget.  A dated page whose text differs
    from one met before only in numbers is nothing new, nor was that one:
    the calendar ends as a walk, as one of bare tables would."""
    pages, items = _meetings(6)

    def week_link(year: int, week: int) -> str:
        return f'<a href="/lich.aspx?tuan={week}&amp;nam={year}">Tuần {week}</a>'

    for year in range(1990, 2036):
        for week in range(1, 53):
            before = (year, week - 1) if week > 1 else (year - 1, 52)
            after = (year, week + 1) if week < 52 else (year + 1, 1)
            meetings = "".join(
                f"<tr><td>Thứ {day}</td><td>07h30: Giao ban tuần {week}; 14h00: Làm việc tại "
                "trụ sở Ủy ban nhân dân xã</td></tr>"
                for day in range(2, 7)
            )
            pages[f"/lich.aspx?nam={year}&tuan={week}"] = (
                200,
                "<div class='header'><span>Thứ bảy, ngày 05/12/2026</span></div>"
                f"{_HOME_LINK}<div class='main'><h1>Lịch công tác tuần {week} năm {year}</h1>"
                f"<table>{meetings}</table>{week_link(*before)} {week_link(*after)}</div>"
                "<div class='footer'>Bản quyền thuộc Ủy ban nhân dân xã.</div>",
            )
    pages["/"] = (200, _HOME_LINK + week_link(2024, 30) + "".join(items))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, asked = _crawl_pages(encoded, "/", "weeks", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    weeks = [path for path in asked if path.startswith("/lich.aspx")]
    assert len(weeks) <= 4, weeks
    assert "trap: /lich.aspx?nam=*&tuan=* stopped" in result.stdout
    titles = {article.title for article in archived_articles(tmp_path, "weeks")}
    assert {_meeting_title(number) for number in range(1, 7)} <= titles


def _one_path_portal() -> dict[str, tuple[int, bytes]]:
    """A DotNetNuke-like portal: every page is ``/Default.aspx?tabid=N…``, a
    work calendar among them, week after week both ways."""
    menu = '<a href="/Default.aspx?tabid=2">Tin tức</a><a href="/Default.aspx?tabid=7">Lịch</a>'
    pages = {"/robots.txt": (404, "")}
    items = []
    for number in range(12):
        title = _meeting_title(number + 1)
        # Keyed as asked: the crawler sorts parameters.
        pages[f"/Default.aspx?ArticleID={1000 + number}&mid=400&tabid=2"] = (
            200,
            _meeting_article(number + 1, title, menu),
        )
        items.append(_teaser(f"/Default.aspx?tabid=2&mid=400&ArticleID={1000 + number}", title))
    pages["/Default.aspx?tabid=1"] = (200, menu + "".join(items[:6]))
    pages["/Default.aspx?tabid=2"] = (200, menu + "".join(items[6:]))
    for week in range(-60, 61):
        around = "".join(
            f'<a href="/Default.aspx?tabid=7&tuan={w}">Tuần {w}</a>' for w in (week - 1, week + 1)
        )
        pages[f"/Default.aspx?tabid=7&tuan={week}"] = (200, f"{menu}<p>Tuần {week}</p>{around}")
    pages["/Default.aspx?tabid=7"] = pages["/Default.aspx?tabid=7&tuan=0"]
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


def test_a_calendar_under_a_portals_one_path_is_stopped_early(tmp_path: Path) -> None:
    """Where every page is one path, its ``?*`` shape is productive, which kept
    the calendar under it from the early stop: it walked twelve weeks."""
    result, asked = _crawl_pages(_one_path_portal(), "/Default.aspx?tabid=1", "dnn", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "dnn")) == 12
    weeks = [path for path in asked if "tuan=" in path]
    assert len(weeks) <= 3, weeks
    assert "&tuan=* stopped after 2 pages (each led only to more of it)" in result.stdout


def _joomla_portal() -> dict[str, tuple[int, bytes]]:
    """A Joomla-like portal: every URL carries ``Itemid`` (a menu item), which
    reads as an article id; its search results lead to ever more searches."""
    search = "/index.php?Itemid=102&option=com_search&searchword="
    menu = f'<a href="{search}xa">Tìm kiếm</a>'
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    items = []
    for number in range(8):
        path = f"/index.php?Itemid=101&id={number + 1}&option=com_content&view=article"
        title = _meeting_title(number + 1)
        pages[path] = (200, _meeting_article(number + 1, title, menu))
        items.append(f'<div><a href="{path}">{title}</a><p>Ủy ban nhân dân xã.</p></div>')
    pages["/"] = (200, menu + "".join(items))
    # Each search offers its results sorted otherwise (another shape), and
    # each sorting offers more searches: the two shapes feed each other.
    sorted_search = "/index.php?Itemid=102&option=com_search&ordering=newest&searchword="
    words = ["xa"]
    while words and len(pages) < 1200:
        word = words.pop(0)
        more = [f"{word}-{letter}" for letter in "ab"]  # words: no token, no session id
        words += more
        hits = "".join(f'<a href="{search}{w}">{w}</a>' for w in more)
        pages[search + word] = (200, f'{menu}<a href="{sorted_search}{word}">Mới nhất</a>')
        pages[sorted_search + word] = (200, f"{menu}<p>Kết quả cho {word}</p>{hits}")
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


def test_a_url_pattern_that_misreads_a_menu_id_as_an_article_id_is_unlearnt(
    tmp_path: Path,
) -> None:
    """``Itemid=102`` reads as an article id: the search pages linked to
    "articles", counted as productive, and their trap was never stopped.  Two
    such pages that are no articles prove the guess wrong."""
    result, asked = _crawl_pages(_joomla_portal(), "/", "jo", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "jo")) == 8
    searches = [path for path in asked if "searchword=" in path]
    # In flight when the stop comes: 31 alone, up to 39 with six crawls at once.
    assert len(searches) <= 80, len(searches)  # without: 1,787, all of them
    assert "trap: /index.php?Itemid=*&option=*&searchword=* stopped" in result.stdout


def _slug_portal() -> dict[str, tuple[int, bytes]]:
    """A PHP portal whose articles are named by a slug in the query
    (``chi-tiet.php?alias=hoi-nghi-…-2024``), each page with a print and a
    send-by-mail link to itself: one token-like value in a page's links,
    another on the next page, as a session id would be."""
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    items = []
    for number in range(10):
        slug = f"hoi-nghi-tong-ket-lan-{number + 1}-nam-2024"
        title = f"Hội nghị tổng kết công tác năm 2024 của xã, lần thứ {number + 1}"
        own = f'<a href="/in-bai.php?alias={slug}">In bài</a>'
        own += f'<a href="/gui-email.php?alias={slug}">Gửi email</a>'
        page = _meeting_article(number + 1, title, "<a href='/'>Trang chủ</a>", own)
        pages[f"/chi-tiet.php?alias={slug}"] = (200, page)
        for view in ("in-bai", "gui-email"):
            pages[f"/{view}.php?alias={slug}"] = (200, page.replace(own, ""))
        items.append(_teaser(f"/chi-tiet.php?alias={slug}", title))
    pages["/"] = (200, "".join(items))
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


def test_articles_named_by_a_slug_in_the_query_are_all_kept(tmp_path: Path) -> None:
    """Slugs carry digits (``…-nam-2024``) and read as tokens.  Each article's
    print and mail links carry its own slug, one value a page and another on
    the next, which taught ``alias`` as a session id: every article's URL
    became ``chi-tiet.php``, and all but the first were lost.  A session id
    is only learnt once two URLs differing in it gave the same article."""
    result, _ = _crawl_pages(_slug_portal(), "/", "slugs", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "slugs")) == 10


def _respelt_pager_portal() -> dict[str, tuple[int, bytes]]:
    """A listing of 15 articles over 3 pages, each page spelling its article
    links anew (``&v=`` the page's number, as a token of the visit would),
    whose pager never ends: past page 3, each page shows page 3 again."""
    menu = '<a href="/">Trang chủ</a><a href="/tin-tuc.php?page=1">Tin tức</a>'
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    titles = [_meeting_title(n + 1) for n in range(15)]
    for number, title in enumerate(titles):
        for visit in range(1, 41):
            pages[f"/tin.php?id={number + 1}&v={visit}"] = (
                200,
                _meeting_article(number + 1, title, menu),
            )
    for page in range(1, 41):
        shown = range(5 * (min(page, 3) - 1), 5 * min(page, 3))
        items = "".join(_teaser(f"/tin.php?id={n + 1}&v={page}", titles[n]) for n in shown)
        after = f'<a href="/tin-tuc.php?page={page + 1}">Trang sau</a>'
        pages[f"/tin-tuc.php?page={page}"] = (200, menu + items + after)
    pages["/"] = pages["/tin-tuc.php?page=1"]
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


def test_a_pager_past_its_end_respelling_its_links_ends_at_once(tmp_path: Path) -> None:
    """Past its end the listing shows its last page again, every link spelt
    anew: by URL, each page showed five new items, and the pager ran on until
    the token was learnt from the articles fetched twice.  By their titles,
    the items are those of the page before: one page past the end, no more."""
    result, asked = _crawl_pages(_respelt_pager_portal(), "/", "respelt", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "respelt")) == 15
    past_end = [path for path in asked if re.search(r"page=([4-9]|\d\d)$", path)]
    assert len(past_end) == 1, past_end


def _zero_based_pager_portal(numbered: bool) -> dict[str, tuple[int, bytes]]:
    """A listing of 15 articles over 3 pages counted from zero, as Drupal's
    are: ``/tin-tuc``, then ``?page=1`` (the second page) and ``?page=2``;
    its pager ``numbered`` 1 to 3, or only "previous" and "next"."""
    pages, items = _meetings(15)
    for index in range(3):
        if numbered:
            links = [(number - 1, str(number)) for number in (1, 2, 3)]
        else:
            links = [(index - 1, "« Trang trước")] * (index > 0)
            links += [(index + 1, "Trang sau »")] * (index < 2)
        pager = "".join(f'<a href="/tin-tuc?page={n}">{text}</a>' for n, text in links)
        path = f"/tin-tuc?page={index}" if index else "/tin-tuc"
        shown = "".join(items[5 * index : 5 * index + 5])
        pages[path] = (200, f'{_HOME_LINK}{shown}<div class="pager">{pager}</div>')
    pages["/"] = (200, _HOME_LINK + '<a href="/tin-tuc">Tin tức</a>')
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "next-links"])
def test_a_pager_counting_from_zero_is_paged_to_its_end(tmp_path: Path, numbered: bool) -> None:
    """``?page=1`` was taken for the first page, as it is where pages count
    from one: a pager counting from zero lost its second page, and one of
    "next" links alone everything past its first (5 articles of 15)."""
    result, asked = _crawl_pages(_zero_based_pager_portal(numbered), "/", "zero", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "zero")) == 15
    assert sorted(path for path in asked if path.startswith("/tin-tuc?")) == [
        "/tin-tuc?page=1",
        "/tin-tuc?page=2",
    ]


def _routed_portal() -> dict[str, tuple[int, bytes]]:
    """A PHP portal routing every page by ``index.php?page=…``: its home shows
    the five latest articles, as the news listing's first page does, and the
    listing pages on (``&p=2``, ``&p=3``) to ten older ones."""
    menu = '<a href="/">Trang chủ</a><a href="/index.php?page=news">Tin tức</a>'
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    titles = [_meeting_title(n + 1) for n in range(15)]
    for number, title in enumerate(titles):
        page = _meeting_article(number + 1, title, menu)
        pages[f"/index.php?id={number + 1}&page=article"] = (200, page)

    def items(shown: range) -> str:
        return "".join(_teaser(f"/index.php?page=article&id={n + 1}", titles[n]) for n in shown)

    pages["/"] = (200, menu + items(range(5)))
    for number in (1, 2, 3):
        after = f'<a href="/index.php?page=news&p={number + 1}">Trang sau</a>' if number < 3 else ""
        listing = menu + items(range(5 * number - 5, 5 * number)) + after
        # Keyed as asked: the crawler sorts parameters.
        pages[f"/index.php?p={number}&page=news" if number > 1 else "/index.php?page=news"] = (
            200,
            listing,
        )
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


def test_a_listing_linked_as_if_paged_from_the_home_page_is_paged_to_its_end(
    tmp_path: Path,
) -> None:
    """The menu's ``index.php?page=news`` reads as a pager link of the home
    page, and the listing's first page shows nothing the home page did not:
    judged as the home page's next page, it ended its pager, and the ten
    older articles, on its pages 2 and 3, were never reached.  A page is
    judged against the page before only when it is one of its own pager's."""
    result, asked = _crawl_pages(_routed_portal(), "/", "routed", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "routed")) == 15
    assert "/index.php?p=3&page=news" in asked


def _malformed_links_portal() -> dict[str, tuple[int, bytes]]:
    """Ten articles whose pages, and the home page, carry links Python cannot
    read (a placeholder host ``http://[domain]/``, a next-page link with a
    port of letters), in the menu, as an image's source and as the canonical
    link."""
    broken = (
        '<a href="http://[domain]/lien-he">Liên hệ</a><a href="http://xa.gov.vn:abc/">Trang sau</a>'
        '<img src="http://[cdn]/anh.jpg" width="400" height="300">'
    )
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    items = []
    for number in range(10):
        title = _meeting_title(number + 1)
        article = _meeting_article(number + 1, title, broken)
        head = '<link rel="canonical" href="http://[::1/tin">'
        pages[f"/tin/{1000 + number}.html"] = (200, article.replace("<head>", "<head>" + head))
        items.append(_teaser(f"/tin/{1000 + number}.html", title))
    pages["/"] = (200, broken + "".join(items))
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


def test_links_no_url_parser_reads_lose_no_other_link(tmp_path: Path) -> None:
    """``urljoin`` raises on ``http://[domain]/``: one such link in a home
    page's menu lost every link of the page, and on an article, the article."""
    result, _ = _crawl_pages(_malformed_links_portal(), "/", "malformed", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "malformed")) == 10
    assert "Traceback" not in result.stdout + result.stderr


def _date_archive_portal() -> dict[str, tuple[int, bytes]]:
    """A portal whose older articles are reached only through its "news by
    day" archive (``tin-tuc.php?ngay=17-05-2024``), each day linking the day
    before and the day after, on and on past its news both ways."""
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    first = date(2024, 5, 1)
    end = datetime.now(UTC).date() + timedelta(days=400)

    def day_link(day: date) -> str:
        return f'<a href="/tin-tuc.php?ngay={day:%d-%m-%Y}">{day:%d/%m}</a>'

    day = date(2023, 1, 1)
    while day < end:
        around = day_link(day - timedelta(days=1)) + day_link(day + timedelta(days=1))
        number = (day - first).days + 1
        listed = "<p>Không có tin.</p>"
        if 1 <= number <= 28:
            title = f"Hội nghị giao ban công tác tháng 5 của xã, ngày {number}"
            article = f"/chi-tiet.php?id={500 + number}"
            home = "<a href='/'>Trang chủ</a>"
            pages[article] = (200, _meeting_article(number, title, home))
            listed = f'<div><a href="{article}">{title}</a><p>Ủy ban nhân dân xã.</p></div>'
        pages[f"/tin-tuc.php?ngay={day:%d-%m-%Y}"] = (200, listed + around)
        day += timedelta(days=1)
    latest = "".join(f'<a href="/chi-tiet.php?id={500 + n}">Tin {n}</a>' for n in (27, 28))
    pages["/"] = (200, latest + day_link(first + timedelta(days=27)))
    return {path: (status, body.encode()) for path, (status, body) in pages.items()}


def test_articles_reached_only_through_a_date_archive_are_kept(tmp_path: Path) -> None:
    """Links whose parameter is named as a calendar's (``ngay``, ``date``,
    ``year`` …) were never followed: this portal kept the 2 articles its home
    page links, of 28.  Followed, its days were stopped as a walk after two
    (each led only to more days: the news they show was seen on the home
    page), then after a few parked behind the days walked on.  Its empty
    days each way end by what they do, within about twice its days of news
    (the tenth-productive rule alone allowed ten times)."""
    result, asked = _crawl_pages(_date_archive_portal(), "/", "days", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "days")) == 28
    # Not the one request that asks the path in capitals (is the server case-blind?).
    days = [path for path in asked if path.startswith("/tin-tuc.php?ngay=")]
    assert len(days) <= 2 * 28 + 14, len(days)
    assert "trap: /tin-tuc.php?ngay=* stopped" in result.stdout


def test_a_link_dated_past_next_week_is_not_followed_and_said(tmp_path: Path) -> None:
    """A work calendar by day (``lich.php?ngay=10-12-2026``) runs into the
    future: no news is dated there, so such a link is never asked for, and
    the summary says how many were left."""
    today = datetime.now(UTC).date()
    pages: dict[str, tuple[int, bytes]] = {"/robots.txt": (404, b"")}

    def day_link(day: date) -> str:
        return f'<a href="/lich.php?ngay={day:%d-%m-%Y}">{day:%d/%m}</a>'

    for offset in range(-30, 31):
        day = today + timedelta(days=offset)
        around = day_link(day - timedelta(days=1)) + day_link(day + timedelta(days=1))
        pages[f"/lich.php?ngay={day:%d-%m-%Y}"] = (200, f"<p>Lịch</p>{around}".encode())
    pages["/"] = (200, day_link(today + timedelta(days=7)).encode())
    result, asked = _crawl_pages(pages, "/", "lich", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    days = [datetime.strptime(path[-10:], "%d-%m-%Y").date() for path in asked if "ngay=" in path]
    assert max(days) == today + timedelta(days=7), days
    assert "dates: /lich.php?ngay=*: 1 link dated past today" in result.stdout


_HOME_LINK = "<a href='/'>Trang chủ</a>"


def _meetings(count: int) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """A small portal's pages: ``count`` meeting reports at ``/tin.php?id=N``
    (each linking home), no robots.txt; and a listing item for each."""
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    items = []
    for number in range(1, count + 1):
        title = _meeting_title(number)
        pages[f"/tin.php?id={number}"] = (200, _meeting_article(number, title, _HOME_LINK))
        items.append(_teaser(f"/tin.php?id={number}", title))
    return pages, items


_SYLLABLES = ("dan", "sinh", "nong", "thon", "moi", "dat", "dai", "giao", "duc", "van", "hoa")


def test_tag_pages_on_a_template_of_their_own_end_as_a_walk(tmp_path: Path) -> None:
    """Each article links to tags, and each tag page to five new tags, under
    the listings' menu, which the articles do not show.  Each tag page so
    showed what the article it came from did not, as a date archive's day
    does, and walking never stopped them: twelve pages to the streak rule.
    Every tag page after the first shows only what the first one did."""
    pages, items = _meetings(6)
    menu = _HOME_LINK + '<a href="/gioi-thieu">Giới thiệu</a><a href="/lien-he">Liên hệ</a>'
    names = list(_SYLLABLES)
    for name in list(names):
        names += [f"{name}-{more}" for more in _SYLLABLES[:5]]
    for name in names:
        tags = "".join(f'<a href="/the/{name}-{more}">{more}</a>' for more in _SYLLABLES[:5])
        pages[f"/the/{name}"] = (200, f"{menu}<h2>Thẻ {name}</h2>{tags}")
    for number in range(1, 7):
        tags = "".join(f'<a href="/the/{tag}">{tag}</a>' for tag in _SYLLABLES[number : number + 2])
        title = _meeting_title(number)
        pages[f"/tin.php?id={number}"] = (200, _meeting_article(number, title, _HOME_LINK, tags))
    for path in ("/gioi-thieu", "/lien-he"):
        pages[path] = (200, f"{_HOME_LINK}<p>Ủy ban nhân dân xã</p>")
    pages["/"] = (200, _HOME_LINK + "".join(items))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, asked = _crawl_pages(encoded, "/", "tags", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "tags")) == 6
    tag_pages = [path for path in asked if path.startswith("/the/")]
    assert len(tag_pages) <= 3, tag_pages
    assert "trap: /the/* stopped after" in result.stdout


def test_a_search_refined_into_nothing_new_is_stopped_at_its_first_refinement(
    tmp_path: Path,
) -> None:
    """A search page leads only to four refinements of itself, each of which
    leads nowhere new.  Once the first refinement came back barren, the three
    held behind it were sent all the same: five pages for one search box."""
    pages, items = _meetings(6)
    search = '<a href="/tim-kiem?q=xa">Tìm kiếm</a>'
    refined = "".join(f'<a href="/tim-kiem?q=xa-{word}">{word}</a>' for word in _SYLLABLES[:4])
    pages["/tim-kiem?q=xa"] = (200, f"{_HOME_LINK}<p>Kết quả tìm kiếm</p>{refined}")
    for word in _SYLLABLES[:4]:
        pages[f"/tim-kiem?q=xa-{word}"] = (200, f"{_HOME_LINK}<p>Không tìm thấy kết quả</p>")
    pages["/"] = (200, _HOME_LINK + search + "".join(items))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, asked = _crawl_pages(encoded, "/", "search", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "search")) == 6
    searches = [path for path in asked if path.startswith("/tim-kiem")]
    assert len(searches) == 2, searches
    assert "/tim-kiem?q=* stopped after 2 pages (led only to more of it, then to nothing new)" in (
        result.stdout
    )


def test_articles_answering_under_a_second_prefix_are_aliases_not_dead_ends(
    tmp_path: Path,
) -> None:
    """A Liferay portal answers every article under /vi/ and under /web/site/:
    the home page links the newest under /vi/, the news listing all of them
    under /web/site/.  The first /web/ articles were copies of the /vi/ ones
    met first, counted as dead ends as print views are, and their shape was
    stopped: the articles linked only under /web/ were lost."""
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    items = []
    for number in range(1, 9):
        title = _meeting_title(number)
        for prefix in ("/vi", "/web/xa"):
            path = f"{prefix}/chi-tiet/-/asset_publisher/AbC/content/bai-{number}"
            pages[path] = (200, _meeting_article(number, title, _HOME_LINK))
        items.append(_teaser(f"/web/xa/chi-tiet/-/asset_publisher/AbC/content/bai-{number}", title))
    newest = "".join(
        _teaser(f"/vi/chi-tiet/-/asset_publisher/AbC/content/bai-{number}", _meeting_title(number))
        for number in (1, 2, 3)
    )
    pages["/web/xa/tin-tuc"] = (200, _HOME_LINK + "".join(items))
    pages["/"] = (200, newest + '<a href="/web/xa/tin-tuc">Tin tức</a>')
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, _ = _crawl_pages(encoded, "/", "prefixes", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "prefixes")) == 8, result.stdout
    assert "dead ends" not in result.stdout


def test_print_views_sharing_the_articles_parameters_are_stopped(tmp_path: Path) -> None:
    """Joomla's articles are /tin-tuc/N-slug.html?Itemid=101, their print views
    the same with tmpl=component&layout=default: the print views shared the
    articles' /tin-tuc/*.html?*, which was productive, so their dead ends
    never counted, and every article's print view was fetched.  One tells:
    a copy of the article that linked it, showing no link at all."""
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, "")}
    items = []
    for number in range(1, 11):
        title, path = _meeting_title(number), f"/tin-tuc/{number}-hoi-nghi.html"
        view = f"{path}?tmpl=component&amp;print=1&amp;layout=default&amp;Itemid=101"
        after = f'<a href="{view}">Bản in</a>'
        pages[f"{path}?Itemid=101"] = (200, _meeting_article(number, title, _HOME_LINK, after))
        # Asked as canonical: print=1 dropped, the parameters sorted.
        asked_as = f"{path}?Itemid=101&layout=default&tmpl=component"
        pages[asked_as] = (200, _meeting_article(number, title))
        items.append(_teaser(f"{path}?Itemid=101", title))
    pages["/"] = (200, _HOME_LINK + "".join(items))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, _ = _crawl_pages(encoded, "/", "joomla", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "joomla")) == 10
    assert "*.html?Itemid=*&layout=*&tmpl=* stopped after 1 page (dead ends" in result.stdout


def test_articles_gone_first_in_a_listing_do_not_stop_the_rest(tmp_path: Path) -> None:
    """The two newest articles listed answer an empty page and a line saying
    the article is gone, with no link: as pages of text with no links (print
    views), two of them stopped the articles' shape, and the other six were
    never asked for, crawl after crawl."""
    pages, items = _meetings(8)
    pages["/tin.php?id=1"] = (200, "")
    gone = "<html><body><p>Bài viết không tồn tại hoặc đã bị gỡ bỏ.</p></body></html>"
    pages["/tin.php?id=2"] = (200, gone)
    pages["/"] = (200, _HOME_LINK + "".join(items))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, _ = _crawl_pages(encoded, "/", "gone", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "gone")) == 6, result.stdout
    assert "dead ends" not in result.stdout


def test_child_sitemaps_listing_nothing_new_are_left_and_said(tmp_path: Path) -> None:
    """A sitemap index of 60 children: the first 30 list an article each,
    the rest nothing.  Every child was queued at once and fetched to the
    last (a hostile index of 50,000 ran until the crawl's budget); they now
    go out a few at a time, and those after ten barren ones in a row are
    left, and said.  An index whose children keep listing news is read whole,
    though the home page led to that news first."""
    teasers = "".join(_teaser(f"/tin.php?id={n}", _meeting_title(n)) for n in range(30))
    pages: dict[str, tuple[int, str]] = {"/robots.txt": (404, ""), "/": (200, teasers)}
    children = "".join(f"<sitemap><loc>/sitemap-{n}.xml</loc></sitemap>" for n in range(60))
    pages["/sitemap.xml"] = (200, f'<sitemapindex xmlns="{SITEMAP_NS}">{children}</sitemapindex>')
    for number in range(60):
        listed = f"<url><loc>/tin.php?id={number}</loc></url>" if number < 30 else ""
        pages[f"/sitemap-{number}.xml"] = (200, f'<urlset xmlns="{SITEMAP_NS}">{listed}</urlset>')
        title = _meeting_title(number)
        pages[f"/tin.php?id={number}"] = (200, _meeting_article(number, title, _HOME_LINK))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, asked = _crawl_pages(encoded, "/", "maps", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "maps")) == 30
    fetched = [path for path in asked if path.startswith("/sitemap-")]
    assert 40 <= len(fetched) <= 43, fetched
    left = 60 - len(fetched)
    assert f"sitemaps: {left} child sitemap(s) not fetched, the last 10 in a row" in result.stdout


def test_a_portal_that_moved_is_said_by_its_pages_falling(tmp_path: Path) -> None:
    """Every URL redirected to one "this portal has moved" page: the full
    crawl ended 'finished', 0 errors, nothing cut off; only its page count
    fell, from 25 to 5."""
    pages, items = _meetings(20)
    pages["/"] = (200, _HOME_LINK + "".join(items))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    first, _ = _crawl_pages(encoded, "/", "moved", tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "fewer pages" not in first.stdout
    moved = {
        "/robots.txt": (404, b""),
        "/": (302, b"/da-chuyen.html"),
        "/da-chuyen.html": (
            200,
            f"{_HOME_LINK}<p>Cổng thông tin đã chuyển về địa chỉ mới.</p>".encode(),
        ),
    }
    full, _ = _crawl_pages(moved, "/", "moved", tmp_path, "--mode", "full")
    assert full.returncode == 0, full.stdout + full.stderr
    said = " ".join(full.stdout.split())
    assert re.search(r"cut off: fewer pages: \d fetched, where the last whole crawl fetched", said)


def test_a_link_held_behind_a_failed_page_is_not_asked_twice(tmp_path: Path) -> None:
    """A calendar month leads only to more months: its first link is sent and
    the rest held for that one's verdict.  That link fails (404), so they
    wait for the end of the crawl.  They were then sent past the duplicate
    filter, and a month reached meanwhile by a redirect was fetched again.
    (Two workers on one frontier did it too: one holds links whose verdict
    the other hears, while the other queues them from a page of its own.)"""
    pages, items = _meetings(7)
    for month in range(5, 8):
        around = "".join(
            f'<a href="/lich.php?thang={m}">Tháng {m}</a>' for m in (month - 1, month + 1)
        )
        pages[f"/lich.php?thang={month}"] = (200, f"<p>Lịch tháng {month}</p>{around}")
    # June's meeting is listed in its month alone.
    pages["/lich.php?thang=6"] = (200, pages["/lich.php?thang=6"][1] + items.pop())
    pages["/lich.php?thang=4"] = (404, "")
    # June is also the "this month" link's end, reached by a redirect.
    pages["/lich-thang-nay"] = (302, "/lich.php?thang=6")
    months = '<a href="/lich.php?thang=5">Lịch</a><a href="/lich-thang-nay">Tháng này</a>'
    pages["/"] = (200, _HOME_LINK + months + "".join(items))
    encoded = {path: (status, body.encode()) for path, (status, body) in pages.items()}
    result, asked = _crawl_pages(encoded, "/", "held", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "held")) == 7
    assert len(asked) == len(set(asked)), asked


def test_links_too_long_to_request_leave_room_for_the_others(tmp_path: Path) -> None:
    """Links longer than any request Scrapy sends (a template pasting a whole
    URL into an id) were queued in the trap guard's count, then dropped
    unsaid, each logged whole: they filled their shape's queue cap with
    requests that never left, and the articles of that shape were dropped.
    A sitemap's were logged whole too."""
    pages, items = _meetings(8)
    broken = "".join(f'<a href="/tin.php?id={n}{"0" * 1500}">Tin</a>' for n in range(6))
    pages["/"] = (200, _HOME_LINK + broken + "".join(items))
    locs = "".join(f"<url><loc>/tin.php?id={n}{'0' * 1500}</loc></url>" for n in range(6))
    pages["/sitemap.xml"] = (200, f'<urlset xmlns="{SITEMAP_NS}">{locs}</urlset>')
    server, _ = serve_pages({path: (s, body.encode()) for path, (s, body) in pages.items()})
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        (tmp_path / "sites.toml").write_text(
            f'{TEST_CRAWLER_OPTIONS}max_queued_per_shape = 10\n[[site]]\nname = "long"\n'
            f'start_urls = ["{url}"]\n',
            encoding="utf-8",
        )
        result = run_dna("crawl", "long", "--no-index", data=tmp_path, timeout=180)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(tmp_path, "long")) == 8, result.stdout
    assert "queue cap" not in result.stdout
    log = next((tmp_path / "logs").glob("crawl-*.log")).read_text(encoding="utf-8")
    assert "0" * 1500 not in log

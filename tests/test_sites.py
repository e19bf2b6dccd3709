"""sites.toml: valid entries load, each bad entry is reported with its line and skipped."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.url import url_is_from_any_domain

from crawler.siteedits import append_site
from crawler.sites import load_sites
from extract.urls import split_domain, within_site

GOOD = """\
[crawler]
download_delay = 0
contact = "https://archive.example.org/contact"

[[site]]
name = "xa-thanh-lien"
title = "Xã Thanh Liên"
start_urls = ["https://thanhlien.nghean.gov.vn/"]
family = "vnportal"
article_pattern = '-\\d+$'
max_pages = 500
since = 2020-01-01

[site.selectors]
title = "h1.title"
body = "//div[@class='content']"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_url_patterns_ignore_case_as_iis_portals_do(tmp_path: Path) -> None:
    """A DNN portal's pattern '/ArticleID/\\d+/' missed the pages the crawl
    asked for in lower case once it learnt the server ignores case: 2 of 5
    articles were lost, with no word said."""
    text = 'name = "dnn"\nstart_urls = ["http://a.vn/"]\narticle_pattern = "/ArticleID/\\\\d+/"\n'
    site = load_sites(write(tmp_path, "[[site]]\n" + text)).get("dnn")
    assert site is not None and site.article_pattern is not None
    assert site.article_pattern.search("/tin-tuc/tabid/55/articleid/3012/canh-bao.aspx")


def test_valid_site_loads_with_defaults(tmp_path: Path) -> None:
    registry = load_sites(write(tmp_path, GOOD))
    assert registry.problems == []
    site = registry.get("xa-thanh-lien")
    assert site is not None
    assert site.title == "Xã Thanh Liên"
    assert site.allowed_domains == ("thanhlien.nghean.gov.vn",)
    assert site.family == "vnportal"
    assert site.article_pattern is not None and site.article_pattern.search("/tin/bai-12")
    assert site.max_pages == 500
    assert site.since == date(2020, 1, 1)
    assert site.selectors == {"title": "h1.title", "body": "//div[@class='content']"}
    assert site.line == 5
    settings = registry.scrapy_settings()
    assert settings["DOWNLOAD_DELAY"] == 0.001  # Scrapy needs a non-zero delay
    assert "https://archive.example.org/contact" in settings["USER_AGENT"]


@pytest.mark.parametrize(
    ("entry", "line", "message"),
    [
        ('name = "a"\nstart_urls = ["http://a.vn/"]\ncolour = "red"\n', 4, "unknown key 'colour'"),
        ('name = "a"\nstart_urls = ["http://a.vn/"]\narticle_pattern = "(["\n', 4, "invalid regex"),
        ('name = "a"\ntitle = "no urls"\n', 1, "missing start URL"),
        ('name = "../etc"\nstart_urls = ["http://a.vn/"]\n', 2, "unsafe name"),
        ('name = "Xa Lien"\nstart_urls = ["http://a.vn/"]\n', 2, "unsafe name"),
        ('name = "a"\nstart_urls = ["ftp://a.vn/"]\n', 3, "not an http(s) URL"),
        ('name = "a"\nstart_urls = ["http://a.vn/"]\nfamily = "joomla"\n', 4, "unknown family"),
        ('name = "a"\nstart_urls = ["http://a.vn/"]\nmax_pages = 0\n', 4, "max_pages"),
        ('name = "a"\nstart_urls = ["http://a.vn/"]\nsince = "last year"\n', 4, "since"),
        ('name = "a"\nstart_urls = ["http://a.vn/"]\nsince = 2099-01-01\n', 4, "is after today"),
        ('name = "a"\nstart_urls = "http://a.vn/"\nmax_depth = = 3\n', 4, "TOML syntax"),
        (
            'name = "a"\nstart_urls = ["http://a.vn/"]\n[site.selectors]\ntitle = "h1[["\n',
            5,
            "invalid selector",
        ),
    ],
)
def test_bad_entry_is_reported_with_line_and_skipped(
    tmp_path: Path, entry: str, line: int, message: str
) -> None:
    good = '[[site]]\nname = "ok"\nstart_urls = ["http://ok.vn/"]\n'
    path = write(tmp_path, good + "\n[[site]]\n" + entry)
    registry = load_sites(path)
    assert [site.name for site in registry.sites] == ["ok"]
    assert len(registry.problems) == 1
    problem = registry.problems[0]
    assert problem.line == line + 4, str(problem)
    assert message in str(problem)
    assert str(problem).startswith(f"{path}:{line + 4}: ")


@pytest.mark.parametrize("header", ["[[site]", "[site]", "[site]]", "[[ site ]"])
def test_a_mistyped_header_costs_its_own_entry_alone(tmp_path: Path, header: str) -> None:
    """A mistyped header made its entry part of the one above, and the
    syntax error dropped both: a good site vanished, named nowhere."""
    block = '[[site]]\nname = "{}"\nstart_urls = ["http://{}.vn/"]\n'
    broken = block.format("broken", "broken").replace("[[site]]", header)
    text = block.format("first", "a") + block.format("second", "b") + broken
    registry = load_sites(write(tmp_path, text + block.format("fourth", "d")))
    assert [site.name for site in registry.sites] == ["first", "second", "fourth"]
    (problem,) = registry.problems
    assert problem.name == "broken" and problem.line == 7, str(problem)


def test_duplicate_name_keeps_the_first(tmp_path: Path) -> None:
    block = '[[site]]\nname = "a"\nstart_urls = ["http://{}.vn/"]\n'
    registry = load_sites(write(tmp_path, block.format("one") + block.format("two")))
    assert [site.start_urls for site in registry.sites] == [("http://one.vn/",)]
    assert "duplicate name" in str(registry.problems[0])
    assert registry.problems[0].line == 4


def test_unknown_crawler_option_is_reported(tmp_path: Path) -> None:
    registry = load_sites(write(tmp_path, "[crawler]\nspeed = 11\n"))
    assert registry.crawler == {}
    assert "unknown [crawler] key 'speed'" in str(registry.problems[0])
    assert registry.problems[0].line == 2


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        # 0 requests at once to a host: the crawl never sent one and never ended.
        ("concurrency_per_host = 0", "concurrency_per_host must be a positive number"),
        # Scrapy reads a size limit of 0 as none: every read must stay bounded.
        ("max_page_size = 0", "max_page_size must be a positive number"),
        ("timeout = 0", "timeout must be a positive number"),
        ("timeout = nan", "timeout must be a finite number"),
        ("download_delay = inf", "download_delay must be a finite number"),
        ("download_delay = -1", "download_delay must be 0 or more"),
        ("retry_times = -1", "retry_times must be 0 or more"),
        ("warc_max_size = -5", "warc_max_size must be a positive number"),
        # No crawl would ever start.
        ("sites_at_once = 0", "sites_at_once must be a positive number"),
    ],
)
def test_crawler_numbers_out_of_range_are_reported_and_left_out(
    tmp_path: Path, line: str, problem: str
) -> None:
    registry = load_sites(write(tmp_path, f"[crawler]\nautothrottle = false\n{line}\n"))
    assert registry.crawler == {"autothrottle": False}
    # Said with what is done instead: a value left out leaves the default.
    assert [str(p) for p in registry.problems] == [
        f"{tmp_path / 'sites.toml'}:3: [crawler] {problem}; its default is used"
    ]


def test_zero_delay_and_zero_retries_are_allowed(tmp_path: Path) -> None:
    registry = load_sites(write(tmp_path, "[crawler]\ndownload_delay = 0\nretry_times = 0\n"))
    assert not registry.problems
    assert registry.crawler == {"download_delay": 0.0, "retry_times": 0}


def test_an_endless_time_budget_is_reported(tmp_path: Path) -> None:
    registry = load_sites(
        write(tmp_path, '[[site]]\nname = "a"\nstart_urls = ["http://a.vn/"]\nmax_minutes = inf\n')
    )
    assert not registry.sites
    assert "max_minutes must be a positive number of minutes" in str(registry.problems[0])


def test_a_title_that_is_not_text_is_reported(tmp_path: Path) -> None:
    """``title = 5`` reached the sites table, which took it for text and crashed."""
    registry = load_sites(
        write(tmp_path, '[[site]]\nname = "a"\nstart_urls = ["http://a.vn/"]\ntitle = 5\n')
    )
    assert not registry.sites
    assert "title must be a string" in str(registry.problems[0])
    assert registry.problems[0].line == 4


def test_an_internationalised_host_is_allowed_in_the_form_scrapy_sends(tmp_path: Path) -> None:
    """Scrapy sends ``xã.vn`` as ``xn--x-yfa.vn``: a Unicode domain made every link off-site."""
    registry = load_sites(
        write(
            tmp_path,
            '[[site]]\nname = "a"\nstart_urls = ["http://xã.vn/"]\n'
            '[[site]]\nname = "b"\nstart_urls = ["http://b.vn/"]\n'
            'allowed_domains = ["Thành-Phố.vn:8080"]\n',
        )
    )
    assert not registry.problems
    idn, other = registry.sites
    sent = Request("http://xã.vn/tin-tuc/bai-1").url
    assert sent == "http://xn--x-yfa.vn/tin-tuc/bai-1"
    assert idn.allowed_domains == ("xn--x-yfa.vn",)
    assert within_site(sent, idn.allowed_domains)
    assert url_is_from_any_domain(sent, [split_domain(d)[0] for d in idn.allowed_domains])
    assert other.allowed_domains[0] == "xn--thnh-ph-9va4010e.vn:8080"
    assert within_site(Request("http://thành-phố.vn:8080/a").url, other.allowed_domains)


def test_missing_file_is_an_empty_registry(tmp_path: Path) -> None:
    registry = load_sites(tmp_path / "nope.toml")
    assert registry.sites == [] and registry.problems == []


def test_append_site_keeps_existing_text_and_validates(tmp_path: Path) -> None:
    path = write(tmp_path, "# my portals\n" + GOOD)
    site = append_site(
        path,
        "huyen-thanh-chuong",
        "https://thanhchuong.nghean.gov.vn/",
        family="vnportal",
        title='Huyện "Thanh Chương"',
    )
    assert site.allowed_domains == ("thanhchuong.nghean.gov.vn",)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my portals\n")
    assert [s.name for s in load_sites(path).sites] == ["xa-thanh-lien", "huyen-thanh-chuong"]
    with pytest.raises(ValueError, match="already"):
        append_site(path, "xa-thanh-lien", "https://x.vn/", family="auto")
    with pytest.raises(ValueError, match="unsafe name"):
        append_site(path, "a/b", "https://x.vn/", family="auto")
    with pytest.raises(ValueError, match="not an http"):
        append_site(path, "c", "file:///etc/passwd", family="auto")
    assert [s.name for s in load_sites(path).sites] == ["xa-thanh-lien", "huyen-thanh-chuong"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "thanhlien.nghean.gov.vn/tin-tuc",
            "did you mean 'https://thanhlien.nghean.gov.vn/tin-tuc'",
        ),
        ("localhost:8000", "did you mean 'https://localhost:8000'"),
        ("ftp://a.vn/", "is not an http(s) URL"),
        ("http://a.vn:99999/", "check the host and port"),
        ("http://a.vn/tin tuc", "space or control character"),
        ("http:///tin", "has no host"),
        ("https://editor:s3cret@a.vn/", "https://…@a.vn/ carries a user name or password"),
    ],
)
def test_a_start_url_that_is_no_portal_address_says_what_to_fix(
    tmp_path: Path, url: str, message: str
) -> None:
    """Both where an archivist types a URL: sites.toml, and ``dna sites add``.
    A password is never repeated (into a terminal, a log, or sites.toml)."""
    entry = f'[[site]]\nname = "a"\nstart_urls = ["{url}"]\n'
    [problem] = load_sites(write(tmp_path, entry)).problems
    assert message in str(problem)
    with pytest.raises(ValueError) as refused:
        append_site(tmp_path / "new.toml", "a", url, family="auto")
    assert message in str(refused.value)
    assert "s3cret" not in str(problem) + str(refused.value)
    assert not (tmp_path / "new.toml").exists()


def test_an_ipv6_portal_is_allowed_its_own_address(tmp_path: Path) -> None:
    """The default allowed_domains of [::1]:8080 keep the brackets a message shows."""
    registry = load_sites(
        write(tmp_path, '[[site]]\nname = "six"\nstart_urls = ["http://[::1]:8080/"]\n')
    )
    assert not registry.problems
    [site] = registry.sites
    assert site.allowed_domains == ("[::1]", "[::1]:8080")

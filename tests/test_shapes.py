"""The trap guard's verdicts, page by page: :class:`crawler.shapes.ShapeWatch` driven
as the spider middleware drives it, with the crawl settings dna runs with."""

from __future__ import annotations

import gc
import weakref

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.shapes import ShapeWatch

PORTAL = "http://huyen.gov.vn"


#: A watch holds its crawler weakly, as a crawl's components do not: the tests keep theirs.
_CRAWLERS: list[Crawler] = []


def watch() -> ShapeWatch:
    crawler = get_crawler(
        settings_dict={
            "DNA_TRAP_PAGES": settings.DNA_TRAP_PAGES,
            "DNA_MAX_QUEUED_PER_SHAPE": settings.DNA_MAX_QUEUED_PER_SHAPE,
        }
    )
    _CRAWLERS.append(crawler)
    return ShapeWatch(crawler)


def test_a_watch_lets_its_ended_crawl_go() -> None:
    """Crawls that wait their turn start as others end: each ended one must
    free its spider, engine and watch, not keep them to the end of the run.
    The registry is keyed weakly by crawler; a watch holding its crawler
    strongly kept both alive."""
    crawler = get_crawler()
    ShapeWatch.of(crawler).judged(tab(1), True, [], PORTAL + "/")
    gone = weakref.ref(crawler)
    del crawler
    gc.collect()
    assert gone() is None


def tab(number: int, **more: int) -> str:
    query = "&".join(f"{name}={value}" for name, value in {"tabid": number, **more}.items())
    return f"{PORTAL}/Default.aspx?{query}"


def test_one_path_for_every_template_is_not_stopped_by_two_templates_pages() -> None:
    """DotNetNuke serves every page as /Default.aspx?tabid=N: the calendar's
    tab (leading only to its weekday tabs) then the "about" tab (leading
    nowhere new) stopped /Default.aspx?* as a trap, and the news listing's
    pages 2 to 4, queued behind them, were dropped: 3 of 13 articles lost."""
    shapes = watch()
    weekdays = [Request(tab(61 + day, tuan=29)) for day in range(6)]
    shapes.judged(tab(60), False, weekdays, PORTAL + "/")
    shapes.judged(tab(40), False, [], PORTAL + "/")
    assert shapes.stopped(tab(52, PageIndex=2)) is None
    # The calendar's own weeks still are a trap.
    weeks = [Request(tab(61, tuan=28)), Request(tab(61, tuan=30))]
    shapes.judged(tab(61, tuan=29), False, weeks, tab(60))
    shapes.judged(tab(61, tuan=28), False, [Request(tab(61, tuan=27))], tab(61, tuan=29))
    assert shapes.stopped(tab(61, tuan=40)) == "/Default.aspx?tabid=*&tuan=*"


def test_a_calendar_in_a_directory_does_not_stop_the_directory() -> None:
    """Liferay's calendar is /vi/lich-cong-tac?_8_month=N…: its months walked
    /vi/* as well as their own shape, and stopping /vi/* dropped /vi/tin-tuc,
    the news listing.  A tag cloud's pages, each another word under /the/,
    still walk /the/*."""
    shapes = watch()

    def month(number: int) -> str:
        return f"{PORTAL}/vi/lich-cong-tac?p_p_id=8&_8_month={number}&_8_year=2024"

    for number in range(5, 1, -1):
        links = [Request(month(number - 1)), Request(month(number + 1))]
        shapes.judged(month(number), False, links, month(number + 1))
    assert shapes.stopped(month(0)) is not None
    assert shapes.stopped(f"{PORTAL}/vi/tin-tuc") is None
    for word, more in (("dan", "sinh"), ("sinh", "nong"), ("nong", "thon")):
        shapes.judged(f"{PORTAL}/the/{word}", False, [Request(f"{PORTAL}/the/{more}")], PORTAL)
    assert shapes.stopped(f"{PORTAL}/the/moi") == "/the/*"


def test_a_page_answered_below_itself_has_its_other_links_below_it_dropped() -> None:
    """A router answers every path below /gioi-thieu/ with that page, whose
    links are relative: ``lich-su/`` came back as /gioi-thieu/ again, and
    ``co-cau-to-chuc/``, queued beside it, was fetched all the same, as
    another copy.  Links that leave the page's directory still go."""
    shapes = watch()
    about = f"{PORTAL}/gioi-thieu/"

    def link(url: str, written: str) -> Request:
        return Request(url, meta={"dna_written": written, "dna_linked_from": about})

    sibling = link(f"{about}co-cau-to-chuc/", "co-cau-to-chuc/")
    contact = link(f"{PORTAL}/lien-he/", "../lien-he/")
    assert not shapes.copy_link(sibling)
    assert shapes.repeats_above(about, 1, "gioi-thieu/", PORTAL + "/") is None
    assert shapes.repeats_above(f"{about}lich-su/", 1, "lich-su/", about) == about
    assert shapes.copy_link(sibling)
    assert not shapes.copy_link(contact)
    assert any("1 more of its links below it not followed" in line for line in shapes.cut_off())


def test_a_home_page_answered_as_index_php_leaves_the_sites_links_alone() -> None:
    """The menu's "Trang chủ" links ``index.php``, the home page again: taken
    for a router answering below the root, every ``index.php?com=…`` link of
    the home page was dropped, and not one of a PHP portal's articles was
    archived."""
    shapes = watch()
    home = f"{PORTAL}/"
    article = Request(
        f"{PORTAL}/index.php?com=tintuc_ct&id_news=7",
        meta={"dna_written": "index.php?com=tintuc_ct&id_news=7", "dna_linked_from": home},
    )
    assert shapes.repeats_above(home, 1) is None
    assert shapes.repeats_above(f"{PORTAL}/index.php", 1, "index.php", home) == home
    assert not shapes.copy_link(article)

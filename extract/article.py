"""Extract one article from one fetched page.

The entry point for the live crawl and for restoring from WARC files alike:
it takes a :class:`~extract.page.Page`, needs no Scrapy, and returns
an :class:`~archive.records.ArticleRecord` or ``None`` for pages that are not
articles (home pages, listings, errors).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from lxml.etree import _Element as Element

from archive.records import VIETNAM_TZ, ArticleRecord
from extract.blocks import TextBlock, is_within, text_blocks
from extract.body import AUTHOR_PREFIX, split_body
from extract.boilerplate import chrome_elements, views_line
from extract.container import (
    article_blocks,
    find_article_body,
    is_prose,
    plays_media,
    under_teasers,
)
from extract.dates import (
    date_from_url,
    is_dateline,
    is_plausible,
    is_short_date_line,
    parse_http_date,
    same_day,
)
from extract.families import FIELDS, GENERIC, detect_family, get_family
from extract.fields import (
    author_of,
    canonical_url,
    find_author,
    find_category,
    find_tags,
    find_title,
    find_views,
)
from extract.page import Page
from extract.published import page_date
from extract.scope import Scope
from extract.select import nodes
from extract.urls import absolute, canonical_or_none

#: Lines of the article area this long or shorter may be date or view-count lines.
_MAX_META_LINE = 120
_PAGE_TAGS = frozenset({"html", "body"})


def _common_ancestor(first: Element, second: Element) -> Element | None:
    lineage = {first, *first.iterancestors()}
    return next((node for node in (second, *second.iterancestors()) if node in lineage), None)


def _area(title: Element | None, body: Element) -> Element:
    """The article's own part of the page: headline, meta lines and body."""
    if title is not None:
        shared = _common_ancestor(title, body)
        if shared is not None and shared.tag not in _PAGE_TAGS:
            return shared
    parent = body.getparent()
    return parent if parent is not None and parent.tag not in _PAGE_TAGS else body


def _above_body(
    area: Element, title: Element | None, body: Element, chrome: Collection[Element]
) -> list[TextBlock]:
    """The paragraphs standing between the headline and the body: the lead,
    when no selector names one, and what follows it.

    A theme's own class for the lead (``post-summary``) is in no preset:
    after a portal's redesign its every lead was lost, and words found only
    in a lead were no longer found.  A date, byline, counter, share line or
    an image's caption there is no paragraph of the article.
    """
    if title is None or not is_within(title, area) or is_within(title, body):
        return []
    after = False
    found = []
    for block in text_blocks(area, chrome):
        if is_within(block.element, body):
            break
        if is_within(block.element, title):
            after = True
        elif after and _reads_as_paragraph(block):
            found.append(block)
    return found


def _reads_as_paragraph(block: TextBlock) -> bool:
    text = block.text
    return (
        is_prose(block)
        and next(block.element.iterancestors("figure"), None) is None
        and not (is_dateline(text) or is_short_date_line(text))
        and not AUTHOR_PREFIX.match(text)
        and views_line(text) is None
    )


#: A line of a contact card: a short label, a colon, its value ("Điện thoại: 0204.3886.123").
_LABELLED = re.compile(r"^[^\W\d_][^:]{0,30}:\s*\S")
#: An e-mail address or a phone number.
_REACHED_AT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\d[\d .]{7,}\d")
_MAX_CARD_LINE = 120


def _contact_card(paragraphs: list[str]) -> bool:
    """Whether ``paragraphs`` are a contact card: half or more of them short
    labelled lines ("Địa chỉ: …", "Điện thoại: …"), a phone or an e-mail
    among them.  Undated, such a page ("Liên hệ") was stored as an article,
    dated the day of the crawl, and listed first among the newest news."""
    labelled = [
        line for line in paragraphs if len(line) <= _MAX_CARD_LINE and _LABELLED.match(line)
    ]
    return (
        len(labelled) >= 2
        and len(labelled) * 2 >= len(paragraphs)
        and any(_REACHED_AT.search(line) for line in labelled)
    )


#: Links of a page's menus: its navigation, whatever the template calls it.
_MENU_LINKS = (
    "//nav//a/@href | //header//a/@href"
    " | //*[contains(@class, 'menu') or contains(@id, 'menu') or contains(@class, 'nav')]//a/@href"
)


def _in_its_own_menu(page: Page, url: str) -> bool:
    """Whether the page's menu links to the page itself: one of the site's
    own pages ("Giới thiệu", "Lịch sử", "About us").  Undated, such a page was
    stored as an article dated the day of the crawl, on four of seven
    portals of a probe; news is reached from listings, not from the menu."""
    here = _here(page, url)
    return any(_link_target(page, href) in here for href in nodes(page.selector.root, _MENU_LINKS))


def _meta_lines(
    area: Element,
    title: Element | None,
    body: Element,
    remove: tuple[str, ...],
    drop: set[str],
) -> list[TextBlock]:
    """Short lines that may print the date or view count.

    Those of the article area outside the body, up to a related-news heading,
    then the body's own lines above its first paragraph (old pages put the
    date line there).  A headline outside the area (a page with nothing but
    the article, as an AMP copy: headline, date line and body straight under
    ``<body>``) brings the lines of what follows it, up to the body.
    """
    skip = chrome_elements(area, remove) | {body}
    area_lines = article_blocks(text_blocks(area, skip))
    if title is not None and not is_within(title, area):
        under = []
        for sibling in title.itersiblings():
            if is_within(body, sibling):
                break
            under += text_blocks(sibling, skip)
        area_lines = under + area_lines
    lines = [line for line in area_lines if len(line.text) <= _MAX_META_LINE]
    for line in text_blocks(body, chrome_elements(body, remove)):
        if line.text in drop:
            continue
        if len(line.text) > _MAX_META_LINE or not (
            is_dateline(line.text) or is_short_date_line(line.text)
        ):
            break
        lines.append(line)
    return lines


def _published(
    page: Page, page_value: datetime | None, listed_date: datetime | None
) -> tuple[datetime | None, str | None]:
    """The date and its source, most trustworthy source first.

    A ``Last-Modified`` on the fetch day is the server's clock, not an edit.
    """
    if page_value is not None:
        return page_value, "page"
    from_url = date_from_url(page.url)
    if from_url is not None and is_plausible(from_url, page.fetched_at):
        return from_url, "url"
    if listed_date is not None:
        listed = listed_date if listed_date.tzinfo else listed_date.replace(tzinfo=VIETNAM_TZ)
        if is_plausible(listed, page.fetched_at):
            return listed.astimezone(VIETNAM_TZ), "feed"
    modified = parse_http_date(page.headers.get("last-modified", ""))
    if (
        modified is not None
        and is_plausible(modified, page.fetched_at)
        and not same_day(modified, page.fetched_at)
    ):
        return modified, "last-modified"
    return None, None


def _check_overrides(selectors: Mapping[str, str] | None) -> dict[str, str]:
    overrides = dict(selectors or {})
    unknown = sorted(set(overrides) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown selector field(s) {', '.join(unknown)}; use {', '.join(FIELDS)}")
    return overrides


_SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)+")
_FILE_NAME = re.compile(r"[\w-]+\.(?:jpe?g|png|gif|webp|bmp|pdf|docx?|xlsx?)", re.IGNORECASE)


def _links_elsewhere(title: Element, page: Page, url: str) -> bool:
    """Whether the headline is a link to another page: a teaser's.

    An article's own headline links nowhere, or to itself.  A home page with
    a lead story (its headline, two paragraphs) read as that article, and
    was stored again under the home page's URL with the crawl's date.
    """
    link = title if title.tag == "a" else next(title.iterancestors("a"), None)
    if link is None:
        inner = title.findall(".//a[@href]")
        if len(inner) != 1 or 2 * len(_text(inner[0])) < len(_text(title)):
            return False
        link = inner[0]
    return _elsewhere(page, url)(link.get("href") or "")


def _elsewhere(page: Page, url: str) -> Callable[[str], bool]:
    """Whether a link's ``href`` leads to another page than ``page`` (known as ``url``)."""
    here = _here(page, url)

    def leads_elsewhere(href: str) -> bool:
        target = _link_target(page, href)
        return target is not None and target not in here

    return leads_elsewhere


def _here(page: Page, url: str) -> set[str | None]:
    """The page's canonical URLs: as fetched, and as its ``rel=canonical`` names it."""
    return {canonical_or_none(page.url), canonical_or_none(url)}


def _link_target(page: Page, href: str) -> str | None:
    """The canonical web page a link on ``page`` leads to, fragment left out; ``None`` if none."""
    target = absolute(page.base_url, href.strip()) if href.strip() else None
    if not target or not target.startswith(("http://", "https://")):
        return None
    return canonical_or_none(target.split("#", 1)[0])


def _text(element: Element) -> str:
    return "".join(element.itertext()).strip()


def _names_a_file(title: str | None) -> bool:
    """Whether ``title`` is a file's or a slug's name, as no article's headline is."""
    return bool(title) and bool(_SLUG.fullmatch(title) or _FILE_NAME.fullmatch(title))


def extract_article(
    page: Page,
    *,
    family: str = "auto",
    selectors: Mapping[str, str] | None = None,
    listed_date: datetime | None = None,
) -> ArticleRecord | None:
    """The article on ``page``, or ``None`` if the page is not an article.

    :param page: the fetched page.
    :param family: a preset name, ``generic``, or ``auto`` to detect it.
    :param selectors: the site's CSS or XPath (starting with ``/`` or ``(``)
        per field (:data:`extract.families.FIELDS`); they win over the preset.
    :param listed_date: the date a sitemap or RSS feed gave the URL.

    ``published`` comes from the page, else the URL, the feed date, and the
    ``Last-Modified`` header, with ``published_source`` saying which; both
    stay ``None`` when none has a date (the store then records first-seen).
    """
    if not 200 <= page.status < 300:
        return None
    overrides = _check_overrides(selectors)
    preset = get_family(detect_family(page.text, page.url) if family == "auto" else family)
    found = find_article_body(page.selector, preset, GENERIC, overrides)
    if found is None:
        return None
    scope = Scope(page.selector, preset, overrides)
    title, title_element = find_title(scope, found.element)
    if _names_a_file(title):
        return None  # an image's own page (WordPress attachments): "anh-1", "IMG_2034.jpg"
    url = canonical_url(scope, page.url)
    if title_element is not None and _links_elsewhere(title_element, page, url):
        return None  # a home page's lead teaser: its headline leads to the article
    if under_teasers(found.element, _elsewhere(page, url)):
        return None  # the same, under a heading of its own ("Tin nổi bật")
    area = _area(title_element, found.element)
    summary_found = scope.first_text("summary")
    above = [] if summary_found else _above_body(area, title_element, found.element, scope.chrome)
    if above:
        summary_found = above[0].text, above[0].element
    summary, summary_element = summary_found or (None, None)
    drop = {text for text in (title, summary) if text}
    lines = _meta_lines(area, title_element, found.element, scope.queries("remove"), drop)
    parts = split_body(
        found.element,
        base_url=page.base_url,
        skip=scope.chrome | {node for node in (title_element, summary_element) if node is not None},
        plain_captions=preset.plain_captions and found.family == preset.name,
        drop=drop,
    )
    paragraphs = [block.text for block in above[1:]] + parts.paragraphs
    if not paragraphs and not parts.images and not plays_media(found.element):
        return None
    published, source = _published(
        page,
        page_date(scope, area=area, lines=lines, title=title_element, fetched_at=page.fetched_at),
        listed_date,
    )
    undated = source in (None, "last-modified")
    if undated and (_contact_card(paragraphs) or _in_its_own_menu(page, url)):
        return None
    return ArticleRecord(
        url=url,
        title=title,
        published=published,
        published_source=source,
        author=find_author(scope, lines) or author_of(parts.signature),
        summary=summary,
        body=paragraphs,
        images=parts.images,
        views=find_views(scope, lines),
        category=find_category(scope, title, page.url),
        tags=find_tags(scope, area, found.element),
        family=found.family,
        also_at=fetched if (fetched := canonical_or_none(page.url)) != url else None,
    )

"""The small article fields: title, lead, author, views, category, tags, URL."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

from lxml import etree
from lxml.etree import _Element as Element

from extract.blocks import TextBlock, element_text, is_within, text_blocks
from extract.body import AUTHOR_PREFIX, strip_author_prefix
from extract.boilerplate import RELATED_HEADING, parse_views, views_line
from extract.container import MIN_PARAGRAPH
from extract.memo import document_order
from extract.scope import Scope, value_text
from extract.select import Node, nodes
from extract.text import clean
from extract.urls import absolute, canonicalize, host_of

_TITLE_SEPARATOR = re.compile(r"\s+[-|–—]\s+|\s*\|\s*")
_SITE_NAME = re.compile(
    r"cổng thông tin|trang thông tin|cổng tt|thông tin điện tử|website|portal|\.gov\.vn"
    r"|^(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân|hđnd)\s+(?:xã|huyện|phường|thị trấn|thị xã|tỉnh"
    r"|thành phố|quận)\b"
    r"|^(?:xã|huyện|phường|thị trấn|thị xã|quận|tỉnh)\s+[^,.]{1,40}$",
    re.IGNORECASE,
)
_MIN_HEADING = 10
_SUFFIX_SEPARATORS = (" - ", " | ", " – ", " — ", " :: ")
#: Elements that may hold a headline on pages no selector knows.
_HEADLINE_TAGS = ("h1", "h2", "h3", "h4", "p", "div", "span", "td", "strong", "b", "font")
_HEADINGS = frozenset({"h1", "h2", "h3"})
#: An element's text, raw (hidden parts and all), counted in C.
_RAW_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")
#: Characters of markup-joined words and hidden text an element may hold beyond the title.
_SLACK = 100
_BARE_COUNT = re.compile(r"\d{1,3}(?:[.,]\d{3})+|\d+")
_MAX_DATED_COUNT_LINE = 60
#: A date line ending in a bare number after the time: "05/04/2023 16:39 78",
#: the count some portals print unlabelled where others write "Lượt xem: 78".
_DATED_COUNT = re.compile(
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\s*(?:[-|,]\s*)?\d{1,2}[:h]\d{2}(?::\d{2})?"
    r"\s*(?:[-|,]\s*)?(\d{1,3}(?:[.,]\d{3})+|\d+)\s*$"
)
_NOT_CATEGORY = frozenset({"trang chủ", "trang chu", "home", "trang nhất"})
_CANONICAL = "//link[translate(@rel, 'CANOIL', 'canoil')='canonical']/@href"
_TAG_LABEL = re.compile(r"^(?:từ khóa|từ khoá|tags?|thẻ)\s*:?\s*", re.IGNORECASE)


def strip_site_name(title: str, site_names: Collection[str] = ()) -> str:
    """Drop " - CỔNG THÔNG TIN …"-style suffixes from a document ``<title>``.

    Only suffixes that look like a site name go: article titles themselves
    contain " - " ("Đảng ủy - UBND …").
    """
    names = {name.casefold() for name in site_names}
    while separators := list(_TITLE_SEPARATOR.finditer(title)):
        last = separators[-1]
        suffix = title[last.end() :].strip()
        if suffix.endswith(".") or not (_SITE_NAME.search(suffix) or suffix.casefold() in names):
            break
        title = title[: last.start()].strip()
    return title


def _above_prose(scope: Scope, body: Element, nodes: Iterable[Element]) -> list[Element]:
    """Those of ``nodes`` outside chrome that come before the body's first paragraph."""
    order = document_order(scope.selector.root)
    prose = next((block for block in text_blocks(body) if len(block.text) >= MIN_PARAGRAPH), None)
    limit = order[prose.element] if prose is not None else order[body]
    return [node for node in nodes if order[node] < limit and not scope.is_chrome(node)]


def _repeats(text: str, titles: Iterable[str]) -> bool:
    """Whether a document title is ``text``, or ``text`` followed by a suffix."""
    text = text.casefold()
    return any(
        title == text or title.startswith(text + separator)
        for title in (title.casefold() for title in titles)
        for separator in _SUFFIX_SEPARATORS
    )


def _headline(scope: Scope, body: Element, titles: list[str]) -> Element | None:
    """The headline's element when no selector finds it, above the body's prose.

    The element whose text the ``<title>`` or og:title repeats (before a " - Site"
    suffix) wins, whatever its tag; then the last ``h1``; then the last
    ``h2``/``h3``.
    """
    # Only headings, and elements whose raw text is short enough for a title
    # to repeat, are read: the walk that reads an element's visible text
    # would otherwise read every wrapper of the article whole.
    bound = 2 * max(map(len, titles), default=0) + _SLACK
    nodes = [
        node
        for node in _above_prose(scope, body, scope.selector.root.iter(*_HEADLINE_TAGS))
        if node.tag in _HEADINGS or _RAW_TEXT_LENGTH(node) <= bound
    ]
    texts = {node: element_text(node) for node in nodes}
    nodes = [
        node
        for node in nodes
        if len(texts[node]) >= _MIN_HEADING and not RELATED_HEADING.match(texts[node])
    ]
    repeated = [node for node in nodes if _repeats(texts[node], titles)]
    if repeated:
        return max(reversed(repeated), key=lambda node: len(texts[node]))
    headings = [node for node in nodes if node.tag in _HEADINGS]
    h1s = [node for node in headings if node.tag == "h1"]
    return next((group[-1] for group in (h1s, headings) if group), None)


def _heading_text(heading: Element) -> str:
    """A heading's text; of one holding the article, its first line.

    An unclosed ``<h1>`` makes parsers nest the rest of the page in it, and
    its text was the whole article, date, body and credits.  No headline
    runs to :data:`_LONGEST_TITLE` characters over several blocks.
    """
    blocks = [block.text for block in text_blocks(heading)]
    whole = " ".join(blocks)
    return blocks[0] if len(blocks) > 1 and len(whole) > _LONGEST_TITLE else whole


def find_title(scope: Scope, body: Element) -> tuple[str, Element | None]:
    """The headline and its element (``None`` when it came from ``<title>``/og:title)."""
    found = scope.first_text("title")
    if found:
        text, element = found
        long = element is not None and len(text) > _LONGEST_TITLE
        return (_heading_text(element) if long else text), element
    root = scope.selector.root
    document_title = clean(next(iter(nodes(root, "//title/text()")), ""))
    og_title = clean(next(iter(nodes(root, "//meta[@property='og:title']/@content")), ""))
    headline = _headline(scope, body, [title for title in (og_title, document_title) if title])
    if headline is not None:
        return _heading_text(headline), headline
    site_names = nodes(root, "//meta[@property='og:site_name']/@content")
    return strip_site_name(og_title or document_title, [*site_names, *breadcrumbs(scope)]), None


#: Characters past which a heading of several blocks is no headline but a page in it.
_LONGEST_TITLE = 300

#: Where a credit's name ends and the office or source after it begins
#: ("Lệ Thanh - Văn phòng HĐND và UBND huyện", "Hữu Thịnh (Trung tâm VHTT)").
_AFTER_NAME = re.compile(r"\s+[-–—|/]\s+|\s*[(,;]")
_MAX_NAME_WORDS = 10
#: A credit ending in the level of a place, in lower case, names a body of
#: the commune or district it is printed by ("Trạm Y tế xã").
_OF_A_PLACE = re.compile(r"\s(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh)$")


def names_someone(credit: str) -> bool:
    """Whether a credit line starts with a proper name, as bylines do, rather than
    being a role alone ("Phó Ban biên tập", "Quản trị", "Chánh văn phòng").

    Vietnamese names capitalise every syllable ("Thùy Chinh"); a body that
    signs is named too, by an acronym or mostly capitalised words ("Văn
    phòng UBND xã", "Ban Tuyên giáo Huyện ủy", "Ban Biên tập"), or as the
    body of a place ("Trạm Y tế xã", "Đoàn Thanh niên thị trấn").  A role
    is a common noun: at least as many of its words are in lower case.
    """
    head = _AFTER_NAME.split(credit.strip(), maxsplit=1)[0].strip(" .:")
    words = [word for word in head.split() if word[0].isalpha()]
    if not 0 < len(words) <= _MAX_NAME_WORDS:
        return False
    if all(word[0].isupper() for word in words):
        return True
    acronym = any(len(word) > 1 and word.isupper() for word in words)
    capitalised = sum(word[0].isupper() for word in words)
    of_a_place = words[0][0].isupper() and _OF_A_PLACE.search(head) is not None
    return acronym or of_a_place or capitalised > len(words) - capitalised


#: What separates a credit from what shares its line: "Tác giả: X · 139 lượt xem".
_CREDIT_PARTS = re.compile(r"\s*[|·•]\s*")


def author_of(*credits: str | None) -> str | None:
    """The first of ``credits`` (labels dropped) that names someone.

    Only the credit's part of its line: a view count beside it grew on every
    visit, and made a new version of every article at every crawl.
    """
    for credit in credits:
        part = next(filter(None, _CREDIT_PARTS.split(credit.strip())), "") if credit else ""
        text = strip_author_prefix(part) if part else ""
        if text and names_someone(text):
            return text
    return None


def find_author(scope: Scope, lines: list[TextBlock]) -> str | None:
    """The author a selector finds, else a "Tác giả:"/"Nguồn tin:" line near the article.

    The label is dropped; "Tác giả" (author) wins over "Nguồn tin" (source).
    A role or an office alone is never the author (see :func:`names_someone`).
    """
    # A credit has its own line, or its part of one: "10:03 | Viết bởi Trần Minh | 20 lượt xem".
    parts = (part for line in lines for part in _CREDIT_PARTS.split(line.text.strip()))
    credits = [part for part in parts if AUTHOR_PREFIX.match(part)]
    credits.sort(key=lambda text: not text.casefold().startswith("tác giả"))
    return author_of(*(scope.first_text("author") or [])[:1], *credits)


def _count(text: str) -> int | None:
    views = parse_views(text)
    if views is None and _BARE_COUNT.fullmatch(text):
        views = int(re.sub(r"[.,]", "", text))
    return views


def find_views(scope: Scope, lines: list[TextBlock]) -> int | None:
    """The view count a selector finds, else the first counter line.

    Counter lines ("Lượt xem: N") near the article come first, then those
    anywhere outside page chrome and related lists.
    """
    for match in scope.matches("views"):
        views = _count(value_text(match))
        if views is not None:
            return views
    near = [views_line(line.text) for line in lines]
    near += [_dated_count(line.text) for line in lines]
    found = next((views for views in near if views is not None), None)
    if found is not None:
        return found
    # Lazy: the whole page is walked only when the lines near the article have no count.
    page_lines = text_blocks(scope.selector.root, scope.chrome)
    counts = (views_line(line.text) for line in page_lines)
    return next((views for views in counts if views is not None), None)


def _dated_count(text: str) -> int | None:
    """The unlabelled count ending a short date line (see :data:`_DATED_COUNT`)."""
    match = _DATED_COUNT.search(text) if len(text) <= _MAX_DATED_COUNT_LINE else None
    return int(re.sub(r"[.,]", "", match[1])) if match else None


def breadcrumbs(scope: Scope) -> list[str]:
    """The breadcrumb trail's texts, separators left out."""
    for query in scope.queries("category"):
        crumbs = [value_text(match) for match in nodes(scope.selector.root, query)]
        crumbs = [crumb for crumb in crumbs if re.search(r"[^\W\d_]", crumb)]
        if crumbs:
            return crumbs
    return []


def find_category(scope: Scope, title: str, url: str) -> str | None:
    """The last breadcrumb that is not home or the title, else the URL's section."""
    skipped = _NOT_CATEGORY | {title.casefold()}
    crumbs = [crumb for crumb in breadcrumbs(scope) if crumb.casefold() not in skipped]
    return crumbs[-1] if crumbs else scope.family.url_category(url)


def find_tags(scope: Scope, area: Element | None = None, body: Element | None = None) -> list[str]:
    """The article's tags (not a sidebar's tag cloud), labels and separators dropped, once each.

    :param area: the article's own part of the page: tags found there win.
    :param body: its body: what stands before it (a site-wide cloud in the
        header) is never the article's tags.
    """
    for query in scope.queries("tags"):
        matches = scope.outside_chrome(query)
        inside = [match for match in matches if area is not None and _is_within(match, area)]
        if inside:
            matches = inside
        elif body is not None and matches:
            order = document_order(scope.selector.root)
            start = order.get(body, 0)
            matches = [m for m in matches if isinstance(m, str) or order.get(m, start) >= start]
        texts = (_TAG_LABEL.sub("", value_text(match)) for match in matches)
        tags = list(dict.fromkeys(tag for text in texts if (tag := text.strip(" ,;/"))))
        if tags:
            return tags
    return []


def _is_within(match: Node, area: Element) -> bool:
    return not isinstance(match, str) and is_within(match, area)


def canonical_url(scope: Scope, url: str) -> str:
    """The page's ``rel=canonical`` URL when it is on the same host and not the home page."""
    href = next(iter(nodes(scope.selector.root, _CANONICAL)), None)
    if href:
        named = absolute(url, href)
        if named and host_of(named) == host_of(url) and urlsplit(named).path not in ("", "/"):
            return named
    return canonicalize(url)

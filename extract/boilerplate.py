"""What is page chrome, not article: elements and lines to leave out.

Portal templates wrap every article in a header (often with *today's* date),
login links, banners, menus, share and print buttons, related-news lists and
a footer with the publisher's licence lines.  None of it may reach an
article's title, body or captions, and a date found in it is never the
publication date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.etree import _Element as Element

from extract.caches import short_strings_cache
from extract.memo import document_memo
from extract.select import elements

_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
_CHROME_TOKEN = re.compile(
    r"^(?:header|top-?bar|top_bar|top-?header|site-header|banner|main-?menu|menu|navbar|nav"
    r"|navigation|footer|site-footer|copyright|login|dang-?nhap|search-?box|sidebar)",
    re.IGNORECASE,
)

#: A heading after which the rest of a container lists other articles.
RELATED_HEADING = re.compile(
    r"^(?:tin liên quan|tin khác|các tin khác|tin tức|tin cùng chuyên mục|tin đã đưa"
    r"|các tin đã đưa|bài viết liên quan|các bài viết khác|bài viết khác|tin bài khác"
    r"|tin mới hơn|tin cũ hơn|những tin mới hơn|những tin cũ hơn|xem thêm)\s*:?$",
    re.IGNORECASE,
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:đăng nhập|đăng ký|đăng xuất)(?:\s*[|/]\s*(?:đăng nhập|đăng ký|đăng xuất))*$"
    r"|^(?:in bài(?: viết)?|bản in|in trang|gửi email|gửi bài viết|gửi cho bạn bè|chia sẻ|share"
    r"|tweet|quay lại|trở về|về đầu trang|lên đầu trang|print|email|anh-tin-bai|image banner)$"
    r"|^[\d\s«»‹›<>.…|]+$|^(?:từ khóa|từ khoá|tags?|thẻ)\s*:"
    r"|ghi rõ nguồn.{0,120}phát hành lại|bản quyền thuộc về|người chịu trách nhiệm\s*:"
    r"|cơ quan chủ quản\s*:",
    re.IGNORECASE,
)
#: What a toolbar item begins with.
_TOOL = re.compile(
    r"(?:in bài|bản in|in trang|gửi email|gửi bài|gửi cho bạn bè|chia sẻ|share|tweet"
    r"|quay lại|trở về|về đầu trang|lên đầu trang|print|email|đánh giá|bình luận|lưu bài)",
    re.IGNORECASE,
)
#: An article's view counter, label first ("Lượt xem: 50", "Xem: 92") or count first
#: ("1.026 lượt xem"); not the site's visitor counter ("Lượt truy cập").
_COUNT = r"\d{1,3}(?:[.,]\d{3})+|\d+"
_VIEWS = (
    re.compile(
        rf"(?:lượt xem|lượt đọc|\bxem|\bviews?)\s*:\s*({_COUNT})"
        rf"|(?:lượt xem|lượt đọc)\s+({_COUNT})",
        re.IGNORECASE,
    ),
    re.compile(rf"({_COUNT})\s*(?:lượt xem|lượt đọc|views?)\b", re.IGNORECASE),
)
#: Lines this short that mention a view counter are metadata lines.
_META_LINE_LENGTH = 100


def is_chrome(element: Element) -> bool:
    """Whether the element is page chrome by its tag, class or id."""
    if not isinstance(element.tag, str):
        return False
    tag = element.tag.lower()
    if tag in _CHROME_TAGS:
        # HTML5: an <article>'s own <header> holds its title, date and byline
        # (WordPress's entry-header); the page's header is outside it.
        return tag != "header" or not any(
            ancestor.tag == "article" for ancestor in element.iterancestors()
        )
    names = element.get("class", "").split() + element.get("id", "").split()
    return any(_CHROME_TOKEN.match(name) for name in names)


def in_chrome(element: Element, within: Element | None = None) -> bool:
    """Whether the element or an ancestor below ``within`` is chrome.

    Inside the article area only the elements between it and the area count,
    so an ``<header class="entry-header">`` holding the article's own date is
    not mistaken for the page header.
    """
    for node in (element, *element.iterancestors()):
        if node is within:
            return False
        if is_chrome(node):
            return True
    return False


#: Class names of chrome, tested per element in one pass over the document
#: (a quarter of the cost of running the equivalent CSS queries).
_CHROME_CLASS_PART = re.compile(
    "share|social|print|sendmail|email|related|lien-quan|lienquan|other-news"
    "|tin-khac|tinkhac|comment|rating|pagination|paging"
)
_CHROME_CLASS_TOKENS = (" breadcrumb ", " breadcrumbs ", " pager ")
#: What XPath's normalize-space() collapses.
_XML_SPACE = re.compile("[ \t\r\n]+")
#: A query that tests one element by itself (tag, classes, id): what it matches
#: below an element is what it matches in the document below that element.
_SELF_CONTAINED = re.compile(r"^[\w.#-]+$")


def _matches_chrome_query(element: Element) -> bool:
    """Whether the element is chrome wherever it appears.

    Navigation, breadcrumbs, share/print/email bars, related and other-news
    lists, comments, ratings and pagers, by tag or class.
    """
    if element.tag == "nav" or element.get("itemprop") == "breadcrumb":
        return True
    names = element.get("class")
    if names is None:
        return False
    if _CHROME_CLASS_PART.search(names):
        return True
    padded = f" {_XML_SPACE.sub(' ', names)} "
    return any(token in padded for token in _CHROME_CLASS_TOKENS)


def _marked(root: Element, queries: tuple[str, ...]) -> set[Element]:
    """The document's chrome by tag, class or id, plus what ``queries`` match.

    Found once per document: these tests do not depend on where they run
    from, so what they match under any element is what they match in the
    whole document below that element.  ``queries`` must be self-contained.
    """
    memo = document_memo(root)
    key = ("marked", queries)
    marked = memo.get(key)
    if marked is None:
        top = root.getroottree().getroot()
        if queries:
            marked = set(_marked(root, ()))
            for query in queries:
                marked.update(elements(top, query))
        else:
            marked = {
                node
                for node in top.iter()
                if isinstance(node.tag, str) and (is_chrome(node) or _matches_chrome_query(node))
            }
        memo[key] = marked
    return marked


def chrome_elements(root: Element, extra: Iterable[str] = ()) -> set[Element]:
    """Elements under ``root`` to leave out: generic chrome plus ``extra`` queries."""
    extra = tuple(extra)
    memo = document_memo(root)
    key = ("chrome", root, extra)
    found = memo.get(key)
    if found is None:
        queries = [query.strip() for query in extra]
        simple = tuple(query for query in queries if _SELF_CONTAINED.match(query))
        marked = _marked(root, simple)
        found = {node for node in root.iter() if node in marked}
        for query in queries:
            if query not in simple:
                found.update(elements(root, query))
        found.discard(root)
        memo[key] = found
    return set(found)


@short_strings_cache(maxsize=4096, longest=4096)
def is_boilerplate_line(text: str) -> bool:
    """Whether a text block is chrome: login, share, pager, tag, licence or view-count lines.

    Kept for the last few thousand texts: deciding whether a page is an
    article and extracting it ask of each block three or four times, and
    the pattern's unanchored clauses are tried at every position.
    """
    if _BOILERPLATE_LINE.search(text) or _is_toolbar(text):
        return True
    return views_line(text) is not None


def _is_toolbar(text: str) -> bool:
    """A row of the page's tools: "Bản in | Gửi email | Đánh giá bài viết: ★★★★★"."""
    parts = text.split("|")
    tools = sum(bool(_TOOL.match(part.strip())) for part in parts)
    return tools >= 2 and tools * 2 >= len(parts)


def views_line(text: str) -> int | None:
    """The count, if ``text`` is a short view-counter line rather than prose."""
    return parse_views(text) if len(text) <= _META_LINE_LENGTH else None


def parse_views(text: str) -> int | None:
    """The view count in ``text``: "1.026 lượt xem" is 1026.

    A labelled count wins, so "… 2025 Lượt xem: 265" is 265, not 2025.
    """
    for pattern in _VIEWS:
        match = pattern.search(text)
        if match:
            digits = next(group for group in match.groups() if group)
            return int(re.sub(r"[.,]", "", digits))
    return None

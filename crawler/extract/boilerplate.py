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

from lxml.html import HtmlElement
from parsel import Selector

from crawler.extract.select import select

#: Elements that are never article text wherever they appear.
CHROME_QUERIES = (
    "nav",
    ".breadcrumb, .breadcrumbs, [itemprop=breadcrumb]",
    "[class*=share], [class*=social], [class*=print], [class*=sendmail], [class*=email]",
    "[class*=related], [class*=lien-quan], [class*=lienquan], [class*=other-news]",
    "[class*=tin-khac], [class*=tinkhac], [class*=comment], [class*=rating]",
    "[class*=pagination], [class*=paging], .pager",
)
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


def is_chrome(element: HtmlElement) -> bool:
    """Whether the element is page chrome by its tag, class or id."""
    if not isinstance(element.tag, str):
        return False
    if element.tag.lower() in _CHROME_TAGS:
        return True
    names = element.get("class", "").split() + element.get("id", "").split()
    return any(_CHROME_TOKEN.match(name) for name in names)


def in_chrome(element: HtmlElement, within: HtmlElement | None = None) -> bool:
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


def chrome_elements(root: HtmlElement, extra: Iterable[str] = ()) -> set[HtmlElement]:
    """Elements under ``root`` to leave out: generic chrome plus ``extra`` queries."""
    scope = Selector(root=root)
    found: set[HtmlElement] = set()
    for query in (*CHROME_QUERIES, *extra):
        matches = select(scope, query)
        found.update(match.root for match in matches if not isinstance(match.root, str))
    found.update(node for node in root.iterdescendants() if is_chrome(node))
    found.discard(root)
    return found


def is_boilerplate_line(text: str) -> bool:
    """Whether a text block is chrome: login, share, pager, tag, licence or view-count lines."""
    if _BOILERPLATE_LINE.search(text):
        return True
    return views_line(text) is not None


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

"""Find an article's body container, or decide that a page has none.

The preset's selectors (with a site's override) are tried first, then the
generic preset's, then a text-density search for the dominant block of
paragraphs.  A container counts only if it holds real paragraph text and is
not a list of teasers: that, not the presence of a title, makes a page an
article page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from itertools import chain, islice, takewhile
from typing import TYPE_CHECKING, NamedTuple

from lxml.etree import _Element as Element
from parsel import Selector

from extract.blocks import TextBlock, text_blocks
from extract.boilerplate import RELATED_HEADING, chrome_elements, is_boilerplate_line
from extract.dates import is_short_date_line
from extract.families import GENERIC, Family
from extract.memo import document_memo
from extract.select import nodes, unique_match
from extract.urls import DOCUMENT_EXTENSIONS, extension, url_shape

if TYPE_CHECKING:
    from extract.page import Page

#: Characters for a block to count as a paragraph of prose.
MIN_PARAGRAPH = 40
#: A block more than this share link text is navigation, not prose.
MAX_LINK_RATIO = 0.5
#: Teaser lists have at least this many headline links.
_MIN_TEASERS = 4
#: Words in a headline link, at least (tags and "Bản in" have fewer).
_HEADLINE_WORDS = 4
#: Characters for a block to take part in the density search.
_MIN_SCORED = 25
#: Container levels above a paragraph that share its score.
_LEVELS = 3
#: Prose a notice under its dated headline needs: a sentence (or two short ones).
_NOTICE_CHARS = 80
#: How long a headline is, and how far down a container it is looked for.
_HEADLINE_CHARS = (15, 300)
_HEAD_LINES = 12
#: Top-scoring containers re-weighed by link density.
_SHORTLIST = 5
_CONTAINER_TAGS = frozenset({"div", "article", "section", "main", "td", "center", "font"})
_POSITIVE = re.compile(
    r"article|body|content|entry|main|post|text|story|detail|chitiet|chi-tiet|noidung|noi-dung"
    r"|baiviet|bai-viet|news",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"comment|contact|foot|masthead|meta|promo|related|scroll|sidebar|sponsor|tags|tool|widget"
    r"|menu|nav|banner|header|lienquan|lien-quan|other|tinkhac|tin-khac|share|social|login",
    re.IGNORECASE,
)
_CLASS_WEIGHT = 25
#: Classes of an image's caption (or the box holding it).
_CAPTION = re.compile(r"caption|chu-?thich|photo-?desc", re.IGNORECASE)
#: Structural signs of an article page that generic pages often carry.
_ARTICLE_SIGNS = (
    "//meta[@property='og:type'][@content='article']"
    " | //meta[@property='article:published_time']"
    " | //*[@itemprop='articleBody']"
    " | //*[@itemscope][contains(@itemtype, 'Article')]"
    " | //script[@type='application/ld+json'][contains(., 'Article')]"
)


class Body(NamedTuple):
    """An article's body container and the preset that found it."""

    element: Element
    family: str


def article_blocks(blocks: Iterable[TextBlock]) -> list[TextBlock]:
    """The blocks up to a related-news heading ("Tin liên quan", "Tin khác" …)."""
    kept: list[TextBlock] = []
    for block in blocks:
        if RELATED_HEADING.match(block.text) and kept:
            break
        kept.append(block)
    return kept


def _among_prose(prose: list[TextBlock], blocks: list[TextBlock]) -> list[TextBlock]:
    """The blocks from the first paragraph of prose to the last, when that
    prose outweighs the links around it.

    A listing's headline links stand between its teasers; the links before
    an article's first paragraph or after its last (other news, tags,
    share) are not teasers, whatever heading they have, or none.  But a
    category's description above its list of headlines is no article:
    there the links weigh more.
    """
    if not prose:
        return blocks
    start, end = blocks.index(prose[0]), blocks.index(prose[-1]) + 1
    around = sum(len(block.text) for block in blocks[:start] + blocks[end:] if block.links)
    if around > sum(len(block.text) for block in prose):
        return blocks
    return blocks[start:end]


def is_prose(block: TextBlock) -> bool:
    """A paragraph of the page's own text: a caption says what an image shows,
    and a gallery of captioned images is no article."""
    return (
        len(block.text) >= MIN_PARAGRAPH
        and block.link_ratio < MAX_LINK_RATIO
        and not _is_caption(block.element)
        and not is_boilerplate_line(block.text)
    )


def _is_caption(element: Element) -> bool:
    if element.tag == "figcaption":
        return True
    parent = element.getparent()
    names = f"{element.get('class', '')} {parent.get('class', '') if parent is not None else ''}"
    return bool(_CAPTION.search(names)) or (parent is not None and _is_gallery_item(parent))


def _is_gallery_item(item: Element) -> bool:
    """Whether ``item`` is an image and its one line of text, beside two or
    more like it: an album's photos, captioned in plain paragraphs."""
    # The paragraphs counted first: a body's container fails at once, its
    # images never looked for (this is asked of every paragraph).
    if len(item.findall("p")) != 1 or item.find(".//img") is None:
        return False
    alike = (
        sibling
        for sibling in chain(item.itersiblings(), item.itersiblings(preceding=True))
        if sibling.tag == item.tag and sibling.find(".//img") is not None
    )
    return next(islice(alike, 1, None), None) is not None


def _teasers(blocks: list[TextBlock]) -> int:
    """Paragraphs under a headline link, a short line (its date) between them
    or not; and, where two or more are so, those right above a link alone
    to another page ("Xem chi tiết"), their headline unlinked (one such link
    under an article is its source, or its print view)."""
    teasers, under, above = 0, False, 0
    read_more: list[int] = []
    for block in blocks:
        if _is_headline(block):
            under, above = True, 0
        elif is_prose(block):
            teasers += under
            above = 0 if under else above + 1
            under = False
        elif above and _is_read_more(block):
            read_more.append(above)
            above = 0
        elif block.links or len(block.text) >= MIN_PARAGRAPH:
            under, above = False, 0
    return teasers + (sum(read_more) if len(read_more) >= 2 else 0)


def _read_on_teaser(blocks: list[TextBlock]) -> bool:
    """Whether a headline link is followed by a paragraph, then by a link
    alone to the headline's page: a teaser, however few stand on the page."""
    target, prose = None, False
    for block in blocks:
        hrefs = {link.get("href") for link in block.links}
        if target is not None and prose and hrefs == {target}:
            return True
        if _is_headline(block) and len(hrefs) == 1:
            target, prose = hrefs.pop(), False
        elif is_prose(block):
            prose = target is not None
        elif block.links:
            target = None
    return False


def under_teasers(element: Element, elsewhere: Callable[[str], bool]) -> bool:
    """Whether ``element``'s prose begins under a headline that leads
    ``elsewhere``, and such teasers hold half of it or more.

    A home page's lead story under a heading of its own ("Tin nổi bật"),
    its headline linked to the article, then two paragraphs: the page was
    stored as an article titled "Tin nổi bật".
    """
    blocks = article_blocks(text_blocks(element, chrome_elements(element)))
    prose = teasers = 0
    first: bool | None = None
    target: str | None = None
    for block in blocks:
        if _is_headline(block) and len(block.links) == 1:
            target = block.links[0].get("href") or ""
        elif is_prose(block):
            teaser = target is not None and elsewhere(target)
            first = teaser if first is None else first
            prose, teasers, target = prose + 1, teasers + teaser, None
        elif block.links:
            target = None
    return bool(first) and teasers * 2 >= prose


def _is_read_more(block: TextBlock) -> bool:
    """A block that is one link, too short for a headline, to a page (not a
    file to download: a notice lists its documents so)."""
    return (
        len(block.links) == 1
        and block.link_ratio >= MAX_LINK_RATIO
        and len(block.text.split()) < _HEADLINE_WORDS
        and extension(block.links[0].get("href") or "") not in DOCUMENT_EXTENSIONS
    )


def _is_headline(block: TextBlock) -> bool:
    """A block that is mostly link text with the words of a headline."""
    return block.link_ratio >= MAX_LINK_RATIO and len(block.text.split()) >= _HEADLINE_WORDS


def _is_headline_link(block: TextBlock) -> bool:
    """A block whose links may be teasers': a headline, or prose with links in it."""
    return bool(block.links) and (block.link_ratio < MAX_LINK_RATIO or _is_headline(block))


def has_article_text(
    element: Element,
    remove: Iterable[str] = (),
    *,
    min_paragraphs: int = 1,
    min_chars: int = 80,
) -> bool:
    """Whether ``element`` holds prose rather than a list of teasers.

    A listing's teasers carry one headline link each, right above them; an
    article has more paragraphs than headlines.  Only link text as long as a headline counts:
    the tags, "Bản in" and share links under a short article are not teasers.
    """
    blocks = article_blocks(text_blocks(element, chrome_elements(element, remove)))
    prose = [block for block in blocks if is_prose(block)]
    links = sum(
        len(block.links) for block in _among_prose(prose, blocks) if _is_headline_link(block)
    )
    if links >= max(_MIN_TEASERS, len(prose)):
        return False
    # Teasers: paragraphs right under a headline link.  Two or more, and most
    # of the prose, make a short listing (a category's last page).
    teasers = _teasers(blocks)
    if teasers >= 2 and teasers * 2 > len(prose):
        return False
    # A category's last page: its description, then one teaser that links
    # its article twice (headline, then "Đọc tiếp").
    if teasers * 2 >= len(prose) and _read_on_teaser(blocks):
        return False
    return len(prose) >= min_paragraphs and sum(len(block.text) for block in prose) >= min_chars


def _class_weight(element: Element) -> int:
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return _CLASS_WEIGHT * (bool(_POSITIVE.search(names)) - bool(_NEGATIVE.search(names)))


def _link_ratio(element: Element, skip: Collection[Element]) -> float:
    blocks = list(text_blocks(element, skip))
    total = sum(len(block.text) for block in blocks)
    linked = sum(len(block.text) * block.link_ratio for block in blocks)
    return linked / total if total else 1.0


def main_block(selector: Selector) -> Element | None:
    """The container with the densest prose, chrome left out.

    Each paragraph scores by length and commas; its container and the two
    above share the score, so the element that holds the most prose wins.
    Class names and link density then break close calls.
    """
    body = selector.root.find("body") if selector.root.tag == "html" else selector.root
    if body is None:
        return None
    skip = chrome_elements(body)
    scores: dict[Element, float] = defaultdict(float)
    for block in text_blocks(body, skip):
        if len(block.text) < _MIN_SCORED or block.link_ratio > MAX_LINK_RATIO:
            continue
        points = 1 + block.text.count(",") + min(len(block.text) / 100, 3)
        containers = (
            node
            for node in chain((block.element,), block.element.iterancestors())
            if node.tag in _CONTAINER_TAGS
        )
        for level, node in zip(range(_LEVELS), containers, strict=False):
            scores[node] += points / (level + 1)
    shortlist = sorted(scores, key=scores.__getitem__, reverse=True)[:_SHORTLIST]
    if not shortlist:
        return None
    return max(
        shortlist,
        key=lambda node: scores[node] * (1 - _link_ratio(node, skip)) + _class_weight(node),
    )


#: Extensions of pages (not files) among teaser links; none is the commonest.
_PAGE_EXTENSIONS = frozenset({"", ".html", ".htm", ".shtml", ".asp", ".aspx", ".php", ".jsp"})


def _teaser_links(block: Element) -> int:
    """The most links in ``block`` that share one URL shape with an id in it.

    A listing on any template links its teasers to pages made by one
    template from ids (``news_detail.asp?cat=*&id=*``, ``/tin-tuc/*.html``);
    an article links to a few unrelated pages, if any, and its box of other
    news after its last paragraph does not count.
    """
    shapes: dict[str, set[str]] = defaultdict(set)
    for href in _hrefs_among_prose(block):
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        shape = url_shape(href.split("#", 1)[0])
        path = shape.partition("?")[0]
        dot = path.rfind(".")
        extension = path[dot:].lower() if dot > path.rfind("/") else ""
        if "*" in shape and extension in _PAGE_EXTENSIONS:
            shapes[shape].add(href)
    return max((len(hrefs) for hrefs in shapes.values()), default=0)


def _hrefs_among_prose(block: Element) -> list[str]:
    """The targets of the links in ``block`` among its prose (see
    :func:`_among_prose`), chrome left out."""
    blocks = list(text_blocks(block, chrome_elements(block)))
    prose = [text for text in blocks if is_prose(text)]
    return [
        str(link.get("href", "")) for text in _among_prose(prose, blocks) for link in text.links
    ]


def looks_like_article(selector: Selector, block: Element) -> bool:
    """Generic article test: structural signs plus prose, or plenty of prose, and
    not a list of teasers leading to pages of one shape (a listing)."""
    if _teaser_links(block) >= _MIN_TEASERS:
        return False
    if _is_register(block):
        return _dated_headline(selector, block) and _notice_text(block)
    if nodes(selector.root, _ARTICLE_SIGNS):
        return has_article_text(block, min_paragraphs=1, min_chars=150)
    if has_article_text(_with_headline(block), min_paragraphs=2, min_chars=250):
        return True
    # A notice of a sentence or two (and a table or a document to download),
    # or a video alone, is an article when it stands under its dated headline.
    return _dated_headline(selector, block) and (_notice_text(block) or plays_media(block))


#: What plays a video or a sound: an embedded player, or the page's own.
_MEDIA = ".//iframe[@src] | .//video | .//audio | .//embed[@src] | .//object[@data]"


def plays_media(block: Element) -> bool:
    """Whether ``block`` holds a video or a sound: the whole of some news
    ("Video: Toàn cảnh lễ hội …"), which was fetched and never stored."""
    return bool(block.xpath(_MEDIA))


def _is_register(block: Element) -> bool:
    """Whether most of ``block``'s prose stands in table rows that each lead
    elsewhere: a register of documents (number, date, summary, "Tải về") or
    of pages, whose summaries read as paragraphs.  Under its dated headline
    it is a notice's list of attachments; alone, a listing."""
    blocks = text_blocks(block, chrome_elements(block))
    prose = [paragraph for paragraph in blocks if is_prose(paragraph)]
    rows: set[Element] = set()
    in_rows = 0
    for paragraph in prose:
        row = next(paragraph.element.iterancestors("tr"), None)
        if row is not None and row.find(".//a[@href]") is not None:
            rows.add(row)
            in_rows += len(paragraph.text)
    return len(rows) >= _MIN_TEASERS and in_rows * 2 > sum(len(line.text) for line in prose)


def _notice_text(block: Element) -> bool:
    """Whether ``block`` holds a notice: a sentence, or a line introducing a
    table or a document to download ("… như sau:" over a schedule)."""
    if has_article_text(block, min_chars=_NOTICE_CHARS):
        return True
    tabled = any(len(table.findall(".//tr")) >= 2 for table in block.iter("table"))
    attached = any(
        extension(link.get("href") or "") in DOCUMENT_EXTENSIONS for link in block.iter("a")
    )
    return (tabled or attached) and has_article_text(block, min_chars=_NOTICE_CHARS // 4)


def _dated_headline(selector: Selector, block: Element) -> bool:
    """Whether a headline the page's ``<title>`` repeats stands just over
    ``block`` (itself or a level or two up) with a date line right under it.

    What a contact or an "about" page, a category and a gallery lack, and
    what the shortest news and notices on every portal seen have.
    """
    title = " ".join(" ".join(selector.root.xpath("//title//text()")).split()).lower()
    if not title:
        return False
    for node in islice(chain((block,), block.iterancestors()), _LEVELS):
        if node.tag in ("body", "html"):
            break
        items = list(islice(text_blocks(node, ()), _HEAD_LINES))
        for at, item in enumerate(items):
            line = item.text
            # A headline that links elsewhere is a teaser's: a tag page of one.
            if item.links or not _HEADLINE_CHARS[0] <= len(line) <= _HEADLINE_CHARS[1]:
                continue
            if line.lower() in title:
                # Its date, before any teaser's headline (whose date it would be).
                under = takewhile(lambda after: not after.links, items[at + 1 : at + 4])
                return any(is_short_date_line(after.text) for after in under)
    return False


def _with_headline(block: Element) -> Element:
    """``block``, or the container a level or two up holding the headline over it.

    A short article's paragraphs alone fell under the prose minimum that
    its lead, beside them under the headline, makes up: of one portal's
    articles, the one of three paragraphs was lost and those of two kept
    (their densest block was the container with the lead).
    """
    if block.find(".//h1") is not None:
        return block
    for node in islice(block.iterancestors(), _LEVELS - 1):
        if node.tag in ("body", "html"):
            break
        if node.find(".//h1") is not None:
            return node
    return block


def find_article_body(
    selector: Selector,
    family: Family,
    fallback: Family,
    overrides: Mapping[str, str] | None = None,
) -> Body | None:
    """The page's article body, or ``None`` when the page is not an article.

    :param family: the preset to try first, with the site's ``overrides``.
    :param fallback: the generic preset, tried when ``family`` finds nothing.

    Kept per document: deciding whether a page is an article and extracting
    it both ask.
    """
    memo = document_memo(selector.root)
    key = ("body", selector.root, id(family), id(fallback), tuple((overrides or {}).items()))
    if key in memo:
        found, _ = memo[key]
        return found
    found = _find_article_body(selector, family, fallback, overrides)
    # The presets are kept with the answer so their ids stay theirs.
    memo[key] = found, (family, fallback)
    return found


def _find_article_body(
    selector: Selector,
    family: Family,
    fallback: Family,
    overrides: Mapping[str, str] | None,
) -> Body | None:
    for preset in dict.fromkeys((family, fallback)):
        site = overrides if preset is family else None
        match = unique_match(selector, preset.queries("body", site))
        if match is not None and has_article_text(match, preset.queries("remove", site)):
            return Body(match, preset.name)
    block = main_block(selector)
    if block is not None and looks_like_article(selector, block):
        return Body(block, fallback.name)
    return None


def is_article_page(page: Page, family: Family) -> bool:
    """Whether the page shows one article: by its content structure, not its title.

    True when the preset's article container holds real paragraph text, or,
    failing the preset, when the page has generic article structure.
    """
    return find_article_body(page.selector, family, GENERIC) is not None

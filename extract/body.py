"""Split an article container into paragraphs, captioned images and an author line.

Portal editors put captions right under images (emphasised, centred, in a
``figcaption`` or, on Tandan, as a plain paragraph) and sign articles with a
right-aligned last line.  Both sit among the body paragraphs in the markup
but are not body text: captions go with their image, the signature to the
author field.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.etree import _Element as Element

from archive.records import Image
from extract.blocks import ImageBlock, TextBlock, walk
from extract.boilerplate import RELATED_HEADING, is_boilerplate_line
from extract.dates import is_dateline
from extract.text import whole_number
from extract.urls import joined

_CAPTION_CLASS = re.compile(r"caption|desc|chu-?thich", re.IGNORECASE)
_MAX_CAPTION = 300
_MAX_PLAIN_CAPTION = 200
_MAX_AUTHOR = 150
_MAX_SIGNATURE = 60
_MAX_SOURCE = 80
#: Non-breaking spaces that push a line to the right, as a signature.
_SIGNATURE_INDENT = 10
#: Trailing signature lines looked at ("Tác giả: …" then "Nguồn tin: …").
_MAX_AUTHOR_LINES = 2
#: Headings: above a list of links, the list's own.
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: A last block of the body more than this share link text is navigation.
_TRAILING_LINKS = 0.5
#: The label of a credit line ("Tác giả: …", "Nguồn tin: …").
AUTHOR_PREFIX = re.compile(
    r"^(?:(?:tác giả|nguồn tin|nguồn|người viết|tin,? ảnh|tin và ảnh|bài,? ảnh|bài và ảnh)\s*:"
    r"|(?:viết|đăng) bởi\s*:?)\s*",
    re.IGNORECASE,
)
_SOURCE_LINE = re.compile(r"^\(?theo\s", re.IGNORECASE)
#: A source credit, "(Theo Báo Nghệ An)": who is credited.
_SOURCE_CREDIT = re.compile(r"^\(?\s*theo\s+([^()]+?)\s*\)?\.?$", re.IGNORECASE)
#: The dash between a credit's name and office.
_CREDIT_DASH = re.compile(r"\s+[-–—]\s+")
#: Syllables in a Vietnamese name, fewest and most.
_NAME_WORDS = (2, 4)
_JUNK_IMAGE = re.compile(
    r"banner|logo|icon|spacer|blank|pixel|loading|button|btn|bullet|arrow|rss|print|email"
    r"|facebook|zalo|twitter|share",
    re.IGNORECASE,
)
#: Images this small (by their attributes) are decoration.
_MIN_IMAGE_SIDE = 40
_ALIGN_STYLE = re.compile(r"text-align\s*:\s*(left|right|center|justify)", re.IGNORECASE)
_ALIGN_CLASSES = {
    "text-right": "right",
    "pull-right": "right",
    "align-right": "right",
    "text-center": "center",
    "align-center": "center",
}


@dataclass
class BodyParts:
    """What an article container holds, sorted out."""

    paragraphs: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    signature: str | None = None


def strip_author_prefix(text: str) -> str:
    """ "Tác giả: Hữu Thịnh" is "Hữu Thịnh"; "(Theo Báo Nghệ An)" is "Báo Nghệ An"."""
    text = AUTHOR_PREFIX.sub("", text).strip()
    source = _SOURCE_CREDIT.match(text)
    return source.group(1).strip() if source else text


def alignment(element: Element, stop: Element) -> str | None:
    """The text alignment set on the element or its ancestors up to ``stop``."""
    for node in (element, *element.iterancestors()):
        align = (node.get("align") or "").lower()
        style = _ALIGN_STYLE.search(node.get("style", ""))
        names = node.get("class", "").split()
        by_class = next((_ALIGN_CLASSES[name] for name in names if name in _ALIGN_CLASSES), None)
        found = align or (style.group(1).lower() if style else None) or by_class
        if found or node is stop:
            return found
    return None


def _within(element: Element, stop: Element) -> list[Element]:
    nodes = [element]
    for node in element.iterancestors():
        if node is stop:
            break
        nodes.append(node)
    return nodes


def _is_caption(block: TextBlock, container: Element, plain_captions: bool) -> bool:
    for node in _within(block.element, container):
        if node.tag == "figcaption" or _CAPTION_CLASS.search(node.get("class", "")):
            return True
    if len(block.text) > _MAX_CAPTION:
        return False
    if block.emphasised or alignment(block.element, container) == "center":
        return True
    return plain_captions and len(block.text) <= _MAX_PLAIN_CAPTION


def _is_heading(block: TextBlock) -> bool:
    """A heading element, or a short line that introduces what follows."""
    return block.element.tag in _HEADING_TAGS or (
        len(block.text) <= _MAX_SIGNATURE and block.text.endswith(":")
    )


def _is_named_credit(text: str) -> bool:
    """ "Lệ Thanh - Văn phòng HĐND và UBND phường": a name of two to four
    capitalised syllables, a dash, then who they work for."""
    parts = _CREDIT_DASH.split(text, maxsplit=1)
    return len(parts) == 2 and bool(parts[1]) and _is_name(parts[0])


def _is_name(text: str) -> bool:
    """ "Thùy Chinh", "Lê Văn Hùng": two to four capitalised syllables, nothing else."""
    words = text.split()
    return _NAME_WORDS[0] <= len(words) <= _NAME_WORDS[1] and all(
        word[0].isupper() and word.isalpha() for word in words
    )


def _is_signature(block: TextBlock, container: Element) -> bool:
    text = block.text
    if len(text) > _MAX_AUTHOR:
        return False
    if AUTHOR_PREFIX.match(text) or alignment(block.element, container) == "right":
        return True
    if block.indent >= _SIGNATURE_INDENT:
        return True
    if _SOURCE_LINE.match(text):
        return len(text) <= _MAX_SOURCE
    ends_sentence = text.endswith((".", ":", "?", "!", "…"))
    if len(text) <= _MAX_SOURCE and not ends_sentence and _is_named_credit(text):
        return True
    if _is_name(text):
        return True  # a name alone on the last line, as many portals sign
    return block.emphasised and len(text) <= _MAX_SIGNATURE and not ends_sentence


def image_source(element: Element, base_url: str) -> str | None:
    """The absolute URL of a content image; ``None`` for banners, icons and placeholders."""
    attributes = ("data-src", "data-original", "data-lazy-src", "src")
    src = next((element.get(name).strip() for name in attributes if element.get(name)), "")
    url = joined(base_url, src) if src and not src.startswith("data:") else None
    if url is None:
        return None
    # The path as written: the page's own directories say nothing of the image.
    described = " ".join((urlsplit(src).path, element.get("alt", ""), element.get("class", "")))
    if _JUNK_IMAGE.search(described):
        return None
    sides = (whole_number(element.get(name, "")) for name in ("width", "height"))
    if any(pixels is not None and pixels < _MIN_IMAGE_SIDE for pixels in sides):
        return None
    return url


def split_body(
    container: Element,
    *,
    base_url: str,
    skip: Collection[Element] = (),
    plain_captions: bool = False,
    drop: Collection[str] = (),
) -> BodyParts:
    """Paragraphs, images with captions and the signature line of a body container.

    :param skip: elements to leave out (chrome, related lists, the title).
    :param plain_captions: whether a short plain paragraph under an image is its caption.
    :param drop: texts that are not paragraphs here (the title, the lead).
    """
    parts = BodyParts()
    paragraphs: list[TextBlock] = []
    awaiting: Image | None = None
    for item in walk(container, skip):
        if isinstance(item, ImageBlock):
            src = image_source(item.element, base_url)
            if src:
                awaiting = Image(src)
                parts.images.append(awaiting)
            continue
        text = item.text
        if RELATED_HEADING.match(text) and paragraphs:
            break
        if is_boilerplate_line(text) or is_dateline(text) or text in drop:
            continue
        if awaiting is not None and _is_caption(item, container, plain_captions):
            awaiting.caption = text
        elif item.element.tag != "figcaption":
            paragraphs.append(item)
        awaiting = None
    # Links after the text (tags, "Bản in", share buttons) are navigation,
    # neither paragraphs nor the byline they would hide; so is the heading
    # of a list of them, whatever it says.
    trailing = 0
    while paragraphs and paragraphs[-1].link_ratio > _TRAILING_LINKS:
        paragraphs.pop()
        trailing += 1
    if trailing > 1 and paragraphs and _is_heading(paragraphs[-1]):
        paragraphs.pop()
    # So are links before it (other news above the body, a box of tabs), and
    # a short line heading them.
    start = 0
    while start < len(paragraphs):
        block, following = paragraphs[start], paragraphs[start + 1 : start + 2]
        links_next = bool(following) and following[0].link_ratio > _TRAILING_LINKS
        short = _is_heading(block) or len(block.text) <= _MAX_SIGNATURE
        if block.link_ratio > _TRAILING_LINKS or (links_next and short):
            start += 1
        else:
            break
    del paragraphs[:start]
    signature: list[str] = []
    while (
        paragraphs
        and len(signature) < _MAX_AUTHOR_LINES
        and _is_signature(paragraphs[-1], container)
    ):
        signature.insert(0, paragraphs.pop().text)
    parts.signature = strip_author_prefix(signature[0]) if signature else None
    parts.paragraphs = [block.text for block in paragraphs]
    return parts

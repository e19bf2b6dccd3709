"""Turn an element into the text blocks and images a reader sees.

Portal editors write paragraphs as ``<p>``, as ``<div>`` text, or as runs
split by ``<br>``; tables hold layout and image captions.  Walking the tree
and cutting at every block boundary gives one list of blocks in reading order
that the body, date and caption rules can all work on.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from lxml.etree import _Element as Element

from extract.memo import document_memo
from extract.text import clean

_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "caption", "center", "dd", "div", "dl"),
        *("dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "main", "nav", "ol", "p", "pre", "section"),
        *("table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)
_SKIP_TAGS = frozenset(
    {
        *("audio", "button", "embed", "head", "iframe", "input", "map", "noscript", "object"),
        *("option", "script", "select", "style", "svg", "template", "textarea", "video"),
    }
)
_EMPHASIS_TAGS = frozenset({"strong", "b", "em", "i"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_CLASSES = frozenset({"hidden", "hide", "d-none", "sr-only"})


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A run of text between block boundaries.

    :param text: the text, cleaned.
    :param element: the innermost block element holding it.
    :param emphasised: whether all of it sits in ``strong``/``b``/``em``/``i``.
    :param links: the links (``<a href>``) it contains.
    :param link_ratio: the share of its characters that are link text.
    :param indent: non-breaking spaces before it: editors right-align a
        signature by padding it with ``&nbsp;``.
    """

    text: str
    element: Element
    emphasised: bool
    links: tuple[Element, ...] = ()
    link_ratio: float = 0.0
    indent: int = 0


@dataclass(frozen=True, slots=True)
class ImageBlock:
    """An ``<img>`` where it stands in the text flow."""

    element: Element


def _is_hidden(element: Element) -> bool:
    """Whether the element is hidden from readers (schema.org stubs, popups)."""
    if element.get("hidden") is not None:
        return True
    style = element.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    names = element.get("class")
    return bool(names) and not _HIDDEN_CLASSES.isdisjoint(names.split())


#: An element to enter or leave, with its enclosing block and inherited emphasis and link.
_Step = tuple[Element, Element, bool, "Element | None", bool]


class _Walker:
    def __init__(self, skip: Collection[Element]) -> None:
        self.skip = skip
        self.items: list[TextBlock | ImageBlock] = []
        self.parts: list[tuple[str, bool, Element | None]] = []

    def add(self, text: str | None, emphasised: bool, link: Element | None) -> None:
        if text:
            self.parts.append((text, emphasised, link))

    def flush(self, block: Element) -> None:
        parts = self.parts
        if not parts:
            return
        self.parts = []
        raw = "".join(part for part, _, _ in parts)
        text = clean(raw)
        if text:
            leading = raw[: len(raw) - len(raw.lstrip())]
            visible = [(part.strip(), flag, link) for part, flag, link in parts]
            visible = [(part, flag, link) for part, flag, link in visible if part]
            linked = sum(len(part) for part, _, link in visible if link is not None)
            self.items.append(
                TextBlock(
                    text,
                    block,
                    emphasised=all(flag for _, flag, _ in visible),
                    links=tuple(dict.fromkeys(link for _, _, link in visible if link is not None)),
                    link_ratio=linked / sum(len(part) for part, _, _ in visible),
                    indent=sum(char not in " \t\r\n" for char in leading),
                )
            )

    def walk(self, root: Element) -> None:
        """Visit ``root``'s descendants in document order, with a stack, not recursion.

        Pages come from strangers: a thousand nested ``<div>`` must not
        exhaust the interpreter's stack.  Each element is entered (its text,
        then its children) and left (its block flushed, then its tail).
        """
        self.add(root.text, False, None)
        stack: list[_Step] = [(child, root, False, None, False) for child in reversed(root)]
        while stack:
            element, block, emphasised, link, leaving = stack.pop()
            if leaving:
                if element.tag.lower() in _BLOCK_TAGS:
                    self.flush(element)
                self.add(element.tail, emphasised, link)
                continue
            tag = element.tag
            if not isinstance(tag, str) or (
                (tag := tag.lower()) in _SKIP_TAGS or element in self.skip or _is_hidden(element)
            ):
                self.add(element.tail, emphasised, link)
                continue
            if tag in ("img", "br") or tag in _BLOCK_TAGS:
                self.flush(block)
            if tag == "img":
                self.items.append(ImageBlock(element))
            if tag in ("img", "br"):
                self.add(element.tail, emphasised, link)
                continue
            inner_block, inner, inner_link = element, emphasised, link
            if tag not in _BLOCK_TAGS:
                inner_block = block
                inner = emphasised or tag in _EMPHASIS_TAGS
                inner_link = element if tag == "a" and element.get("href") else link
            self.add(element.text, inner, inner_link)
            stack.append((element, block, emphasised, link, True))
            stack.extend(
                (child, inner_block, inner, inner_link, False) for child in reversed(element)
            )
        self.flush(root)


def walk(root: Element, skip: Collection[Element] = ()) -> list[TextBlock | ImageBlock]:
    """Blocks and images under ``root`` in reading order.

    :param skip: elements whose whole subtree is left out (chrome, related lists).

    Kept per document and ``skip``: a page's body is walked by more than one step.
    """
    skip = frozenset(skip)
    memo = document_memo(root)
    key = ("walk", root, skip)
    items = memo.get(key)
    if items is None:
        walker = _Walker(skip)
        walker.walk(root)
        items = memo[key] = walker.items
    return list(items)


def text_blocks(root: Element, skip: Collection[Element] = ()) -> Iterator[TextBlock]:
    """Only the text blocks of :func:`walk`, walked when first asked for."""
    for item in walk(root, skip):
        if isinstance(item, TextBlock):
            yield item


def is_within(element: Element, ancestor: Element) -> bool:
    """Whether ``element`` is ``ancestor`` or lies inside it."""
    return element is ancestor or any(node is ancestor for node in element.iterancestors())


def element_text(root: Element, skip: Collection[Element] = ()) -> str:
    """The element's visible text on one line, blocks separated by a space."""
    return " ".join(block.text for block in text_blocks(root, skip))

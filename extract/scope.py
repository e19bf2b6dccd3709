"""Where an article's fields are looked for on one page.

Fields are located by the site's override, then the detected preset, then the
generic preset, so a re-themed site still yields what the generic markup
gives.  Matches inside page chrome (headers, sidebars, related lists) never
count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from lxml.etree import _Element as Element
from parsel import Selector

from extract.blocks import element_text
from extract.boilerplate import chrome_elements
from extract.families import GENERIC, Family
from extract.select import Node, nodes


@dataclass
class Scope:
    """One page, its preset and the site's overrides.

    :param selector: the parsed page.
    :param family: the preset in use.
    :param overrides: the site's selectors per field.
    """

    selector: Selector
    family: Family
    overrides: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.chrome = chrome_elements(self.selector.root, self.queries("remove"))

    def queries(self, name: str) -> tuple[str, ...]:
        """Override, preset and generic selectors for field ``name``, once each."""
        own = self.family.queries(name, self.overrides)
        return tuple(dict.fromkeys((*own, *GENERIC.queries(name))))

    def is_chrome(self, element: Element) -> bool:
        """Whether the element lies in page chrome or a related list."""
        chrome = self.chrome
        return element in chrome or any(node in chrome for node in element.iterancestors())

    def outside_chrome(self, query: str) -> list[Node]:
        """Matches of one query (elements, or strings), those in chrome left out."""
        return [
            match
            for match in nodes(self.selector.root, query)
            if isinstance(match, str) or not self.is_chrome(match)
        ]

    def matches(self, name: str) -> Iterator[Node]:
        """Matches for field ``name`` in query order, those in chrome left out."""
        for query in self.queries(name):
            yield from self.outside_chrome(query)

    def first_text(self, name: str) -> tuple[str, Element | None] | None:
        """The first non-empty text found for field ``name``, with its element."""
        for match in self.matches(name):
            text = value_text(match)
            if text:
                return text, None if isinstance(match, str) else match
        return None


def value_text(match: Node | Selector) -> str:
    """The text of a match: an attribute or text node as is, an element's visible text."""
    root = match.root if isinstance(match, Selector) else match
    if isinstance(root, str):
        return " ".join(root.split())
    return element_text(root)

"""Run preset and site selectors, CSS or XPath alike.

Queries are translated (CSS) and compiled once, and run on lxml elements
directly: a page runs the same few hundred queries, and wrapping every match
in a parsel ``Selector`` cost more than finding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

#: The XPath namespaces parsel registers (``re:`` always, ``set:`` when used).
_REGEXP_NS = "http://exslt.org/regular-expressions"
_SETS_NS = "http://exslt.org/sets"
_TRANSLATOR = HTMLTranslator()

#: What a query matches: elements, or strings for attribute and text queries.
Node = Any


def is_xpath(query: str) -> bool:
    """Whether a (stripped) selector is XPath rather than CSS."""
    return query.startswith(("/", "("))


@lru_cache(maxsize=1024)
def compiled(query: str) -> etree.XPath:
    """``query`` (CSS, or XPath starting with ``/`` or ``(``) as a compiled XPath.

    The same XPath parsel would run, with the same namespaces, so matches are
    the same.  Raises :class:`ValueError` on invalid XPath, as parsel does.
    """
    query = query.strip()
    xpath = query if is_xpath(query) else _TRANSLATOR.css_to_xpath(query)
    namespaces = {"re": _REGEXP_NS}
    if "set:" in xpath:
        namespaces["set"] = _SETS_NS
    try:
        return etree.XPath(xpath, namespaces=namespaces, smart_strings=False)
    except etree.XPathError as exc:
        raise ValueError(f"XPath error: {exc} in {xpath}") from exc


def nodes(root: HtmlElement, query: str) -> list[Node]:
    """Matches of ``query`` under ``root``: elements, or strings for text and attributes."""
    try:
        result = compiled(query)(root)
    except etree.XPathError as exc:
        raise ValueError(f"XPath error: {exc} in {query}") from exc
    return result if isinstance(result, list) else [result]


def elements(root: HtmlElement, query: str) -> list[HtmlElement]:
    """The element matches of ``query`` under ``root`` (strings left out)."""
    return [node for node in nodes(root, query) if not isinstance(node, str)]


def select(scope: Selector, query: str) -> SelectorList[Selector]:
    """Matches of ``query`` in ``scope``: XPath if it starts with ``/`` or ``(``, else CSS."""
    query = query.strip()
    return scope.xpath(query) if is_xpath(query) else scope.css(query)


def unique_match(scope: Selector | HtmlElement, queries: Iterable[str]) -> HtmlElement | None:
    """The element of the first query that matches exactly one element.

    An article has one body; a selector matching several separate elements
    has found the teasers of a listing, so the next query is tried instead.
    Matches nested in another match do not count.
    """
    root = scope.root if isinstance(scope, Selector) else scope
    for query in queries:
        matches = elements(root, query)
        if len(matches) == 1:
            return matches[0]
        roots = set(matches)
        outer = [m for m in matches if roots.isdisjoint(m.iterancestors())]
        if len(outer) == 1:
            return outer[0]
    return None

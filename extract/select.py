"""Run preset and site selectors, CSS or XPath alike.

Queries are translated (CSS) and compiled once, and run on lxml elements
directly: a page runs the same few hundred queries, and wrapping every match
in a parsel ``Selector`` cost more than finding it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from cssselect.parser import (
    Attrib,
    Class,
    CombinedSelector,
    Function,
    Hash,
    Negation,
    Pseudo,
    SelectorError,
)
from cssselect.parser import parse as parse_css
from lxml import etree
from lxml.etree import _Element as Element
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

from extract.memo import document_memo

#: The XPath namespaces parsel registers (``re:`` always, ``set:`` when used).
_REGEXP_NS = "http://exslt.org/regular-expressions"
_SETS_NS = "http://exslt.org/sets"
_TRANSLATOR = HTMLTranslator()
#: The whitespace XPath's normalize-space() splits a class attribute on.
_XPATH_SPACE = re.compile(r"[ \t\r\n]+")

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


@lru_cache(maxsize=1024)
def _needs(query: str) -> tuple[frozenset[str], ...] | None:
    """What a document must hold for CSS ``query`` to match anything, per alternative.

    Each alternative of ``a, b`` gives the tokens every match of it needs:
    ``.name`` a class, ``#name`` an id, ``[attr…]`` an attribute (``class*=v``:
    ``v`` within a class attribute).  ``None`` when not known (XPath, or CSS
    cssselect cannot read): the query is then always run.
    """
    query = query.strip()
    if is_xpath(query):
        return None
    try:
        alternatives = parse_css(query)
    except SelectorError:
        return None
    return tuple(frozenset(_tokens(alt.parsed_tree)) for alt in alternatives)


def _tokens(tree: object) -> Iterator[str]:
    """The tokens of a selector every match requires; parts under ``:not()`` require none."""
    while tree is not None:
        if isinstance(tree, Class):
            yield "." + tree.class_name
        elif isinstance(tree, Hash):
            yield "#" + tree.id
        elif isinstance(tree, Attrib) and tree.namespace is None:
            name = tree.attrib.lower()
            yield "@" + name
            value = tree.value.value if tree.value is not None else ""
            if name == "class" and value and tree.operator in ("=", "~=", "|=", "^=", "$=", "*="):
                yield "~" + value
        elif isinstance(tree, CombinedSelector):
            yield from _tokens(tree.subselector)
        elif not isinstance(tree, (Pseudo, Function, Negation)):
            return
        tree = tree.selector


def _document_tokens(root: Element) -> tuple[frozenset[str], str]:
    """The classes, ids and attribute names of ``root``'s whole document, and its
    class attributes joined (for substring tests); kept per document."""
    memo = document_memo(root)
    found = memo.get("select-tokens")
    if found is None:
        top = root.getroottree().getroot()
        classes = top.xpath("//@class")
        tokens = {"." + name for value in classes for name in _XPATH_SPACE.split(value) if name}
        tokens.update("#" + value for value in top.xpath("//@id"))
        tokens.update("@" + value.attrname for value in top.xpath("//@*"))
        found = memo["select-tokens"] = (frozenset(tokens), "\n".join(classes))
    return found


def _cannot_match(root: Element, query: str) -> bool:
    """Whether ``query`` surely matches nothing in ``root``'s document, by :func:`_needs`."""
    needs = _needs(query)
    if not needs:
        return False
    tokens, classes = _document_tokens(root)
    return all(
        any(token not in tokens if token[0] != "~" else token[1:] not in classes for token in need)
        for need in needs
    )


def nodes(root: Element, query: str) -> list[Node]:
    """Matches of ``query`` under ``root``: elements, or strings for text and attributes.

    Presets try a few dozen selectors on every page, most written for other
    portals; one whose classes or ids the document lacks is not run at all.
    """
    if _cannot_match(root, query):
        return []
    try:
        result = compiled(query)(root)
    except etree.XPathError as exc:
        raise ValueError(f"XPath error: {exc} in {query}") from exc
    return result if isinstance(result, list) else [result]


def elements(root: Element, query: str) -> list[Element]:
    """The element matches of ``query`` under ``root`` (strings left out)."""
    return [node for node in nodes(root, query) if not isinstance(node, str)]


def select(scope: Selector, query: str) -> SelectorList[Selector]:
    """Matches of ``query`` in ``scope``: XPath if it starts with ``/`` or ``(``, else CSS."""
    query = query.strip()
    return scope.xpath(query) if is_xpath(query) else scope.css(query)


def unique_match(scope: Selector | Element, queries: Iterable[str]) -> Element | None:
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

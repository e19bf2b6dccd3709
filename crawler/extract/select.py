"""Run preset and site selectors, CSS or XPath alike."""

from __future__ import annotations

from collections.abc import Iterable

from parsel import Selector, SelectorList


def select(scope: Selector, query: str) -> SelectorList[Selector]:
    """Matches of ``query`` in ``scope``: XPath if it starts with ``/`` or ``(``, else CSS."""
    query = query.strip()
    return scope.xpath(query) if query.startswith(("/", "(")) else scope.css(query)


def unique_match(scope: Selector, queries: Iterable[str]) -> Selector | None:
    """The match of the first query that matches exactly one element.

    An article has one body; a selector matching several separate elements
    has found the teasers of a listing, so the next query is tried instead.
    Matches nested in another match do not count.
    """
    for query in queries:
        matches = [match for match in select(scope, query) if not isinstance(match.root, str)]
        roots = {match.root for match in matches}
        outer = [m for m in matches if roots.isdisjoint(m.root.iterancestors())]
        if len(outer) == 1:
            return outer[0]
    return None

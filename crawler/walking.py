"""What walking a URL shape is: a page leading only to more of one shape.

The trap guard (:mod:`crawler.shapes`) stops shapes that walk themselves,
never productive: a calendar's next month, a search refined, a filter added.
"""

from __future__ import annotations

from extract.urls import url_shape


def walked(key: str, page_shape: str, links: list[str]) -> bool:
    """Whether a page of ``page_shape`` leading only to ``links`` (all of
    ``key``) walks ``key`` itself, not only its own shape.

    The coarser shapes gather several templates' pages: a path's ``?*`` is
    walked by a filter added (facets), a directory's ``/*`` by another page
    of it (a tag cloud's).  A page leading to others of its own path and
    parameters walks its own shape alone.  Counted in the coarser ones, a
    calendar's weeks stopped ``/Default.aspx?*`` (a DotNetNuke portal's news
    listing with it), and ``/vi/lich-cong-tac?…`` stopped ``/vi/*``.
    """
    if key == page_shape:
        return True
    if key.endswith("?*"):
        names = parameter_names(page_shape)
        return any(parameter_names(url_shape(link)) > names for link in links)
    path = page_shape.partition("?")[0]
    return any(url_shape(link).partition("?")[0] != path for link in links)


def parameter_names(shape: str) -> frozenset[str]:
    """The parameter names of a URL shape."""
    query = shape.partition("?")[2]
    return frozenset(pair.split("=", 1)[0] for pair in query.split("&") if pair)

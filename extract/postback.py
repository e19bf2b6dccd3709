"""Pagers that page by ASP.NET postback, not by links.

SharePoint and other ASP.NET portals (Tandan's among them) often page a
listing with ``javascript:__doPostBack('ctl00$…$pager','Page$2')``: page 2
is the answer to the page's form posted back with that target and argument,
at the listing's own URL.  A crawler that follows only ``href`` sees page 1
of every listing, and a portal whose listings page this way and has no
sitemap loses all but its newest articles.

This reads which postbacks a listing's pager offers, and the form they
post; posting it is the crawler's.  A postback counts as a pager's when its
argument is a grid's ``Page$…``, or its link shows a page number or a
next-page word or arrow, the same words :data:`extract.families` reads on
link pagers.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml.etree import _Element as Element

from extract.families import NEXT_PAGE_TEXT
from extract.select import nodes
from extract.urls import joined

#: ``__doPostBack('target','argument')``, and the options form ASP.NET writes
#: for controls that validate: ``WebForm_PostBackOptions("target", "argument", …)``.
_CALL = re.compile(
    r"""__doPostBack\(\s*(['"])(?P<target>[^'"]*)\1\s*,\s*(['"])(?P<argument>[^'"]*)\3"""
    r"""|WebForm_PostBackOptions\(\s*"(?P<target2>[^"]*)"\s*,\s*"(?P<argument2>[^"]*)\""""
)
_GRID_PAGE = re.compile(r"Page\$(?:(?P<number>\d+)|\w+)")
_NUMBER = re.compile(r"\d{1,5}")
_NEXT = re.compile(NEXT_PAGE_TEXT, re.IGNORECASE)
_POSTBACK_LINKS = (
    "//a[contains(@href, '__doPostBack') or contains(@href, 'WebForm_PostBackOptions')]"
)
#: The form ASP.NET posts back: the one holding its view state.
_FORM = "//form[.//input[@name='__VIEWSTATE']]"


class PostBack(NamedTuple):
    """One postback of a pager: the form's event target and argument."""

    target: str
    argument: str
    #: The page number it shows, or ``None`` for a step (next, last), which
    #: leads somewhere else from every page.
    page: int | None


class PostBackPager(NamedTuple):
    """A listing's postback pager: where its form goes, the fields a browser
    would send with it, and the pages it offers."""

    action: str
    fields: list[tuple[str, str]]
    pages: list[PostBack]

    def form(self, postback: PostBack) -> list[tuple[str, str]]:
        """The form to post for ``postback``: its target and argument in place
        of the empty ones the form holds."""
        own = {"__EVENTTARGET": postback.target, "__EVENTARGUMENT": postback.argument}
        return [(name, value) for name, value in self.fields if name not in own] + list(own.items())


def postback_pager(root: Element, base_url: str) -> PostBackPager | None:
    """The page's postback pager, or ``None``: none without the form it posts
    (a page without view state is no WebForms page), or without pages.

    Its pages are offered once each: the numbered ones past the first in
    order, or where it numbers none, its steps (next, last).
    """
    forms = nodes(root, _FORM)
    if not forms:
        return None
    found: dict[PostBack, None] = {}
    for link in nodes(root, _POSTBACK_LINKS):
        call = _CALL.search(link.get("href", ""))
        if call is None:
            continue
        target = call.group("target") or call.group("target2") or ""
        argument = call.group("argument") or call.group("argument2") or ""
        text = " ".join("".join(link.itertext()).split())
        if grid := _GRID_PAGE.fullmatch(argument):
            number = grid.group("number")
            found[PostBack(target, argument, int(number) if number else None)] = None
        elif _NUMBER.fullmatch(text):
            found[PostBack(target, argument, int(text))] = None
        elif text and _NEXT.fullmatch(text):
            found[PostBack(target, argument, None)] = None
    numbered = sorted((postback for postback in found if postback.page), key=lambda p: p.page)
    # Where pages are offered by number, "next" is one of them again; and
    # page 1 is what the form's own URL shows.
    pages = [postback for postback in numbered if postback.page != 1] if numbered else list(found)
    if not pages:
        return None
    action = joined(base_url, forms[0].get("action") or "")
    return PostBackPager(action, _form_fields(forms[0]), pages) if action else None


def _form_fields(form: Element) -> list[tuple[str, str]]:
    """The fields a browser would send with ``form``: hidden ones (view state
    included), text, checked boxes, chosen options; no buttons."""
    fields: list[tuple[str, str]] = []
    for field in form.iter("input", "select", "textarea"):
        name = field.get("name")
        if not name or field.get("disabled") is not None:
            continue
        if field.tag == "select":
            chosen = field.xpath(".//option[@selected]") or field.xpath(".//option")[:1]
            if chosen:
                fields.append((name, chosen[0].get("value", chosen[0].text or "")))
        elif field.tag == "textarea":
            fields.append((name, field.text or ""))
        else:
            kind = (field.get("type") or "text").lower()
            if kind in ("submit", "image", "reset", "button", "file"):
                continue
            if kind in ("checkbox", "radio") and field.get("checked") is None:
                continue
            fields.append((name, field.get("value", "on" if kind in ("checkbox", "radio") else "")))
    return fields

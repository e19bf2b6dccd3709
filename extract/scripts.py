"""Where a page's script sends the browser, for pages that are nothing but that.

A portal's root is often a stub whose only content is
``<script>window.location.href = "/portal/";</script>``: no link, no
refresh header.  A browser goes on; a crawler following links alone saw a
page leading nowhere and archived nothing of the portal.
"""

from __future__ import annotations

import re

from lxml.etree import _Element as Element

from extract.select import nodes

#: ``location = "…"``, ``location.href = '…'`` (of ``window``, ``document``,
#: ``top`` or ``self``), ``location.replace("…")`` and ``location.assign("…")``.
_GOES_TO = re.compile(
    r"""\blocation(?:\.href)?\s*=\s*(['"])(?P<set>[^'"\s]+)\1"""
    r"""|\blocation\.(?:replace|assign)\(\s*(['"])(?P<called>[^'"\s]+)\3\s*\)"""
)
#: Scripts longer than this are programs, not a stub's redirect.
_STUB_SCRIPT = 2000


def script_redirect(root: Element) -> str | None:
    """The address the page's one short script sends the browser to, if any.

    Only for a stub: one target among the page's short inline scripts (a
    page whose scripts name several places is a program, not a redirect).
    """
    targets = {
        found.group("set") or found.group("called")
        for text in nodes(root, "//script[not(@src)]/text()")
        if len(text) <= _STUB_SCRIPT
        for found in _GOES_TO.finditer(text)
    }
    return targets.pop() if len(targets) == 1 else None

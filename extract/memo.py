"""Work done once per parsed document, shared by every extraction step.

Deciding whether a page is an article and then extracting it asks the same
questions of the same tree many times: which elements are chrome, where the
body is, what text blocks an element holds.  Answers are kept per document
for the few most recent documents (strong references, so a bounded amount of
memory), keyed by the document's root element.  Extraction never changes a
tree, so an answer stays right for as long as the tree is kept.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from lxml.etree import _Element as Element

#: Documents whose answers are kept: the live crawl and restores extract one
#: page at a time, so two would do.
_DOCUMENTS = 4
_memos: OrderedDict[Element, dict[Any, Any]] = OrderedDict()


def document_memo(element: Element) -> dict[Any, Any]:
    """The answers kept for the document ``element`` belongs to."""
    top = element.getroottree().getroot()
    memo = _memos.get(top)
    if memo is None:
        memo = _memos[top] = {}
        while len(_memos) > _DOCUMENTS:
            _memos.popitem(last=False)
    return memo


def document_order(element: Element) -> dict[Element, int]:
    """Position of every node under ``element`` in document order.

    Kept per document when ``element`` is the document's root.
    """
    top = element.getroottree().getroot()
    if element is not top:
        return {node: index for index, node in enumerate(element.iter())}
    memo = document_memo(top)
    order = memo.get("order")
    if order is None:
        order = memo["order"] = {node: index for index, node in enumerate(top.iter())}
    return order

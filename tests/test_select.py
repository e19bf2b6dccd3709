"""Selectors: skipping those a document cannot match changes no match."""

from __future__ import annotations

import pytest
from parsel import Selector

from extract.select import nodes

HTML = """<html><body>
<div class="news-detail  x" id="main"><h1 class="title">Tiêu đề</h1>
<p class="content">Nội dung</p><span rel="author">Tác giả</span>
<i class="luotxem-1">3</i><a href="/tag/xa">xã</a></div>
<div class="other"><p class="content">Khác</p></div></body></html>"""


@pytest.mark.parametrize(
    "query",
    [
        ".news-detail .content",
        ".news-detail.x .title::text",
        ".ArticleDetail .ArticleTitle",
        "[rel=author]",
        "[itemprop=breadcrumb] a",
        "[class*=luotxem]",
        "[class*=tags] a",
        "#main p::text",
        "#nowhere p",
        "a[href*='/tag/'], a[href*='tag=']",
        ".nothing, .content",
        "p:not(.content)",
        "div:not(.news-detail) .content",
        "a::attr(href)",
    ],
)
def test_matches_are_parsels(query: str) -> None:
    document = Selector(text=HTML)
    expected = document.css(query)
    found = nodes(document.root, query)
    assert [getattr(node, "tag", node) for node in found] == [
        getattr(match.root, "tag", match.root) for match in expected
    ]
    assert len(found) == len(expected)

"""Family B, Tandan SharePoint (Điện Biên, Hà Tĩnh and Thanh Hóa district sites).

Articles live at ``/portal/Pages/<YYYY-M-D>/<Slug>-<random>.aspx``; listings at
``/portal/Pages/<Category>.aspx?PageIndex=N``, paged by query-only relative links.
This sample site is an older one served entirely in windows-1258.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..charsets import WINDOWS_1258
from ..chrome import dmy, esc, share_tools, snippet
from ..corpus import Article, fold
from .base import Family, page_number

if TYPE_CHECKING:
    from ..response import Page
    from ..site import Site

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LISTING = "/portal/Pages/{}.aspx"


def token(number: int) -> str:
    """The six random-looking characters SharePoint appends to page names."""
    digest = int.from_bytes(hashlib.sha1(str(number).encode()).digest()[:8], "big")
    return "".join(_BASE62[(digest >> (6 * i)) % 62] for i in range(6))


def _figure(srcs: list[str], caption: str | None, index: int) -> str:
    images = "\n".join(
        f'<p style="text-align: center;"><img alt="" src="{src}" style="width: 600px;"></p>'
        for src in srcs
    )
    if not caption:
        return images
    text = caption if index % 2 == 0 else f"<em>{caption}</em>"
    return f'{images}\n<p style="text-align: center;">{text}</p>'


class Tandan(Family):
    name = "tandan"
    server = "Microsoft-IIS/8.5"
    prints_time = False
    shows_tags = True
    charset = WINDOWS_1258
    list_class = "tandan-div-list-news"

    @property
    def banner_url(self) -> str:
        return "/portal/Style%20Library/Images/banner-son-linh.png"

    def article_url(self, article: Article) -> str:
        moment = article.dated
        words = "".join(c if c.isalnum() else " " for c in fold(article.title)).split()
        name = "-".join(words[:10])
        day = f"{moment.year}-{moment.month}-{moment.day}"
        return f"/portal/Pages/{day}/{name}-{token(article.id)}.aspx"

    def listing_url(self, category: str, page: int) -> str:
        url = _LISTING.format(category)
        return url if page == 1 else f"{url}?PageIndex={page}"

    def image_url(self, article: Article, number: int) -> str:
        return f"/portal/Photos/{article.dated:%Y-%m-%d}/{token(article.id * 100 + number)}.jpg"

    def resolve(self, site: Site, path: str, query: Mapping[str, str]) -> Page | None:
        for category in self.info.categories:
            if path == _LISTING.format(category):
                return site.listing(category, page_number(query.get("PageIndex")))
        return super().resolve(site, path, query)

    def title(self, site: Site, heading: str, article: Article | None) -> str:
        return f"{heading} - {site.info.name.upper()}"

    def article_body(self, site: Site, article: Article) -> str:
        body = self.body_html(article, _figure, '<p style="text-align: justify;">{}</p>')
        summary = ""
        if article.summary:
            summary = f'<p class="tandan-p-article-news-summary">{esc(article.summary)}</p>'
        author = ""
        if article.author:
            author = f'<p style="text-align: right;"><strong>{esc(article.author)}</strong></p>'
        tags = ", ".join(
            f'<a href="{esc(self.listing_url(article.category, 1))}?Tag={quote(t)}">{esc(t)}</a>'
            for t in article.tags
        )
        others = "".join(
            f'<li><a href="{esc(self.article_url(a))}">{esc(a.title)}</a>'
            f' <span class="tandan-span-date">({dmy(a.dated)})</span></li>'
            for a in site.related(article)
        )
        field_id = "ctl00_PlaceHolderMain_ctl02__ControlWrapper_RichHtmlField"
        return f"""<div class="tandan-div-article">
<p class="tandan-p-article-news-title">{esc(article.title)}</p>
<div class="tandan-div-article-info">
<span class="tandan-span-date-publish">Đăng ngày {article.dated:%d - %m - %Y}</span>
<span class="tandan-span-view">Lượt xem: {article.views}</span></div>
{summary}
<div class="tandan-p-article-main">
<div id="{field_id}" class="ms-rtestate-field" style="display:inline">
{body}
{author}
</div></div>
<div class="td-tags"><span>Từ khóa: </span>{tags}</div>
{share_tools(site, article)}
<div class="tandan-div-article-other"><p class="tandan-p-other-title">Các tin khác</p>
<ul>{others}</ul></div>
</div>"""

    def list_item(self, site: Site, article: Article, index: int) -> str:
        href = esc(self.article_url(article))
        image = ""
        if article.image_count:
            src = esc(self.image_url(article, 0))
            image = f'<a href="{href}"><img class="tandan-img-news" src="{src}" alt=""></a>'
        return (
            f'<div class="tandan-div-news-item">{image}'
            f'<a class="tandan-a-news-title" href="{href}">{esc(article.title)}</a>'
            f'<span class="tandan-span-date">({dmy(article.dated)})</span>'
            f'<p class="tandan-p-news-summary">{esc(snippet(article))}</p></div>'
        )

    def pager(self, site: Site, category: str, page: int, last: int) -> str:
        links = [
            f'<span class="current">{n}</span>'
            if n == page
            else f'<a href="?PageIndex={n}">{n}</a>'
            for n in range(1, last + 1)
        ]
        if page < last:
            links.append(f'<a href="?PageIndex={page + 1}">Trang sau</a>')
        return f'<div class="tandan-div-paging">{" ".join(links)}</div>'

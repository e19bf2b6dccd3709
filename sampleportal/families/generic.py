"""An unknown custom-PHP district portal, for the generic fallback extraction.

Everything goes through ``index.php``: articles at ``index.php?com=tin-tuc&id=N``,
listings at ``index.php?com=danhmuc_tin&id_category=K&page=M``.  No known selectors,
no ``<article>`` element, no canonical link, and pager links relative to the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..chrome import esc, share_tools, snippet
from ..corpus import Article
from .base import Family, page_number

if TYPE_CHECKING:
    from ..response import Page
    from ..site import Site


def short_date(article: Article) -> str:
    """The portal's unpadded day/month/year: "6/2/2020"."""
    moment = article.dated
    return f"{moment.day}/{moment.month}/{moment.year}"


def _figure(srcs: list[str], caption: str | None, index: int) -> str:
    rows = "".join(f'<tr><td><img src="{src}" border="0" width="500"></td></tr>' for src in srcs)
    if caption:
        rows += f'<tr><td class="image_caption">{caption}</td></tr>'
    return f'<table class="image" align="center" cellpadding="0" cellspacing="0">{rows}</table>'


class Generic(Family):
    name = "generic"
    server = "Apache/2.2.15 (CentOS)"
    page_size = 8
    prints_time = False
    list_class = "list_tin"

    @property
    def banner_url(self) -> str:
        return "/templates/default/images/banner.png"

    def _category_id(self, category: str) -> int:
        return list(self.info.categories).index(category) + 1

    def article_url(self, article: Article) -> str:
        return f"/index.php?com=tin-tuc&id={article.id}"

    def listing_url(self, category: str, page: int) -> str:
        url = f"/index.php?com=danhmuc_tin&id_category={self._category_id(category)}"
        return url if page == 1 else f"{url}&page={page}"

    def image_url(self, article: Article, number: int) -> str:
        return f"/upload/images/tintuc/{article.id}_{number + 1}.jpg"

    def resolve(self, site: Site, path: str, query: Mapping[str, str]) -> Page | None:
        if path != "/index.php":
            return None
        com = query.get("com")
        if com is None:
            return site.home(query)
        if com == "tin-tuc" and query.get("id", "").isdigit():
            article = site.by_id.get(int(query["id"]))
            return article and site.article(article, printable=query.get("print") == "1")
        categories = list(self.info.categories)
        index = query.get("id_category", "")
        if com == "danhmuc_tin" and index.isdigit() and 1 <= int(index) <= len(categories):
            return site.listing(categories[int(index) - 1], page_number(query.get("page")))
        return None

    def title(self, site: Site, heading: str, article: Article | None) -> str:
        return f"{heading} | {site.info.name}"

    def article_body(self, site: Site, article: Article) -> str:
        body = self.body_html(article, _figure)
        summary = (
            f'<div class="tomtat"><b>{esc(article.summary)}</b></div>' if article.summary else ""
        )
        author = (
            f'<div class="tacgia" align="right"><b>{esc(article.author)}</b></div>'
            if article.author
            else ""
        )
        others = "".join(
            f'<li><a href="{esc(self.article_url(a).lstrip("/"))}">{esc(a.title)}</a>'
            f" ({short_date(a)})</li>"
            for a in site.related(article)
        )
        return f"""<div class="box_content">
<div class="title_detail"><h2 class="tieude">{esc(article.title)}</h2></div>
<div class="ngaydang">Tin đăng ngày: {short_date(article)} - Xem: {article.views}</div>
{summary}
<div class="noidung_tin">
{body}
</div>
{author}
{share_tools(site, article)}
<div class="tinkhac"><h3>Các tin khác</h3><ul>{others}</ul></div>
</div>"""

    def list_item(self, site: Site, article: Article, index: int) -> str:
        href = esc(self.article_url(article).lstrip("/"))
        image = ""
        if article.image_count:
            image = (
                f'<a href="{href}"><img class="hinh" src="{esc(self.image_url(article, 0))}"></a>'
            )
        return (
            f'<div class="item_tin">{image}<a class="tieude" href="{href}">{esc(article.title)}</a>'
            f'<div class="ngay">{short_date(article)}</div>'
            f'<div class="mota">{esc(snippet(article))}</div></div>'
        )

    def pager(self, site: Site, category: str, page: int, last: int) -> str:
        links = [
            f"<b>{n}</b>"
            if n == page
            else f'<a href="{esc(self.listing_url(category, n).lstrip("/"))}">{n}</a>'
            for n in range(1, last + 1)
        ]
        return f'<div class="phantrang">Trang: {" ".join(links)}</div>'

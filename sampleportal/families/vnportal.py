"""Family C, VNPT vnPortal: the Nghệ An commune sites, and the bundled demo portal.

Articles live at ``/<category>/<title-slug>-<id>``, listings at ``/<category>`` with
``?pageindex=N``; media under ``/datafiles/nan-ubnd/<siteId>/quantritintuc<YYYYM>/``.
Listing links often carry a redundant ``?pageindex=0``, and the pager's "next" link
never runs out: past the last page comes an empty page that links further still.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..chrome import dmy, dotted, esc, share_tools, snippet
from ..corpus import Article
from .base import Family, page_number

if TYPE_CHECKING:
    from ..response import Page
    from ..site import Site

#: The .NET tick count at the Unix epoch; vnPortal names uploads by tick counts.
_EPOCH_TICKS = 621_355_968_000_000_000


def _figure(srcs: list[str], caption: str | None, index: int) -> str:
    """Figures one after another, then the caption as a bold (or bold italic) paragraph."""
    images = "\n".join(
        f'<figure class="image"><img alt="Anh-tin-bai" src="{src}"></figure>' for src in srcs
    )
    if not caption:
        return images
    text = f"<strong>{caption}</strong>" if index % 2 == 0 else f"<i><strong>{caption}</strong></i>"
    return f'{images}\n<p style="text-align: center;">{text}</p>'


class VnPortal(Family):
    name = "vnportal"
    server = "Microsoft-IIS/8.5"
    page_size = 5
    login_label = "ĐĂNG NHẬP"

    @property
    def _datafiles(self) -> str:
        return f"/datafiles/nan-ubnd/{self.info.site_id}"

    @property
    def banner_url(self) -> str:
        return f"{self._datafiles}/banner/banner-trang-chu.png"

    def article_url(self, article: Article) -> str:
        return f"/{article.category}/{article.slug}-{article.id}"

    def listing_url(self, category: str, page: int) -> str:
        return f"/{category}" if page == 1 else f"/{category}?pageindex={page}"

    def image_url(self, article: Article, number: int) -> str:
        moment = article.dated
        ticks = _EPOCH_TICKS + int(moment.timestamp()) * 10_000_000 + article.id * 100 + number
        return f"{self._datafiles}/quantritintuc{moment.year}{moment.month}/{ticks}.jpg"

    def resolve(self, site: Site, path: str, query: Mapping[str, str]) -> Page | None:
        category = path[1:]
        if category in self.info.categories:
            return site.listing(category, page_number(query.get("pageindex")), endless=True)
        return super().resolve(site, path, query)

    def title(self, site: Site, heading: str, article: Article | None) -> str:
        return heading

    def head(self, site: Site, article: Article | None) -> str:
        if article is None:
            return ""
        image = ""
        if article.image_count:
            src = esc(site.url(self.image_url(article, 0)))
            image = f'<meta property="og:image" content="{src}">\n'
        return (
            f'<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{esc(article.title)}">\n{image}'
        )

    def _dateline(self, article: Article) -> str:
        views = f'<div class="luotxem">Lượt xem: {article.views}</div>'
        moment = article.published
        if moment is None:
            return views
        if article.id % 2 == 0:
            line = f"{moment:%H:%M} | {dmy(moment)} | {dotted(article.views)} lượt xem"
            return f'<div class="PostDate">{line}</div>'
        return f'<div class="PostDate">({dmy(moment)}, {moment:%H:%M})</div>\n{views}'

    def article_body(self, site: Site, article: Article) -> str:
        body = self.body_html(article, _figure)
        sapo = ""
        if article.summary:
            sapo = f'<div class="ArticleSapo"><strong>{esc(article.summary)}</strong></div>\n'
        author = ""
        if article.author:
            author = f"<p>{'&nbsp;' * 72} {esc(article.author)}</p>"
        others = "".join(
            f'<li><a href="{esc(self.article_url(a))}">{esc(a.title)}</a></li>'
            for a in site.related(article)
        )
        return f"""<div class="ArticleDetail">
<h1 class="ArticleTitle">{esc(article.title)}</h1>
{self._dateline(article)}
{sapo}<div class="ArticleContent">
{body}
{author}
</div>
{share_tools(site, article)}
<div class="OtherNews"><h3 class="title-other">Tin tức</h3>
<ul>{others}</ul>
<div class="paging"><span class="current">1</span></div></div>
</div>"""

    def list_item(self, site: Site, article: Article, index: int) -> str:
        href = esc(self.article_url(article) + ("?pageindex=0" if index % 2 else ""))
        image = ""
        if article.image_count:
            src = esc(self.image_url(article, 0))
            title = esc(article.title)
            image = f'<a class="news-img" href="{href}"><img src="{src}" alt="{title}"></a>'
        date = (
            f'<span class="news-date">({dmy(article.published)})</span>'
            if article.published
            else ""
        )
        return (
            f'<div class="news-item">{image}<h3 class="news-title"><a href="{href}">'
            f"{esc(article.title)}</a></h3>{date}<p>{esc(snippet(article))}</p></div>"
        )

    def pager(self, site: Site, category: str, page: int, last: int) -> str:
        links = []
        for number in range(1, last + 1):
            if number == page:
                links.append(f'<span class="active">{number}</span>')
            else:
                index = 0 if number == 1 else number
                links.append(f'<a href="/{category}?pageindex={index}">{number}</a>')
        links.append(f'<a class="next" href="/{category}?pageindex={page + 1}">Trang sau »</a>')
        return f'<div class="pagination">{" ".join(links)}</div>'

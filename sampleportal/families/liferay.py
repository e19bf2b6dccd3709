"""Family A, Liferay 6.2 / VNPT ePortal (the FDS themes of Nam Đàn and Hà Nội sites).

Articles live at ``/<category>/-/view_content/<id>-<slug>``; listings at ``/<category>``
paginated through asset-publisher portlet parameters (``_101_cur=N``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..chrome import dmy, esc, share_tools, snippet
from ..corpus import Article
from .base import Family, page_number

if TYPE_CHECKING:
    from ..response import Page
    from ..site import Site

_PORTLET = "p_p_id=101&p_p_lifecycle=0&p_p_state=normal&p_p_mode=view&_101_delta=15"


def stamp(moment: datetime) -> str:
    """Liferay's date line: "12/04/2017 | 3:39 PM"."""
    hour = moment.hour % 12 or 12
    return f"{dmy(moment)} | {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def _figure(srcs: list[str], caption: str | None, index: int) -> str:
    images = "".join(f'<img alt="" src="{src}" style="width: 600px;">' for src in srcs)
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="image">{images}{caption_html}</figure>'


class Liferay(Family):
    name = "liferay"
    server = "Apache-Coyote/1.1"
    page_size = 15
    shows_views = False
    shows_tags = True
    list_class = "asset-publisher"

    @property
    def banner_url(self) -> str:
        return "/fds-theme/images/custom/banner.png"

    def article_url(self, article: Article) -> str:
        return f"/{article.category}/-/view_content/{article.id}-{article.slug}"

    def listing_url(self, category: str, page: int) -> str:
        return f"/{category}" if page == 1 else f"/{category}?{_PORTLET}&_101_cur={page}"

    def image_url(self, article: Article, number: int) -> str:
        name = f"{article.slug[:40]}-{number + 1}.jpg"
        token = uuid.uuid5(uuid.NAMESPACE_URL, f"{article.id}/{number}")
        return f"/documents/{self.info.site_id}/0/{name}/{token}"

    def resolve(self, site: Site, path: str, query: Mapping[str, str]) -> Page | None:
        category = path[1:]
        if category in self.info.categories:
            return site.listing(category, page_number(query.get("_101_cur")))
        return super().resolve(site, path, query)

    def title(self, site: Site, heading: str, article: Article | None) -> str:
        if article is None:
            return f"{heading} - {site.info.name}"
        return f"{heading} - {site.info.categories[article.category]} - {site.info.name}"

    def head(self, site: Site, article: Article | None) -> str:
        if article is None:
            return ""
        return f'<link rel="canonical" href="{esc(site.url(self.article_url(article)))}">\n'

    def article_body(self, site: Site, article: Article) -> str:
        body = self.body_html(article, _figure)
        sapo = ""
        if article.summary:
            sapo = f'<div class="sapo-wrapper"><p class="sapo">{esc(article.summary)}</p></div>'
        author = (
            f'<p align="right"><strong>{esc(article.author)}</strong></p>' if article.author else ""
        )
        tag_param = "p_r_p_564233524_tag"
        tags = " ".join(
            f'<a class="tag" href="/{article.category}?{tag_param}={quote(t)}">{esc(t)}</a>'
            for t in article.tags
        )
        related = "".join(
            f'<li><a href="{esc(self.article_url(a))}">{esc(a.title)}</a>'
            f' <span class="date">({dmy(a.dated)})</span></li>'
            for a in site.related(article)
        )
        portlet = 'class="portlet-boundary portlet-boundary_101_" id="p_p_id_101_INSTANCE_fdsNews_"'
        return f"""<div {portlet}>
<div class="asset-full-content show-asset-title">
<div class="asset-full-content-title">{esc(article.title)}</div>
<div class="assetPublishDate block_timer">{stamp(article.dated)}</div>
{sapo}
<div class="asset-content"><div class="journal-content-article">
{body}
{author}
</div></div>
<div class="taglib-asset-tags-summary"><span>Từ khóa:</span> {tags}</div>
{share_tools(site, article)}
<div class="related_asset"><h4 class="related_asset_title">Tin liên quan</h4>
<ul class="related_asset_list">{related}</ul></div>
</div></div>"""

    def list_item(self, site: Site, article: Article, index: int) -> str:
        href = esc(self.article_url(article))
        image = ""
        if article.image_count:
            src = esc(self.image_url(article, 0))
            image = f'<div class="asset-image"><a href="{href}"><img src="{src}" alt=""></a></div>'
        return f"""<div class="asset-bounddary">{image}
<h3 class="asset-title"><a href="{href}">{esc(article.title)}</a></h3>
<div class="assetPublishDate block_timer">{stamp(article.dated)}</div>
<div class="asset-summary">{esc(snippet(article))}</div></div>"""

    def pager(self, site: Site, category: str, page: int, last: int) -> str:
        items = []
        for number in range(1, last + 1):
            href = "javascript:;" if number == page else f"/{category}?{_PORTLET}&_101_cur={number}"
            active = ' class="active"' if number == page else ""
            items.append(f'<li{active}><a href="{esc(href)}">{number}</a></li>')
        if page < last:
            href = esc(f"/{category}?{_PORTLET}&_101_cur={page + 1}")
            items.append(f'<li class="next"><a href="{href}">Sau »</a></li>')
        return (
            '<div class="taglib-page-iterator" id="_101_ocerSearchContainerPageIterator">'
            f'<ul class="pagination">{"".join(items)}</ul></div>'
        )

"""Family D, NukeViet 4 (Xuân Lộc, the Nghệ An administrative-service centre).

Articles live at ``/news/<cat>/<slug>-<id>.html``, listings at ``/news/<cat>/`` and
``/news/<cat>/page-N``.  Unlike the other families it publishes RSS 2.0 feeds at
``/vi/news/rss/<cat>/`` and a sitemap with ``lastmod``, named in robots.txt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import format_datetime
from typing import TYPE_CHECKING

from ..chrome import dmy, esc, share_tools, snippet, weekday
from ..corpus import Article, slugify
from ..response import Page
from .base import Family

if TYPE_CHECKING:
    from ..site import Site

#: Items per RSS feed, as NukeViet's default.
_FEED_SIZE = 30


def _figure(srcs: list[str], caption: str | None, index: int) -> str:
    images = "".join(f'<img alt="{caption or ""}" src="{src}" width="600">' for src in srcs)
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="image">{images}{caption_html}</figure>'


class NukeViet(Family):
    name = "nukeviet"
    server = "Apache/2.4.58 (Unix) OpenSSL/3.0.13 PHP/8.2.18"
    page_size = 4
    shows_tags = True
    list_class = "news_column"

    @property
    def banner_url(self) -> str:
        return "/uploads/banner-xuan-loc.png"

    def article_url(self, article: Article) -> str:
        return f"/news/{article.category}/{article.slug}-{article.id}.html"

    def print_url(self, article: Article) -> str:
        return f"/news/print/{article.slug}-{article.id}.html"

    def listing_url(self, category: str, page: int) -> str:
        return f"/news/{category}/" if page == 1 else f"/news/{category}/page-{page}"

    def image_url(self, article: Article, number: int) -> str:
        return f"/uploads/news/{article.dated:%Y_%m}/{article.slug[:40]}-{number + 1}.jpg"

    def feed_url(self, category: str | None = None) -> str:
        return f"/vi/news/rss/{category}/" if category else "/vi/news/rss/"

    def robots(self, site: Site) -> str:
        return (
            "User-agent: *\nDisallow: /admin/\nDisallow: /data/\nDisallow: /includes/\n"
            f"Disallow: /install/\n\nSitemap: {site.url('/sitemap.xml')}\n"
        )

    def resolve(self, site: Site, path: str, query: Mapping[str, str]) -> Page | None:
        if path == "/sitemap.xml":
            return Page(self._sitemap(site), content_type="application/xml")
        parts = path.strip("/").split("/")
        if path.startswith("/vi/news/rss/") and len(parts) <= 4:
            category = parts[3] if len(parts) == 4 else None
            if category is None or category in self.info.categories:
                return Page(self._feed(site, category), content_type="application/rss+xml")
        if parts[:2] == ["news", "print"] and len(parts) == 3:
            match = re.search(r"-(\d+)\.html$", path)
            article = match and site.by_id.get(int(match[1]))
            if article and self.print_url(article) == path:
                return site.article(article, printable=True)
        if parts[:2] == ["news", "tag"] and len(parts) == 3:
            tagged = [a for a in site.articles if parts[2] in map(slugify, a.tags)]
            if tagged:
                return site.collection(f"Từ khóa: {parts[2]}", tagged)
        if parts[0] == "news" and len(parts) >= 2 and parts[1] in self.info.categories:
            if len(parts) == 2 and path.endswith("/"):
                return site.listing(parts[1], 1)
            if len(parts) == 3 and parts[2].startswith("page-") and parts[2][5:].isdigit():
                return site.listing(parts[1], int(parts[2][5:]))
        return super().resolve(site, path, query)

    def title(self, site: Site, heading: str, article: Article | None) -> str:
        if article is None:
            return f"{heading} - {site.info.name}"
        return f"{heading} - {site.info.categories[article.category]} - {site.info.name}"

    def head(self, site: Site, article: Article | None) -> str:
        feed = (
            f'<link rel="alternate" type="application/rss+xml" title="Tin tức" '
            f'href="{self.feed_url()}">\n'
        )
        if article is None:
            return feed
        url = esc(site.url(self.article_url(article)))
        return (
            f'{feed}<link rel="canonical" href="{url}">\n'
            f'<meta property="og:url" content="{url}">\n'
            f'<meta property="og:title" content="{esc(article.title)}">\n'
            f'<meta property="og:description" content="{esc(snippet(article))}">\n'
        )

    def article_body(self, site: Site, article: Article) -> str:
        body = self.body_html(article, _figure)
        moment = article.dated
        hometext = ""
        if article.summary:
            hometext = (
                '<div class="hometext m-bottom" itemprop="description">'
                f"{esc(article.summary)}</div>"
            )
        credits = "".join(
            f'<p class="h5 text-right"><strong>{label}: </strong>{esc(value)}</p>'
            for label, value in (("Tác giả", article.author), ("Nguồn tin", article.source))
            if value
        )
        tags = ", ".join(
            f'<a title="{esc(t)}" href="/news/tag/{slugify(t)}"><em>{esc(t)}</em></a>'
            for t in article.tags
        )
        newer, older = site.neighbours(article)
        panel = '<div class="news_column panel panel-default">'
        return f"""<div class="news_column panel panel-default" itemscope
 itemtype="http://schema.org/NewsArticle">
<div class="panel-body">
<h1 class="title margin-bottom-lg" itemprop="headline">{esc(article.title)}</h1>
<div class="row margin-bottom-lg">
<span class="h5">{weekday(moment)} - {dmy(moment)} {moment:%H:%M}</span></div>
<div class="clearfix">{hometext}</div>
<div id="news-bodyhtml" class="bodytext margin-bottom-lg">
{body}
</div>
<div class="margin-bottom-lg">{credits}</div>
</div></div>
{panel}<div class="panel-body">
<div class="h5"><strong>Từ khóa: </strong><span>{tags}</span></div></div></div>
{panel}<div class="panel-body">
<ul class="list-inline"><li><em class="fa fa-eye">&nbsp;</em> Lượt xem: {article.views}</li></ul>
{share_tools(site, article)}
</div></div>
{panel}<div class="panel-body other-news">
<p class="h3"><strong>Những tin mới hơn</strong></p><ul class="related">{self._links(newer)}</ul>
<p class="h3"><strong>Những tin cũ hơn</strong></p><ul class="related">{self._links(older)}</ul>
</div></div>"""

    def _links(self, articles: list[Article]) -> str:
        return "".join(
            f'<li><a href="{esc(self.article_url(a))}">{esc(a.title)}</a>'
            f" <em>({dmy(a.dated)})</em></li>"
            for a in articles
        )

    def list_item(self, site: Site, article: Article, index: int) -> str:
        href = esc(self.article_url(article))
        image = ""
        if article.image_count:
            src = esc(self.image_url(article, 0))
            image = (
                f'<a href="{href}"><img class="img-thumbnail" src="{src}" alt="" width="183"></a>'
            )
        return f"""<div class="panel panel-default"><div class="panel-body">{image}
<h3><a href="{href}" title="{esc(article.title)}">{esc(article.title)}</a></h3>
<div class="text-muted"><ul class="list-unstyled list-inline">
<li><em class="fa fa-clock-o">&nbsp;</em> {article.dated:%d/%m/%Y %H:%M}</li></ul></div>
<p>{esc(snippet(article))}</p></div></div>"""

    def pager(self, site: Site, category: str, page: int, last: int) -> str:
        items = [
            f'<li class="active"><a href="#">{n}</a></li>'
            if n == page
            else f'<li><a href="{self.listing_url(category, n)}">{n}</a></li>'
            for n in range(1, last + 1)
        ]
        if page < last:
            items.append(f'<li><a href="{self.listing_url(category, page + 1)}">»</a></li>')
        return f'<div class="text-center"><ul class="pagination">{"".join(items)}</ul></div>'

    def _feed(self, site: Site, category: str | None) -> str:
        articles = site.by_category[category] if category else site.articles
        items = "".join(
            f"""
<item>
<title>{esc(a.title)}</title>
<link>{esc(site.url(self.article_url(a)))}</link>
<guid isPermaLink="false">{a.category}_{a.id}</guid>
<description>{esc(snippet(a, 400))}</description>
<pubDate>{format_datetime(a.dated)}</pubDate>
</item>"""
            for a in articles[:_FEED_SIZE]
        )
        title = site.info.categories[category] if category else "Tin tức"
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{esc(title)} - {esc(site.info.name)}</title>
<link>{esc(site.url(self.listing_url(category, 1) if category else "/"))}</link>
<atom:link href="{esc(site.url(self.feed_url(category)))}" rel="self" type="application/rss+xml"/>
<description>{esc(site.info.name)}</description>
<language>vi</language>
<generator>NukeViet v4.5</generator>{items}
</channel>
</rss>
"""

    def _sitemap(self, site: Site) -> str:
        urls = "".join(
            f"\n<url><loc>{esc(site.url(self.article_url(a)))}</loc>"
            f"<lastmod>{a.modified.isoformat()}</lastmod></url>"
            for a in site.articles
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}\n</urlset>\n'
        )

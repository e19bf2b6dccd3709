"""What every CMS family template provides: URL shapes and the markup inside the chrome.

A family holds no state; the :class:`~sampleportal.site.Site` owns the articles
and asks its family how to name and draw them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from ..charsets import UTF8, Charset
from ..chrome import esc, with_query
from ..corpus import Article, Figure, SiteInfo

if TYPE_CHECKING:
    from ..response import Page
    from ..site import Site


def page_number(raw: str | None) -> int:
    """A 1-based page from a page parameter; missing, 0, 1 and junk all mean page 1."""
    return max(1, int(raw)) if raw and raw.isdigit() else 1


class Family:
    """The templates of one CMS family.  Subclasses fill in URLs and markup.

    :param info: the portal's identity, for names that appear in URLs and titles.
    """

    #: Family key, as passed to ``PortalServer(family=...)``.
    name: ClassVar[str]
    #: The Server header the real CMS's web server sends.
    server: ClassVar[str] = "Microsoft-IIS/10.0"
    #: Articles per listing page.
    page_size: ClassVar[int] = 10
    #: How the login link in the header is written.
    login_label: ClassVar[str] = "Đăng nhập"
    #: Whether the printed date carries the time of day (else only the date is knowable).
    prints_time: ClassVar[bool] = True
    #: Whether article pages print the view counter.
    shows_views: ClassVar[bool] = True
    #: Whether article pages list their tags.
    shows_tags: ClassVar[bool] = False
    #: How the site's pages are encoded unless an article's quirk says otherwise.
    charset: ClassVar[Charset] = UTF8
    #: CSS class of the element wrapping a listing's items.
    list_class: ClassVar[str] = "list-news"

    def __init__(self, info: SiteInfo) -> None:
        self.info = info

    # -- URLs, all site-relative -------------------------------------------------

    @property
    def banner_url(self) -> str:
        """The banner image in the header."""
        return "/images/banner.png"

    def article_url(self, article: Article) -> str:
        raise NotImplementedError

    def print_url(self, article: Article) -> str:
        return with_query(self.article_url(article), "print=1")

    def listing_url(self, category: str, page: int) -> str:
        raise NotImplementedError

    def image_url(self, article: Article, number: int) -> str:
        raise NotImplementedError

    # -- routing -------------------------------------------------------------------

    def resolve(self, site: Site, path: str, query: Mapping[str, str]) -> Page | None:
        """The family's own pages, or None if unknown.

        Families add their listings and feeds and defer to this for articles, which
        live at their exact URL, with ``?print=1`` selecting the print view.
        """
        article = site.article_at(path)
        return article and site.article(article, printable=query.get("print") == "1")

    # -- markup ----------------------------------------------------------------

    def robots(self, site: Site) -> str:
        """robots.txt: everything is open except the admin area the home page links to."""
        return "User-agent: *\nDisallow: /admin/\n"

    def title(self, site: Site, heading: str, article: Article | None) -> str:
        """The ``<title>`` of a page whose main heading is ``heading``."""
        return f"{heading} - {site.info.name}"

    def head(self, site: Site, article: Article | None) -> str:
        """Extra ``<head>`` lines (canonical, og: tags, feeds) of an article or other page."""
        return ""

    def article_body(self, site: Site, article: Article) -> str:
        raise NotImplementedError

    def list_item(self, site: Site, article: Article, index: int) -> str:
        raise NotImplementedError

    def pager(self, site: Site, category: str, page: int, last: int) -> str:
        raise NotImplementedError

    def listing_body(
        self, site: Site, category: str, page: int, last: int, items: Sequence[Article]
    ) -> str:
        rows = "\n".join(self.list_item(site, a, i) for i, a in enumerate(items))
        heading = esc(site.info.categories[category])
        return (
            f'<h2 class="title-category">{heading}</h2>\n'
            f'<div class="{self.list_class}">\n{rows}\n</div>\n'
            f"{self.pager(site, category, page, last)}"
        )

    # -- shared pieces -------------------------------------------------------------

    def body_html(
        self,
        article: Article,
        figure: Callable[[list[str], str | None, int], str],
        paragraph: str = "<p>{}</p>",
    ) -> str:
        """Paragraphs with figures between them.

        ``figure(srcs, caption, index)`` draws the ``index``-th figure from its escaped
        image URLs and escaped caption; ``paragraph`` formats one paragraph.  Paragraphs
        keep their spacing, no-break spaces written as ``&nbsp;``, so the whitespace
        quirks of the source reach the HTML.
        """
        by_position: dict[int, list[Figure]] = {}
        for item in article.figures:
            by_position.setdefault(item.after, []).append(item)
        out: list[str] = []
        number = index = 0
        for position in range(len(article.paragraphs) + 1):
            for item in by_position.get(position, ()):
                srcs = [esc(self.image_url(article, n)) for n in range(number, number + item.count)]
                number += item.count
                out.append(figure(srcs, item.caption and esc(item.caption), index))
                index += 1
            if position < len(article.paragraphs):
                text = esc(article.paragraphs[position]).replace("\xa0", "&nbsp;")
                out.append(paragraph.format(text))
        return "\n".join(out)

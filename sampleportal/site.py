"""One sample portal: its articles, its family's templates and its URL space.

The site answers paths with :class:`~.response.Page` objects and knows the ground
truth of every article it serves (:meth:`Site.expected`), so tests can compare an
extraction field by field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import unquote

from . import chrome
from .charsets import QUIRK_CHARSETS, WINDOWS_1258
from .corpus import VN_TZ, Article, collapse, load_articles, load_site
from .families import FAMILY_TYPES
from .faults import Faults
from .media import jpeg, png
from .response import Page
from .synthetic import generate

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RELATED = 5


@dataclass(frozen=True)
class ExpectedArticle:
    """What a correct extraction of one article page yields.

    Text is NFC with whitespace collapsed (:func:`~.corpus.collapse`), whatever the
    page's bytes: windows-1258, NFD or a wrong charset label decode to this.

    :param published: the date the page prints, as an aware datetime; midnight when
        the family prints no time of day; None when the page prints no date at all.
    :param last_modified: the Last-Modified header, the fallback for undated pages.
    :param views: the printed view counter, None where the family prints none.
    :param tags: the tags the page lists (empty where the family shows none).
    :param quirks: how this page is served: ``nfd``, ``utf8-as-latin1``,
        ``cp1258-as-utf8``, ``no-charset``, ``windows-1258``, ``gzip``.
    """

    url: str
    id: int
    title: str
    published: datetime | None
    last_modified: datetime
    summary: str | None
    body: list[str]
    captions: list[str]
    author: str | None
    views: int | None
    category: str
    category_name: str
    tags: list[str]
    quirks: list[str]


def _month(raw: str | None) -> date:
    """The month a ``?lich=YYYY-MM`` calendar link asks for; this month if none."""
    match = _MONTH.fullmatch(raw or "")
    if match and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    return datetime.now(VN_TZ).date()


class Site:
    """A portal of ``family`` at ``base_url`` (which ends with "/").

    :param extra_articles: synthetic articles added to the hand-written ones.
    :param seed: seed of the synthetic articles.
    :param faults: serve the fault endpoints and link them from the home page.
    :param slow_seconds: how long the slow fault page takes.
    """

    def __init__(
        self,
        family: str,
        base_url: str,
        *,
        extra_articles: int = 0,
        seed: int = 0,
        faults: bool = False,
        slow_seconds: float = 5.0,
    ) -> None:
        self.info = load_site(family)
        self.family_name = family
        self.family = FAMILY_TYPES[family](self.info)
        self.base_url = base_url
        self._index([*load_articles(family), *generate(self.info, extra_articles, seed)])
        newest = self.family.article_url(self.articles[0])
        self.faults = Faults(newest, slow_seconds) if faults else None
        #: Articles no list shows any more, by path: served (unlisted) or not (withdrawn).
        self._unlisted: dict[str, Article] = {}
        self._withdrawn: dict[str, int] = {}

    def _index(self, articles: list[Article]) -> None:
        articles.sort(key=lambda a: (a.dated, a.id), reverse=True)
        self.articles = articles
        self.by_id = {a.id: a for a in articles}
        self.by_category = {
            c: [a for a in articles if a.category == c] for c in self.info.categories
        }
        self._by_url = {self.family.article_url(a): a for a in articles}
        self._media = {
            unquote(self.family.image_url(a, n)): f"{self.family_name}/{a.id}/{n}"
            for a in articles
            for n in range(a.image_count)
        }

    # -- the editor at work (for tests of recrawls) ----------------------------

    def publish(self, count: int) -> list[str]:
        """Post ``count`` new articles, newer than all others; returns their URLs."""
        now = datetime.now(VN_TZ).replace(microsecond=0)
        first = max(self.by_id) + 1
        fresh = [
            replace(
                article,
                id=first + number,
                published=now - timedelta(minutes=number),
                modified=now - timedelta(minutes=number),
            )
            for number, article in enumerate(generate(self.info, count, seed=first))
        ]
        self._index([*self.articles, *fresh])
        return [self.url(self.family.article_url(a)) for a in fresh]

    def revise(self, url: str, paragraph: str) -> None:
        """Append ``paragraph`` to the article at ``url`` and mark it modified now."""
        article = self._article_of(url)
        revised = replace(
            article,
            paragraphs=(*article.paragraphs, paragraph),
            modified=datetime.now(VN_TZ).replace(microsecond=0),
        )
        self._index([revised if a.id == article.id else a for a in self.articles])

    def withdraw(self, url: str, status: int = 404) -> None:
        """Take the article at ``url`` down: off every list, its URL answering ``status``."""
        self._drop(url)
        self._withdrawn[self._path(url)] = status

    def unlist(self, url: str) -> None:
        """Take the article at ``url`` off every list; its page stays (no pager reaches it)."""
        self._unlisted[self._path(url)] = self._drop(url)

    def _drop(self, url: str) -> Article:
        article = self._article_of(url)
        self._index([a for a in self.articles if a.id != article.id])
        self._unlisted.pop(self._path(url), None)
        return article

    def _article_of(self, url: str) -> Article:
        article = self.article_at(self._path(url))
        if article is None:
            raise KeyError(url)
        return article

    def _path(self, url: str) -> str:
        return url.removeprefix(self.base_url.rstrip("/"))

    def url(self, path: str) -> str:
        """The absolute URL of a site-relative ``path``."""
        return self.base_url + path.lstrip("/")

    def article_at(self, path: str) -> Article | None:
        """The article whose URL is exactly ``path``."""
        return self._by_url.get(path) or self._unlisted.get(path)

    def related(self, article: Article) -> list[Article]:
        """The "other news" list: the editor's picks, else neighbours in the category."""
        if article.related:
            return [self.by_id[i] for i in article.related if i in self.by_id]
        newer, older = self.neighbours(article)
        return (older + newer[::-1])[:_RELATED]

    def neighbours(self, article: Article) -> tuple[list[Article], list[Article]]:
        """Up to five newer and five older articles of the same category."""
        siblings = self.by_category[article.category]
        position = next((i for i, a in enumerate(siblings) if a.id == article.id), None)
        if position is None:  # an article no list shows
            return [], siblings[:_RELATED]
        return siblings[max(0, position - _RELATED) : position], siblings[position + 1 :][:_RELATED]

    # -- pages -----------------------------------------------------------------

    def resolve(self, path: str, query: Mapping[str, str]) -> Page:
        """The response for ``path`` (percent-decoded) and its query parameters."""
        if path == "/robots.txt":
            return Page(self.family.robots(self), content_type="text/plain", gzip="never")
        if path == unquote(self.family.banner_url):
            return Page(png(self.info.name), content_type="image/png")
        if path in self._media:
            return Page(jpeg(self._media[path]), content_type="image/jpeg")
        if path == "/admin" or path.startswith("/admin/"):
            return self._admin()
        if path in self._withdrawn:
            return self.not_found(self._withdrawn[path])
        page = self.faults.resolve(path) if self.faults else None
        if page is None and path == "/":
            page = self.home(query)
        return page or self.family.resolve(self, path, query) or self.not_found()

    def _page(self, heading: str, main: str, **doc: object) -> str:
        title = self.family.title(self, heading, None)
        head = self.family.head(self, None)
        charset = self.family.charset
        return chrome.page(self, chrome.Doc(title, main, charset, head=head, **doc))

    def home(self, query: Mapping[str, str]) -> Page:
        """The home page: latest news, a box per category, admin and fault links."""
        boxes = [self._box("Tin mới nhất", self.articles[:5])]
        for slug, name in self.info.categories.items():
            href = self.family.listing_url(slug, 1)
            boxes.append(self._box(name, self.by_category[slug][:4], href))
        links = [("/admin/", "Quản trị hệ thống")]
        if self.faults:
            links += self.faults.links
        items = "".join(f'<li><a href="{chrome.esc(h)}">{chrome.esc(t)}</a></li>' for h, t in links)
        main = "\n".join(boxes) + f'\n<div class="box-services"><ul>{items}</ul></div>'
        body = self._page(self.info.name, main, month=_month(query.get("lich")))
        return Page(body, charset=self.family.charset)

    def _box(self, heading: str, articles: Sequence[Article], href: str | None = None) -> str:
        title = chrome.esc(heading)
        if href:
            title = f'<a href="{chrome.esc(href)}">{title}</a>'
        rows = "\n".join(self.family.list_item(self, a, i) for i, a in enumerate(articles))
        return f'<div class="home-box"><h2 class="box-title">{title}</h2>\n{rows}\n</div>'

    def listing(self, category: str, page: int, *, endless: bool = False) -> Page | None:
        """Page ``page`` of a category; past the end, None unless the pager is ``endless``."""
        articles = self.by_category[category]
        size = self.family.page_size
        last = max(1, -(-len(articles) // size))
        if page > last and not endless:
            return None
        chunk = articles[(page - 1) * size : page * size]
        main = self.family.listing_body(self, category, page, last, chunk)
        name = self.info.categories[category]
        crumbs = [(name, self.family.listing_url(category, 1))]
        body = self._page(name, main, breadcrumbs=crumbs)
        return Page(body, charset=self.family.charset, chunked=True)

    def collection(self, heading: str, articles: Sequence[Article]) -> Page:
        """A page listing ``articles`` without a pager (tag pages)."""
        body = self._page(heading, self._box(heading, articles))
        return Page(body, charset=self.family.charset, chunked=True)

    def article(self, article: Article, *, printable: bool = False) -> Page:
        """An article page, or its print view, with the article's serving quirks."""
        quirks = article.quirks
        charset = next(
            (QUIRK_CHARSETS[q] for q in sorted(quirks) if q in QUIRK_CHARSETS), self.family.charset
        )
        shown = article.decomposed() if "nfd" in quirks else article
        if printable:
            body = chrome.print_view(self, shown, charset)
        else:
            category = self.info.categories[article.category]
            doc = chrome.Doc(
                self.family.title(self, shown.title, shown),
                self.family.article_body(self, shown),
                charset,
                head=self.family.head(self, shown),
                breadcrumbs=[(category, self.family.listing_url(article.category, 1))],
            )
            body = chrome.page(self, doc)
        return Page(
            body,
            charset=charset,
            last_modified=article.modified,
            etag_key=f"{article.id}/{article.modified.isoformat()}/{printable}",
            gzip="always" if "gzip" in quirks else "accepted",
        )

    def _admin(self) -> Page:
        form = (
            '<form method="post" action="/admin/login"><h2>Đăng nhập hệ thống quản trị</h2>'
            '<input name="username"> <input name="password" type="password">'
            '<button type="submit">Đăng nhập</button></form>'
        )
        return Page(self._page("Quản trị", form))

    def not_found(self, status: int = 404) -> Page:
        main = (
            '<div class="error-page"><h2>Không tìm thấy trang</h2>'
            "<p>Trang bạn yêu cầu không tồn tại hoặc đã bị xóa.</p>"
            '<p><a href="/">Quay về trang chủ</a></p></div>'
        )
        return Page(self._page("Không tìm thấy trang", main), status=status)

    # -- ground truth ----------------------------------------------------------

    def expected(self) -> dict[str, ExpectedArticle]:
        """Ground truth for every article served, by canonical URL."""
        served = [*self.articles, *self._unlisted.values()]
        return {self.url(self.family.article_url(a)): self._expect(a) for a in served}

    def _expect(self, article: Article) -> ExpectedArticle:
        family = self.family
        published = article.published
        if published and not family.prints_time:
            published = published.replace(hour=0, minute=0, second=0)
        quirks = set(article.quirks)
        if family.charset == WINDOWS_1258:
            quirks.add("windows-1258")
        return ExpectedArticle(
            url=self.url(family.article_url(article)),
            id=article.id,
            title=collapse(article.title),
            published=published,
            last_modified=article.modified,
            summary=collapse(article.summary) if article.summary else None,
            body=[text for text in map(collapse, article.paragraphs) if text],
            captions=[collapse(f.caption) for f in article.figures if f.caption],
            author=collapse(article.author) if article.author else None,
            views=article.views if family.shows_views else None,
            category=article.category,
            category_name=self.info.categories[article.category],
            tags=list(article.tags) if family.shows_tags else [],
            quirks=sorted(quirks),
        )

"""Presets for the CMS families that run Vietnam's commune and district portals.

A :class:`Family` says where a CMS puts each article field, what its article
and listing URLs look like, how its listings paginate and how to recognise
it.  Real sites re-theme their CMS, so every field has alternates, and
whatever a preset does not find is left to generic extraction
(:mod:`extract.container`).  ``tests/pages/`` models the markup each
preset expects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from lxml.etree import _Element as Element
from parsel import Selector

from extract.caches import short_strings_cache
from extract.select import elements
from extract.text import whole_number
from extract.urls import (
    CACHED_URL_LENGTH,
    PAGE_PARAMS,
    canonical_or_none,
    canonicalize,
    joined,
    page_one_params,
)

#: The presets, in the order ``detect_family`` breaks ties.  Callers add "auto".
FAMILY_NAMES = ("liferay", "tandan", "vnportal", "nukeviet")
#: Article fields a preset (or a site's ``selectors``) can locate.
FIELDS = ("title", "published", "summary", "body", "author", "views", "category", "tags", "remove")

#: The words and arrows a pager's next link shows ("Trang sau", "Tiếp »"),
#: matched whole and ignoring case (an empty text matches too).
NEXT_PAGE_TEXT = r"(?:trang sau|trang tiếp|tiếp theo|tiếp|sau|next)?\s*[»›>]*"
#: Links to a listing's next page, whatever the template: by ``rel``, or by their text.
_NEXT_LINKS = (
    "link[rel=next]",
    "a[rel=next]",
    f"//a[re:test(normalize-space(.), '^{NEXT_PAGE_TEXT}$', 'i') and normalize-space(.) != '']",
)
#: Paths that are never news, whatever a preset's shapes say: log-in, admin, system pages.
_NOT_CONTENT = re.compile(
    r"/(?:admin|login|logout|dang-?nhap|dang-?ky|register|c/portal|_layouts|users/login)(?:[/?]|$)",
    re.IGNORECASE,
)


#: The home page's path: a listing on every template.
_HOME = re.compile(r"^/?$")


def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


#: A query naming a view of many items (Joomla's ``view=category``, a blog layout).
_LISTING_VIEW = r"[?&](?:view=(?:category|section|featured|archive)|layout=blog)(?:&|$)"


@dataclass(frozen=True)
class Family:
    """One CMS preset.

    :param name: preset name (``liferay``, …, ``generic``).
    :param article_url: matches the path and query of article URLs; a
        ``category`` group, when present, names the article's section.
    :param listing_url: matches the path and query of listing (section, pager) URLs.
    :param markers: patterns in a page's HTML that identify the CMS.
    :param pager: selectors for pagination links on listings.
    :param feeds: site-relative RSS or sitemap paths worth trying.
    :param plain_captions: whether a short plain paragraph right under an
        image is its caption (Tandan), not only emphasised or centred ones.

    The field parameters (:data:`FIELDS`) are selector lists, tried in order;
    ``remove`` lists elements inside the article to leave out.
    """

    name: str
    article_url: re.Pattern[str]
    listing_url: re.Pattern[str]
    markers: tuple[re.Pattern[str], ...] = ()
    pager: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    plain_captions: bool = False
    title: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    def queries(self, field: str, overrides: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Selectors for ``field``: the site's override first, then this preset's."""
        if field not in FIELDS:
            raise KeyError(f"unknown article field {field!r}; fields are {', '.join(FIELDS)}")
        override = (overrides or {}).get(field)
        own: tuple[str, ...] = getattr(self, field)
        return (override, *own) if override else own

    def classify(
        self,
        url: str,
        article_pattern: re.Pattern[str] | None = None,
        listing_pattern: re.Pattern[str] | None = None,
        *,
        guessed_listings: bool = True,
    ) -> str | None:
        """``"article"``, ``"listing"`` or ``None`` (unknown) from the URL's shape.

        A site's own ``article_pattern``/``listing_pattern`` (regexes searched in
        the whole canonical URL) replace the preset's and the generic shapes.  Log-in,
        admin and system paths are never either.

        :param guessed_listings: whether the generic listing shapes may call a
            page other than the home page a listing.  They are guesses that
            articles on unknown templates match too (``/tin-tuc/<slug>``, a
            listing's ``?PageIndex=12`` carried into article URLs); without
            them such a URL is unknown, and the page's content decides.
        """
        target = _path_and_query(url)
        if _NOT_CONTENT.search(target):
            return None
        if not guessed_listings and listing_pattern is None and _HOME.match(target):
            return "listing"
        shapes = (
            ("article", article_pattern, "article_url"),
            ("listing", listing_pattern, "listing_url"),
        )
        for kind, site_pattern, attribute in shapes:
            if site_pattern is not None:
                matched = bool(site_pattern.search(canonicalize(url)))
            else:
                patterns = self._with_generic(attribute)
                if kind == "listing" and not guessed_listings:
                    patterns = tuple(p for p in patterns if p is not GENERIC.listing_url)
                matched = any(p.search(target) for p in patterns)
            if matched:
                return kind
        return None

    def _with_generic(self, attribute: str) -> tuple[re.Pattern[str], ...]:
        own = getattr(self, attribute)
        fallback = getattr(GENERIC, attribute)
        return (own,) if own is fallback else (own, fallback)

    def url_category(self, url: str) -> str | None:
        """The section named in an article URL, if the preset's URL shape has one."""
        match = self.article_url.search(_path_and_query(url))
        if match and "category" in match.groupdict():
            return match["category"]
        return None

    def pager_links(self, selector: Selector, base_url: str) -> list[str]:
        """Absolute URLs of a listing's pagination links, in page order, once each.

        Links that look like articles are left out: vnPortal article links
        carry ``?pageindex=0`` too.  Each is as written (page 1 named as its
        pager names it), but where the pager's numbers show its pages
        counting from one ("2" for ``?page=2``): then its ``?page=1`` is its
        first page, and canonical (see :func:`extract.urls.with_page_one`).
        """
        queries = dict.fromkeys((*self.pager, *GENERIC.pager, *_NEXT_LINKS))
        # Several queries find the same links, and a long pager is two hundred
        # of them: each is joined and judged once.
        hrefs: dict[str, Element] = {}
        for query in queries:
            for element in elements(selector.root, query):
                href = element.get("href")
                if href is not None:
                    hrefs.setdefault(href.strip(), element)
        from_one = _counts_from_one(hrefs)
        links = {
            (canonicalize(url) if from_one and page_one_params(url) else url): None
            for href in hrefs
            if href and not href.startswith(("#", "javascript:", "mailto:"))
            # Unless no parser reads it: then dropped, as any link of the page is.
            if (url := joined(base_url, href)) and canonical_or_none(url)
        }
        for link in [link for link in links if self.classify(link) == "article"]:
            del links[link]
        links.pop(base_url, None)
        return list(links)


#: Numbered links read to tell where a pager counts from: it numbers every
#: page alike, and a never-ending one links two hundred of them.
_NUMBERED_LINKS_READ = 8
#: A link text of more digits is no page number.
_PAGE_DIGITS = 9


def _counts_from_one(links: Mapping[str, Element]) -> bool:
    """Whether a pager's links, by href, number its pages as their page
    parameter does ("2" for ``?page=2``), and never one less ("2" for
    ``?page=1``: counting from zero)."""
    from_one = from_zero = read = 0
    for href, link in links.items():
        text = "".join(link.itertext()).strip() if "=" in href else ""
        if (number := whole_number(text, _PAGE_DIGITS)) is None:
            continue
        for name, value in parse_qsl(urlsplit(href).query):
            if name.lower() in PAGE_PARAMS and (page := whole_number(value)) is not None:
                from_one += page == number
                from_zero += page == number - 1
        read += 1
        if read == _NUMBERED_LINKS_READ:
            break
    return from_one > 0 and not from_zero


@short_strings_cache(maxsize=65536, longest=CACHED_URL_LENGTH)
def _path_and_query(url: str) -> str:
    """What URL patterns match: the canonical URL's path and query (no ``?pageindex=0``)."""
    parts = urlsplit(canonicalize(url))
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


GENERIC = Family(
    name="generic",
    # A Joomla-style category view names its category by id= too: a listing.
    article_url=_pattern(
        rf"^(?!.*{_LISTING_VIEW}).*?(?:"
        r"/(?:bai-viet|tin-bai|chi-tiet|chitiet|tin-chi-tiet|news-detail|detail)/[^/?#]+"
        r"|[-_/]t?\d{3,}\.html?(?:\?|$)"
        r"|/(?:19|20)\d{2}/\d{1,2}/\d{1,2}/[^/?#]+"
        r"|[?&](?:news_?id|article_?id|item_?id|id)=\d+)"
    ),
    listing_url=_pattern(
        rf"{_LISTING_VIEW}"
        r"|^/?$"
        r"|[?&](?:page|trang|pageindex|p|cur|id_category|cat_?id|category_?id)=\d+"
        r"|/(?:page|trang)[-/]\d+"
        r"|/(?:danh-muc|chuyen-muc|category|tin-tuc)(?:/|$)"
        r"|[?&]com=danhmuc"
    ),
    pager=(
        ".pagination a",
        ".pager a",
        ".paging a",
        ".phantrang a",
        ".phan-trang a",
        "a[href*='page=']",
        "a[href*='trang=']",
        "a[href*='PageIndex='], a[href*='pageindex=']",
    ),
    feeds=("/rss", "/rss.xml", "/feed", "/sitemap.xml"),
    title=(
        "h1[itemprop=headline]",
        "[itemprop=headline]",
        ".article-title",
        ".news-title",
        ".title-detail",
        ".detail-title",
        ".entry-title",
        ".post-title",
    ),
    published=(
        "[itemprop=datePublished]",
        "time[datetime]",
        ".post-date",
        ".news-date",
        ".publish-date",
        ".entry-date",
        ".ngay-dang",
        ".date",
        ".time",
    ),
    summary=(
        ".sapo",
        "[class*=sapo], [class*=Sapo]",
        ".tomtat",
        ".tom-tat",
        ".summary",
        ".lead",
        "[itemprop=description]",
        "[class*=news-summary], [class*=article-summary]",
    ),
    body=(
        "[itemprop=articleBody]",
        ".entry-content",
        ".post-content",
        ".article-content",
        ".article-body",
        ".news-content",
        ".detail-content",
        ".content-detail",
        ".noidung",
        ".noi-dung",
        ".chitiet",
        ".chi-tiet",
    ),
    author=(".author", ".tac-gia", ".tacgia", "[rel=author]"),
    views=(
        "[class*=view-count]",
        "[class*=viewcount]",
        "[class*=luot-xem]",
        "[class*=luotxem]",
        ".post-views",
    ),
    category=(".breadcrumb li", ".breadcrumbs li", "[itemprop=breadcrumb] a", ".breadcrumb a"),
    tags=(
        "a[rel=tag]",
        ".tags a",
        ".tag a",
        ".keywords a",
        "[class*=tags] a",
        "a[href*='/tag/'], a[href*='tag=']",
    ),
)

LIFERAY = Family(
    name="liferay",
    article_url=_pattern(
        r"/(?P<category>[^/?#]+)/-/(?:view_content/\d+|asset_publisher/[\w-]+/content/[^/?#]+)"
    ),
    listing_url=_pattern(
        r"[?&](?:p_p_id|[\w]*_cur)="
        r"|/-/asset_publisher/[\w-]+/?(?:\?|$)"
        r"|^(?:/web/[^/?#]+)?(?:/[\w-]+){1,2}/?(?:\?|$)"
    ),
    markers=tuple(
        map(
            _pattern,
            (
                r"/-/view_content/",
                r"/-/asset_publisher/",
                r"\bp_p_id=",
                # Liferay 7 and DXP: the generator tag, and the path of their scripts.
                r"""name=["']generator["'][^>]*Liferay|Liferay[^>]*name=["']generator""",
                r"/o/frontend-js-web/",
                r"asset-bounddary",
                r"journal-content-article",
                r"\bLiferay\.(?:Portlet|ThemeDisplay|Util|Browser)\b",
                r"portlet-boundary",
                r"vnpteportalnewsportlet|AssetPublisherPortlet",
            ),
        )
    ),
    pager=(
        "#_101_ocerSearchContainerPageIterator li a",
        "[id$=PageIterator] li a",
        ".taglib-page-iterator a",
        ".lfr-pagination-buttons a",
    ),
    feeds=("/sitemap.xml",),
    title=(
        ".asset-full-content-title",
        ".asset-full-content .asset-title",
        ".view-content .title",
        ".journal-content-article h1",
    ),
    published=(
        ".asset-full-content .assetPublishDate",
        ".assetPublishDate.block_timer",
        ".asset-full-content .asset-publish-date",
        ".view-content .date",
    ),
    summary=(".sapo-wrapper p.sapo", ".sapo-wrapper", ".asset-full-content .asset-summary"),
    body=(
        ".asset-full-content .journal-content-article",
        ".view-content .journal-content-article",
        ".asset-full-content .asset-content",
    ),
    author=("p.view-content-author", ".asset-full-content .asset-author"),
    views=(".view-count", ".asset-view-count"),
    category=(".breadcrumb li", ".breadcrumbs li"),
    tags=(".asset-tags a", ".taglib-asset-tags-summary a"),
    remove=(".related_asset", ".asset-links", ".taglib-ratings", ".lfr-discussion"),
)

TANDAN = Family(
    name="tandan",
    article_url=_pattern(r"/Pages/\d{4}-\d{1,2}-\d{1,2}/[^/?#]+\.aspx"),
    listing_url=_pattern(r"/Pages/[^/?#]+\.aspx"),
    markers=tuple(
        map(
            _pattern,
            (
                # Tandan's own: its class names and dated page folders.  Any
                # SharePoint/IIS portal has /Portal/Pages/*.aspx and ctl00_ ids.
                r"""class=["'][^"']*\btandan-""",
                r"/portal/Pages/\d{4}-\d{1,2}-\d{1,2}/",
            ),
        )
    ),
    pager=("a[href*='PageIndex=']", ".tandan-paging a"),
    plain_captions=True,
    title=(".tandan-p-article-news-title", ".tandan-article-title", ".ms-rteElement-H1"),
    published=(".tandan-span-date-publish", ".tandan-date-publish", ".tandan-article-date"),
    summary=(".tandan-p-article-news-summary", ".tandan-article-summary"),
    body=(
        ".tandan-p-article-main .ms-rtestate-field",
        ".tandan-p-article-main",
        "div.ms-rtestate-field[id*=RichHtmlField]",
    ),
    views=(".tandan-span-view", ".tandan-luot-xem"),
    category=(".tandan-breadcrumb a", ".breadcrumb a"),
    tags=(".td-tags a", ".tandan-tags a"),
    remove=(".tandan-div-article-other", ".tandan-article-other"),
)

VNPORTAL = Family(
    name="vnportal",
    article_url=_pattern(r"^/(?P<category>[a-z0-9-]+)/[a-z0-9]+(?:-[a-z0-9]+)*-\d{3,}/?(?:\?|$)"),
    listing_url=_pattern(r"^/[a-z0-9-]+/?(?:\?|$)|[?&]pageindex=[1-9]"),
    markers=tuple(
        map(
            _pattern,
            (
                r"storage-vnportal\.vnpt\.vn",
                r"datafiles\.nghean\.gov\.vn",
                r"""alt=["']Anh-tin-bai""",
                r"FileQuanTriTinTuc",
                r"/quantritintuc\d",
            ),
        )
    ),
    pager=("a[href*='pageindex=']", ".pagination a", ".paging a"),
    title=(
        ".news-detail .title",
        ".ArticleDetail .ArticleTitle",
        ".title-news-detail",
        ".news-detail-title",
        ".detail-title",
        ".article-detail h1",
    ),
    published=(
        ".news-detail .date",
        ".ArticleDetail .PostDate",
        ".news-detail-date",
        ".detail-date",
    ),
    summary=(".news-detail .sapo", ".ArticleDetail .ArticleSapo", ".news-detail-summary"),
    body=(
        ".news-detail .content",
        ".ArticleDetail .ArticleContent",
        ".news-detail-content",
        ".detail-content",
        ".article-detail .content",
        "(//*[figure[contains(@class, 'image')] and p])[1]",
    ),
    views=(".news-detail .view", ".news-detail-view", ".detail-view"),
    category=(".breadcrumb li", ".breadcrumbs li"),
    tags=(".news-detail .tags a", ".detail-tags a"),
    remove=(".news-other", ".other-news", ".news-related"),
)

NUKEVIET = Family(
    name="nukeviet",
    article_url=_pattern(
        r"^(?:/[a-z]{2})?/[\w-]+/(?P<category>[\w-]+)/[\w-]+-\d+\.html?(?:\?|$)"
        r"|[?&]op=[\w-]+/[\w-]+-\d+(?:&|$)"
    ),
    listing_url=_pattern(r"^(?:/[a-z]{2})?/[\w-]+/(?!rss/)(?:[\w-]+/)?(?:page-\d+/?)?$"),
    markers=tuple(
        map(
            _pattern,
            (
                r"""name=["']generator["'][^>]*NukeViet|NukeViet[^>]*name=["']generator""",
                r"\bnv_(?:base_siteurl|lang_data|siteroot|my_ofs)\b",
                r"""class=["'](?:[^"']*\s)?nv-""",
                r"/news/rss/",
                r"""id=["']news-bodyhtml""",
            ),
        )
    ),
    pager=("ul.pagination a", ".generate_page a", "a[href*='/page-']"),
    feeds=("/vi/news/rss/", "/news/rss/", "/sitemap.xml"),
    title=("h1[itemprop=headline]", ".news_column h1", "#news_detail h1"),
    published=(".news_column span.h5", ".news_column .time", "#news_detail .time", "em.time"),
    summary=(".hometext", "#hometext"),
    body=("#news-bodyhtml", ".news_column .bodytext", "#news_detail .bodytext"),
    author=(
        "//p[contains(@class, 'text-right')][strong[starts-with(normalize-space(), 'Tác giả')]]",
        "//p[contains(@class, 'text-right')][strong[starts-with(normalize-space(), 'Nguồn')]]",
    ),
    category=(".breadcrumbs li", "ol.breadcrumb li", ".breadcrumbs-wrap a"),
    views=("//li[em[contains(@class, 'fa-eye')]]",),
    tags=(".keywords a", "a[href*='/tag/']"),
    remove=(".related", ".other-news", "#idcomment", ".socialicon", ".news-download-file"),
)

_FAMILIES = {family.name: family for family in (LIFERAY, TANDAN, VNPORTAL, NUKEVIET, GENERIC)}


def get_family(name: str) -> Family:
    """The preset called ``name`` (one of :data:`FAMILY_NAMES` or ``generic``)."""
    try:
        return _FAMILIES[name]
    except KeyError:
        known = ", ".join((*FAMILY_NAMES, "generic"))
        raise KeyError(f"unknown CMS family {name!r}; use one of {known} or auto") from None


def detect_family(html_or_selector: str | Selector, url: str) -> str:
    """The family whose markers the page carries most, or ``"generic"``.

    Markup markers count double; an article URL of the family's shape adds one.
    """
    html = html_or_selector if isinstance(html_or_selector, str) else html_or_selector.get()
    target = _path_and_query(url)
    best, best_score = GENERIC.name, 0
    for name in FAMILY_NAMES:
        family = _FAMILIES[name]
        score = 2 * sum(1 for marker in family.markers if marker.search(html))
        score += 1 if family.article_url.search(target) else 0
        if score > best_score:
            best, best_score = name, score
    return best

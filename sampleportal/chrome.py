"""The page chrome every sample portal wraps around its content.

Real portals surround an article with a header that prints *today's* date, login
links, a banner, menus, breadcrumbs, a calendar widget, share tools and a footer of
legal notices.  All of it is boilerplate that extraction must leave out, and some of
it (the calendar, share links, intranet links) is a crawler trap.  Families differ in
the content they put inside; the frame is the same function for all of them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from .corpus import VN_TZ, Article

if TYPE_CHECKING:
    from .charsets import Charset
    from .site import Site

_WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


def esc(text: str) -> str:
    """``text`` escaped for an HTML text node or a double-quoted attribute."""
    return html.escape(text, quote=True)


def weekday(moment: date) -> str:
    """The Vietnamese weekday name: "Thứ tư" for a Wednesday."""
    return _WEEKDAYS[moment.weekday()]


def dmy(moment: date) -> str:
    """A date the way portals print it, day first: "18/01/2023"."""
    return moment.strftime("%d/%m/%Y")


def dotted(number: int) -> str:
    """A count with Vietnamese thousands separators: 1026 -> "1.026"."""
    return f"{number:,}".replace(",", ".")


#: The header clock's time: when this process started serving, not each request's minute,
#: so an unchanged portal serves unchanged pages and a recrawl can prove it deduplicates.
SERVING_SINCE = datetime.now(VN_TZ)


def today_line(now: datetime | None = None) -> str:
    """The header's current date, e.g. "Thứ năm, 26/11/2026 - 08:27": a trap, not a pubdate."""
    now = now or SERVING_SINCE
    return f"{weekday(now)}, {dmy(now)} - {now:%H:%M}"


def with_query(url: str, query: str) -> str:
    """``url`` with ``query`` appended, whether or not it already has one."""
    return f"{url}{'&' if '?' in url else '?'}{query}"


def snippet(article: Article, limit: int = 200) -> str:
    """The teaser a listing shows: the summary, else the opening of the body."""
    text = " ".join((article.summary or article.paragraphs[0]).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "..."


@dataclass
class Doc:
    """What a family puts inside the chrome of one page."""

    title: str
    main: str
    charset: Charset
    head: str = ""
    breadcrumbs: list[tuple[str, str]] = field(default_factory=list)
    month: date | None = None


def page(site: Site, doc: Doc) -> str:
    """A whole HTML page: the shared frame around ``doc.main``."""
    info, family = site.info, site.family
    meta = ""
    if doc.charset.meta:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={doc.charset.meta}">\n'
    menu = "".join(
        f'<li><a href="{esc(family.listing_url(slug, 1))}">{esc(name)}</a></li>'
        for slug, name in info.categories.items()
    )
    crumbs = " » ".join(
        ['<a href="/">Trang chủ</a>']
        + [f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in doc.breadcrumbs]
    )
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
{meta}<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(doc.title)}</title>
{doc.head}<style>body{{font-family:Arial,sans-serif}}.footer{{font-size:12px}}</style>
</head>
<body class="{family.name}">
<div id="wrapper">
<div class="top-bar"><span class="today">{today_line()}</span>
<a class="login" href="/admin/login?ReturnUrl=%2f">{family.login_label}</a></div>
<div class="banner"><a href="/"><img src="{family.banner_url}" alt="image banner"></a></div>
<div class="nav-space">{"&nbsp;" * 7}</div>
<ul class="menu"><li><a href="/">Trang chủ</a></li>{menu}
<li><a href="mailto:{info.email}">Liên hệ</a></li></ul>
<div class="breadcrumb">{crumbs}</div>
<div class="main-content">
{doc.main}
</div>
<div class="sidebar">
{calendar(doc.month or datetime.now(VN_TZ).date())}
<div class="box-links"><h3>Liên kết website</h3><ul>{_links(site)}</ul></div>
</div>
{footer(site)}
</div>
<script type="text/javascript">var siteName = "{esc(info.name)}";</script>
</body>
</html>
"""


def _links(site: Site) -> str:
    return "".join(
        f'<li><a href="{esc(href)}" target="_blank">{esc(label)}</a></li>'
        for label, href in site.info.links
    )


def footer(site: Site) -> str:
    """The legal footer: owner, editor in charge, reuse notice."""
    info = site.info
    return f"""<div class="footer">
<p><strong>{esc(info.name.upper())}</strong></p>
<p>Cơ quan chủ quản: {esc(info.agency)}</p>
<p>Người chịu trách nhiệm: {esc(info.editor)}</p>
<p>Địa chỉ: {esc(info.address)} - Điện thoại: {info.phone}
- Email: <a href="mailto:{info.email}">{info.email}</a></p>
<p>Bản quyền thuộc về {esc(info.unit)}.
Ghi rõ nguồn "{esc(info.name)}" khi phát hành lại thông tin từ website này.</p>
</div>"""


def calendar(month: date) -> str:
    """A month calendar whose previous/next links never end: ``/?lich=YYYY-MM``."""
    first = month.replace(day=1)
    before = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    days = (after - first).days
    cells = "".join(
        f"<td>{day}</td>" + ("</tr><tr>" if (first.weekday() + day) % 7 == 0 else "")
        for day in range(1, days + 1)
    )
    padding = "<td></td>" * first.weekday()
    return f"""<div class="calendar"><h3>Lịch công tác</h3>
<div class="calendar-nav"><a href="/?lich={before:%Y-%m}">«</a>
Tháng {first.month}/{first.year} <a href="/?lich={after:%Y-%m}">»</a></div>
<table><tr><th>T2</th><th>T3</th><th>T4</th><th>T5</th><th>T6</th><th>T7</th><th>CN</th></tr><tr>{padding}{cells}</tr></table></div>"""


def share_tools(site: Site, article: Article) -> str:
    """Share and print links under an article: tracking, print, mailto and script traps."""
    path = site.family.article_url(article)
    absolute = site.url(path)
    facebook = f"https://www.facebook.com/sharer/sharer.php?u={quote(absolute, safe='')}"
    zalo = with_query(path, "utm_source=zalo&utm_medium=social&utm_campaign=chia-se")
    mail = f"mailto:?subject={quote(article.title)}&body={quote(absolute)}"
    return f"""<div class="share-tools">
<a href="{esc(facebook)}" target="_blank">Chia sẻ Facebook</a>
<a href="{esc(zalo)}">Chia sẻ Zalo</a>
<a href="{esc(mail)}">Gửi email</a>
<a href="{esc(site.family.print_url(article))}" target="_blank">In bài viết</a>
<a href="javascript:window.print();">In trang</a>
<a href="{esc(path)}#comments">Ý kiến bạn đọc</a>
</div>
<div id="comments"><h4>Ý kiến bạn đọc</h4><p>Chưa có ý kiến nào.</p></div>"""


def print_view(site: Site, article: Article, charset: Charset) -> str:
    """The print version of an article: the same text under a second URL."""
    meta = ""
    if charset.meta:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset.meta}">'
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in article.paragraphs)
    summary = f"<p><strong>{esc(article.summary)}</strong></p>" if article.summary else ""
    return f"""<!DOCTYPE html>
<html><head>{meta}<title>{esc(article.title)}</title><meta name="robots" content="noindex"></head>
<body onload="window.print()"><div class="print-page">
<p>{esc(site.info.name)}</p>
<h1>{esc(article.title)}</h1>
{summary}
{paragraphs}
<p style="text-align:right"><strong>{esc(article.author or "")}</strong></p>
<p>Địa chỉ bài viết: {esc(site.url(site.family.article_url(article)))}</p>
</div></body></html>
"""

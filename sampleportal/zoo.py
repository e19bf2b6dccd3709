"""The portal zoo: seeded portals nobody tuned the crawler for, served on loopback.

Each seed draws, independently, a chrome template, a URL scheme (path ids,
query ids in varying order, a case-insensitive server), listings paged by
query or in the articles' own directory, whether links carry a session id,
tracking parameters, a cache-buster (the time now), a return address
(the page they are on, as Liferay's ``redirect=``) or a number alone made
anew for every page shown, whether some are
written with an old origin redirecting to the portal, a set of traps (calendars with
namespaced or one-letter parameters going both ways, faceted filters and
sort orders, an endless pager, print views, search results, a tag cloud, a
directory answering every path below it with one page of relative links)
and the page types around the articles (listings, documents, galleries, a
contact page).  The same seed makes the same portal, so a failing one can be
served again.  Listings may page by ASP.NET postback instead of links, and
the home page may be a frameset.  A
portal may also limit each client's requests, as a NukeViet host does (HTTP
429 and ``Retry-After``); that one is never drawn, so the fleet keeps its
pace.  :meth:`ZooPortal.trap_of` tells trap pages from the rest, and which
trap, for the fleet soak (``bench/fleet.py``).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlencode, urlsplit

SYLLABLES = [
    "xã",
    "hội",
    "kinh",
    "tế",
    "văn",
    "hóa",
    "giáo",
    "dục",
    "nông",
    "thôn",
    "mới",
    "đường",
    "giao",
    "thông",
    "nhân",
    "dân",
    "cán",
    "bộ",
    "đảng",
    "viên",
    "hội",
    "nghị",
    "tổng",
    "kết",
    "phát",
    "động",
    "phong",
    "trào",
    "thi",
    "đua",
    "sản",
    "xuất",
    "vụ",
    "đông",
    "lúa",
    "gạo",
    "thủy",
    "lợi",
    "y",
    "tế",
    "trạm",
    "xá",
    "chính",
    "quyền",
    "bầu",
    "cử",
    "đại",
    "biểu",
    "tuyên",
    "truyền",
]
GIVEN = ("Thùy Chinh", "Hữu Thịnh", "Lệ Thanh", "Minh Châu", "Thanh Hà", "Phương Liên")
ROLES = ("Phó Ban biên tập", "Quản trị", "Chánh văn phòng")
SCHEMES = ("path", "query", "case")
TRAPS = ("calendar", "facets", "pager", "print", "search", "tags", "nested")
TEMPLATES = ("table", "divs", "semantic")
_PAGED_PATH = re.compile(r"/tin-tuc/trang-(\d+)-cm-(\d+)\.html")


@dataclass
class ZooArticle:
    id: int
    title: str
    body: list[str]
    author: str
    day: str
    category: int


@dataclass
class ZooPortal:
    """One seeded portal; :meth:`serve` on a 127.0.0.x host."""

    seed: int
    #: articles times this: 12-30 by default, real commune portals hold hundreds
    scale: int = 1
    articles: list[ZooArticle] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.template = rng.choice(TEMPLATES)
        self.scheme = rng.choice(SCHEMES)
        self.sessions = rng.random() < 0.4
        self.tracking = rng.random() < 0.4
        #: a listed session name, or one only behaviour can tell
        self.session_name = rng.choice(("sid", "PHPSESSID", "vs", "tk"))
        self.traps = sorted(trap for trap in TRAPS[:-1] if rng.random() < 0.5) or ["calendar"]
        # A stream of its own (as paged_paths below): every seed keeps the rest of its portal.
        if random.Random(f"{self.seed}-nested").random() < 0.5:
            self.traps = sorted([*self.traps, "nested"])
        self.calendar_params = rng.choice((("_8_month", "_8_year"), ("m", "y")))
        self.role = rng.choice(ROLES)
        self.per_page = rng.choice((5, 8, 10))
        self.categories = rng.randint(2, 4)
        for number in range(rng.randint(12, 30) * self.scale):
            words = [rng.choice(SYLLABLES) for _ in range(rng.randint(6, 11))]
            body = [
                " ".join(rng.choice(SYLLABLES) for _ in range(rng.randint(25, 45))).capitalize()
                + "."
                for _ in range(rng.randint(3, 6))
            ]
            self.articles.append(
                ZooArticle(
                    id=1000 + number * 7 + rng.randint(0, 6),
                    title=f"{' '.join(words).capitalize()} số {number + 1}",
                    body=body,
                    author=rng.choice(GIVEN),
                    day=f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/"
                    f"{rng.randint(2019, 2025)}",
                    category=rng.randint(1, self.categories),
                )
            )
        #: Listing pages ``/tin-tuc/trang-2-cm-1.html``, in the directory of
        #: path-scheme articles, rather than ``/tin-tuc?cat=1&page=2``.  Drawn
        #: from a stream of its own, so that every seed keeps the rest of its portal.
        self.paged_paths = random.Random(f"{self.seed}-listings").random() < 0.5
        #: Article links carry ``_=<Unix time now in ms>``, as jQuery's cache-buster.
        self.clock = random.Random(f"{self.seed}-clock").random() < 0.3
        #: A quarter of article links are written with the portal's old origin,
        #: which redirects to the new one (a portal moved to https:// keeps
        #: http:// in links pasted into articles and templates).
        self.moved = random.Random(f"{self.seed}-moved").random() < 0.3
        #: Article links carry ``redirect=<the page they are on>``, its own
        #: return address included, as Liferay's asset publisher writes them.
        self.returns = random.Random(f"{self.seed}-returns").random() < 0.2
        #: Article links end in a number standing alone, new on every page
        #: shown (``…?id=7&cat=1&48213977``), which the server ignores.
        self.numbered = random.Random(f"{self.seed}-numbered").random() < 0.15
        self._numbers = random.Random(f"{self.seed}-numbers")
        #: Listings page by ASP.NET postback (the form posted back to the
        #: listing's own URL), with no link to any page but the first:
        #: "numbers" (a grid's pages around this one, and the next) or "next"
        #: (the next page alone); "" pages by links.
        postback = random.Random(f"{self.seed}-postback")
        self.postback = postback.choice(("numbers", "next")) if postback.random() < 0.15 else ""
        #: Pages past a listing's last posted back: trap pages :meth:`trap_of`
        #: cannot tell by URL (a post goes to the listing's first page).
        self.posted_past_end = 0
        #: The home page is a frameset: a menu page and the news in frames;
        #: no other page shows the menu.
        self.frames = random.Random(f"{self.seed}-frames").random() < 0.1
        #: At most this many requests in any second, the rest answered 429 (0:
        #: no limit).  Never drawn: the fleet keeps its pace.
        self.per_second = 0
        #: Keeps connections alive (HTTP/1.1), and closes one unanswered when a
        #: second request comes on it: a keep-alive timeout just running out.
        #: Never drawn.
        self.drops_kept_alive = False
        #: The request target being answered (path and query as received).
        self._here = "/"
        self._rng = rng
        self._server: ThreadingHTTPServer | None = None
        self._old_server: ThreadingHTTPServer | None = None
        self._old_origin = ""
        self._visits = 0
        #: requests answered 429 for coming too fast
        self.refused = 0

    # -- URLs -------------------------------------------------------------

    def article_path(self, article: ZooArticle, variant: int = 0) -> str:
        """The article's link, spelt the way this portal's scheme (and a variant) does."""
        if self.scheme == "path":
            path = f"/tin-tuc/bai-viet-{article.id}.html"
        elif self.scheme == "case":
            path = f"/TinTuc/ChiTiet/Bai-Viet-{article.id}.aspx"
            if variant % 2:
                path = path.lower()
        else:
            params = [("id", str(article.id)), ("cat", str(article.category))]
            path = "/news_detail.asp?" + urlencode(params[:: 1 if variant % 2 else -1])
        extra = []
        if self.tracking and variant % 3 == 1:
            extra.append(("utm_source", "zalo"))
        if self.sessions:
            extra.append((self.session_name, f"s{self._visits * 2654435761 % 2**32:08X}"))
        if self.clock:
            extra.append(("_", str(int(time.time() * 1000))))
        if self.returns:
            extra.append(("redirect", self._here))
        if extra:
            path += ("&" if "?" in path else "?") + urlencode(extra)
        if self.numbered:
            path += ("&" if "?" in path else "?") + str(self._numbers.randrange(10**7, 10**8))
        if self._old_origin and variant % 4 == 2:
            return self._old_origin + path
        return path

    def listing_path(self, category: int, page: int) -> str:
        """The link to a listing's page (category 0: all news)."""
        if self.paged_paths and not self.postback:
            return f"/tin-tuc/trang-{page}-cm-{category}.html"
        return f"/tin-tuc?cat={category}&page={page}"

    def listing_at(self, path: str, query: dict[str, str]) -> tuple[int, int] | None:
        """The category and page number of a listing's page, or None."""
        if found := _PAGED_PATH.fullmatch(path.lower()):
            return int(found.group(2)), int(found.group(1))
        if path not in ("/", "/tin-tuc", "/news.asp"):
            return None
        category, page = query.get("cat", ""), query.get("page", "")
        return int(category) if category.isdigit() else 0, int(page) if page.isdigit() else 1

    def article_at(self, path: str, query: dict[str, str]) -> ZooArticle | None:
        found = re.search(r"bai-viet-(\d+)\.(?:html|aspx)$", path, re.IGNORECASE)
        if self.scheme == "query":
            wanted = query.get("id") if path == "/news_detail.asp" else None
        else:
            wanted = found.group(1) if found else None
        return next((a for a in self.articles if str(a.id) == wanted), None)

    def trap_of(self, url: str) -> str | None:
        """Which of :data:`TRAPS` ``url`` is a page of, or None for the portal's own pages."""
        parts = urlsplit(url)
        path = parts.path.lower()
        query = dict(parse_qsl(parts.query))
        if path in ("/lich-cong-tac", "/lichcongtac.asp"):
            return "calendar"
        kinds = {"/danh-muc": "facets", "/tim-kiem": "search"}
        if path in kinds:
            return kinds[path]
        if path.startswith("/tag/"):
            return "tags"
        if path.startswith(("/in-bai", "/print")):
            return "print"
        if "/gioi-thieu/" in path and path != "/gioi-thieu/":
            return "nested"
        listed = self.listing_at(path, query)
        if listed is not None and listed[1] > self.last_page(listed[0]):
            return "pager"
        return None

    def is_trap(self, url: str) -> bool:
        """Whether ``url`` is a page of one of the portal's traps."""
        return self.trap_of(url) is not None

    # -- pages ------------------------------------------------------------

    def last_page(self, category: int) -> int:
        listed = [a for a in self.articles if not category or a.category == category]
        return max(1, -(-len(listed) // self.per_page))

    def page(self, path: str, query: dict[str, str], target: str = "") -> tuple[int, str, str]:
        """Status, content type and body of ``path``; ``target`` is the
        request's path and query as received."""
        self._visits += 1
        self._here = target or path
        if self.scheme == "case":  # IIS: paths in any case are the same page
            path = path.lower()
        if path == "/robots.txt":
            return 200, "text/plain", "User-agent: *\nAllow: /\n"
        if self.frames and path == "/":
            news = escape(self.listing_path(0, 1))
            return (
                200,
                "text/html",
                (
                    "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
                    "<title>Cổng thông tin xã</title></head><frameset cols='220,*'>"
                    f"<frame src='/menu.html' name='menu'><frame src='{news}' name='main'>"
                    "</frameset></html>"
                ),
            )
        if self.frames and path == "/menu.html":
            return 200, "text/html", f"<html><body><ul>{self._menu()}</ul></body></html>"
        if article := self.article_at(path, query):
            return 200, "text/html", self._article(article)
        if (listed := self.listing_at(path, query)) is not None:
            return 200, "text/html", self._listing(*listed)
        if path == "/lien-he":
            return 200, "text/html", self._chrome("Liên hệ", "<p>Điện thoại: 0238 3 123 456</p>")
        if path == "/thu-vien-anh":
            images = "".join(f'<img src="/anh/{n}.jpg" alt="Ảnh {n}">' for n in range(6))
            return 200, "text/html", self._chrome("Thư viện ảnh", images)
        if path.startswith("/anh/"):
            return 200, "image/jpeg", "\xff\xd8\xff"
        if path.startswith("/van-ban/"):
            return 200, "application/pdf", "%PDF-1.4\n%%EOF\n"
        if trap := self._trap(path, query):
            return 200, "text/html", trap
        return 404, "text/html", self._chrome("Không tìm thấy", "<p>Trang không tồn tại.</p>")

    def _links(self, pairs: list[tuple[str, str]]) -> str:
        return "".join(
            f'<li><a href="{escape(href)}">{escape(text)}</a></li>' for href, text in pairs
        )

    def _menu(self) -> str:
        pairs = [("/", "Trang chủ"), ("/lien-he", "Liên hệ"), ("/thu-vien-anh", "Thư viện ảnh")]
        pairs += [(f"/tin-tuc?cat={c}", f"Chuyên mục {c}") for c in range(1, self.categories + 1)]
        pairs.append(("/van-ban/quyet-dinh-12.pdf", "Văn bản"))
        if "calendar" in self.traps:
            month, year = self.calendar_params
            base = "/lich-cong-tac" if month.startswith("_") else "/lichcongtac.asp"
            pairs.append((f"{base}?{month}=7&{year}=2024", "Lịch công tác"))
        if "facets" in self.traps:
            pairs.append(("/danh-muc?cat=1&sort=date", "Lọc tin"))
        if "search" in self.traps:
            pairs.append(("/tim-kiem?q=xa-hoi", "Tìm kiếm"))
        if "tags" in self.traps:
            pairs.append(("/tag/kinh-te", "Kinh tế"))
        if "nested" in self.traps:
            # Relative: below an article's directory it is that directory's.
            pairs.append(("gioi-thieu/", "Giới thiệu"))
        return self._links(pairs)

    def _chrome(self, title: str, main: str) -> str:
        header = (
            f"<p>Thứ hai, 05/01/2026 - 08:27</p><p class='ban'>{escape(self.role)}</p>"
            "<p>Đăng nhập</p>"
        )
        footer = "<p>Bản quyền thuộc về UBND xã. Người chịu trách nhiệm: Ban biên tập.</p>"
        if self.frames:  # the menu is a frame of its own
            layout = f"<div id='center'>{main}</div><div id='bottom'>{footer}</div>"
        elif self.template == "table":
            layout = (
                f"<table><tr><td colspan=2>{header}</td></tr><tr><td><ul>{self._menu()}</ul>"
                f"</td><td>{main}</td></tr><tr><td colspan=2>{footer}</td></tr></table>"
            )
        elif self.template == "divs":
            layout = (
                f"<div id='top'>{header}</div><div id='left'><ul>{self._menu()}</ul></div>"
                f"<div id='center'>{main}</div><div id='bottom'>{footer}</div>"
            )
        else:
            layout = (
                f"<header>{header}<nav><ul>{self._menu()}</ul></nav></header>"
                f"<main>{main}</main><footer>{footer}</footer>"
            )
        return (
            f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
            f"<title>{escape(title)} - Cổng thông tin xã</title></head><body>{layout}</body></html>"
        )

    def _article(self, article: ZooArticle) -> str:
        paragraphs = "".join(f"<p>{escape(text)}</p>" for text in article.body)
        views = []
        if "print" in self.traps:
            views.append((f"/in-bai?id={article.id}&v={self._visits}", "Bản in"))
        tags = []
        if "tags" in self.traps:
            tags = [(f"/tag/{word.replace(' ', '-')}", word) for word in article.title.split()[:3]]
        related = [(self.article_path(a, self._visits), a.title) for a in self.articles[:3]]
        main = (
            f"<h1>{escape(article.title)}</h1><p>Ngày đăng: {article.day}</p>{paragraphs}"
            f"<p align='right'><strong>{escape(article.author)}</strong></p>"
            f"<ul>{self._links(views + tags)}</ul><h3>Tin khác</h3><ul>{self._links(related)}</ul>"
        )
        return self._chrome(article.title, main)

    def _listing(self, category: int, page: int) -> str:
        listed = [a for a in self.articles if not category or a.category == category]
        last = self.last_page(category)
        shown = listed[(min(page, last) - 1) * self.per_page :][: self.per_page]
        items = "".join(
            f'<div class="item"><a href="{escape(self.article_path(a, self._visits + n))}">'
            f"{escape(a.title)}</a><p>{escape(a.body[0][:90])}…</p></div>"
            for n, a in enumerate(shown)
        )
        pager = f'<a href="{escape(self.listing_path(category, page + 1))}">Trang sau</a>'
        if self.postback:
            pager = self._postback_pager(page, last, numbers=self.postback == "numbers")
        if "pager" not in self.traps and page >= last:
            pager = ""
        if self.postback:
            # A new view state every time, as ASP.NET's carries the page's state.
            state = f"{page}:{self._visits}".encode().hex()
            return self._chrome(
                f"Tin tức {category or ''}",
                f'<form method="post" action="{escape(self.listing_path(category, 1))}" '
                f'id="aspnetForm"><input type="hidden" name="__EVENTTARGET" value="">'
                f'<input type="hidden" name="__EVENTARGUMENT" value="">'
                f'<input type="hidden" name="__VIEWSTATE" value="{state}">{items}{pager}</form>',
            )
        return self._chrome(f"Tin tức {category or ''}", items + pager)

    @staticmethod
    def _postback_pager(page: int, last: int, *, numbers: bool) -> str:
        """A grid's pager: pages around this one by number if ``numbers``, and the next one."""
        call = "javascript:__doPostBack(&#39;ctl00$PlaceHolderMain$gvNews&#39;,&#39;Page${}&#39;)"
        numbers = numbers and "".join(
            f'<a href="{call.format(n)}">{n}</a> ' if n != page else f"<span>{n}</span> "
            for n in range(max(1, page - 2), min(last, page + 2) + 1)
        )
        return (
            f'<div class="pager">{numbers or ""}<a href="{call.format("Next")}">Trang sau</a></div>'
        )

    def posted(
        self, path: str, query: dict[str, str], form: dict[str, str]
    ) -> dict[str, str] | None:
        """The query a listing's form posted back stands for, or None if the form
        is not one its pages post (no view state, as ASP.NET refuses)."""
        argument = form.get("__EVENTARGUMENT", "")
        listed = self.listing_at(path, query)
        if listed is None or "__VIEWSTATE" not in form or not argument.startswith("Page$"):
            return None
        state = bytes.fromhex(form["__VIEWSTATE"]).decode().partition(":")[0]
        step = argument.removeprefix("Page$")
        page = int(state) + 1 if step == "Next" else int(step) if step.isdigit() else None
        if page is None:
            return None
        if page > self.last_page(listed[0]):
            self.posted_past_end += 1
        return {**query, "cat": str(listed[0]), "page": str(page)}

    def _trap(self, path: str, query: dict[str, str]) -> str | None:
        month, year = self.calendar_params
        if path in ("/lich-cong-tac", "/lichcongtac.asp") and "calendar" in self.traps:
            at = int(query.get(year, "2024") or 2024) * 12 + int(query.get(month, "1") or 1)
            links = [
                (f"{path}?{urlencode({month: m % 12 or 12, year: (m - 1) // 12})}", "Tháng")
                for m in (at - 1, at + 1)
            ]
            return self._chrome("Lịch công tác", f"<p>Lịch tuần</p><ul>{self._links(links)}</ul>")
        if path == "/danh-muc" and "facets" in self.traps:
            keys = ("cat", "sort", "order", "year", "field")
            links = []
            for key in keys:
                for value in ("1", "2", "asc"):
                    links.append((f"{path}?{urlencode({**query, key: value})}", "Lọc"))
            return self._chrome("Lọc tin", self._links(links))
        if path == "/tim-kiem" and "search" in self.traps:
            words = [self._rng.choice(SYLLABLES) for _ in range(4)]
            links = [(f"/tim-kiem?q={query.get('q', '')}-{w}", w) for w in words]
            return self._chrome("Tìm kiếm", self._links(links))
        if path.startswith("/tag/") and "tags" in self.traps:
            links = [(f"/tag/{self._rng.choice(SYLLABLES)}-{n}", "thẻ") for n in range(5)]
            return self._chrome("Thẻ", self._links(links))
        if "/gioi-thieu/" in path and "nested" in self.traps:
            # A router answering every path with /gioi-thieu/ in it with one
            # page, whose links are relative: each resolves one level deeper.
            links = [("lich-su/", "Lịch sử"), ("co-cau-to-chuc/", "Cơ cấu tổ chức")]
            return self._chrome("Giới thiệu", f"<p>Giới thiệu chung</p>{self._links(links)}")
        if path == "/in-bai" and "print" in self.traps:
            article = next((a for a in self.articles if str(a.id) == query.get("id")), None)
            body = "".join(f"<p>{escape(p)}</p>" for p in article.body) if article else ""
            return f"<html><body>{body}</body></html>"
        return None

    # -- serving ----------------------------------------------------------

    def serve(self, host: str, port: int = 0) -> str:
        """Start serving on ``host`` (127.0.0.x) in a thread; the base URL."""
        if not host.startswith("127."):
            raise ValueError(f"{host} is not a loopback address")
        portal = self
        lock = threading.Lock()
        answered: deque[float] = deque()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if self.drops_kept_alive else "HTTP/1.0"
            served = 0

            def handle_one_request(self) -> None:
                self.served += 1
                if self.served > 1 and portal.drops_kept_alive:
                    # The next request is read and left unanswered, as by a
                    # server whose keep-alive ran out as it came: closing
                    # at once instead would race the client's next request.
                    self.rfile.readline(65537)
                    self.close_connection = True
                    return
                super().handle_one_request()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if portal.per_second and portal.refuses(answered, lock):
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with lock:
                    shown = portal.page(parts.path, dict(parse_qsl(parts.query)), self.path)
                self.answer(*shown)

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 16)
                form = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
                with lock:
                    query = portal.posted(parts.path, dict(parse_qsl(parts.query)), form)
                    shown = (
                        portal.page(parts.path, query, self.path)
                        if query is not None
                        else (500, "text/html", "Validation of viewstate MAC failed.")
                    )
                self.answer(*shown)

            def answer(self, status: int, kind: str, body: str) -> None:
                data = body.encode("utf-8", "surrogateescape")
                self.send_response(status)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        base = f"http://{host}:{self._server.server_address[1]}"
        if self.moved:

            class Moved(BaseHTTPRequestHandler):
                def do_GET(self) -> None:
                    self.send_response(301)
                    self.send_header("Location", base + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

                def log_message(self, *args: object) -> None:
                    pass

            self._old_server = ThreadingHTTPServer((host, 0), Moved)
            self._old_server.daemon_threads = True
            threading.Thread(target=self._old_server.serve_forever, daemon=True).start()
            self._old_origin = f"http://{host}:{self._old_server.server_address[1]}"
        return base + "/"

    def refuses(self, answered: deque[float], lock: threading.Lock) -> bool:
        """Whether a request now is one too many this second; ``answered`` holds
        the times of the requests answered in the last second, and is updated."""
        now = time.monotonic()
        with lock:
            while answered and answered[0] <= now - 1:
                answered.popleft()
            if len(answered) >= self.per_second:
                self.refused += 1
                return True
            answered.append(now)
            return False

    @property
    def start_urls(self) -> list[str]:
        """The home page, on each origin serving the portal: its sites.toml ``start_urls``.

        A site on a private address (as the zoo's, on loopback) may fetch only
        the origins of its start URLs.
        """
        servers = [server for server in (self._server, self._old_server) if server is not None]
        return [f"http://{host}:{port}/" for host, port in (s.server_address[:2] for s in servers)]

    def close(self) -> None:
        for server in (self._server, self._old_server):
            if server is not None:
                server.shutdown()
                server.server_close()

    def __enter__(self) -> ZooPortal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

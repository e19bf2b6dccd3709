"""The fault endpoints a portal links from its home page when started with ``faults=True``.

Each one is something real portals do to crawlers: errors, a service that is busy
twice before it answers, a page slower than any sane timeout, dropped connections,
truncated bodies, non-HTML files, a 3 MB page and redirects that loop, leave the
site or take two hops to reach an article.
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import cached_property

from .media import jpeg, pdf
from .response import Page, redirect

#: Fault kind -> path.  ``not_found`` is simply a path nothing answers.
FAULT_PATHS = {
    "not_found": "/faults/khong-ton-tai",
    "server_error": "/faults/loi-may-chu",
    "unavailable": "/faults/dang-bao-tri",
    "slow": "/faults/cham",
    "reset": "/faults/ngat-ket-noi",
    "truncated": "/faults/bi-cat",
    "pdf": "/faults/ke-hoach.pdf",
    "jpeg": "/faults/anh-hoat-dong.jpg",
    "huge": "/faults/danh-ba",
    "loop": "/faults/vong-lap-a",
    "loop_back": "/faults/vong-lap-b",
    "offsite": "/faults/ra-ngoai",
    "moved": "/faults/chuyen-huong",
    "moved_again": "/faults/chuyen-huong-2",
}

#: How many 503 answers the ``unavailable`` page gives before it succeeds.
BUSY_ANSWERS = 2

_LABELS = {
    "not_found": "Văn bản đã gỡ",
    "server_error": "Tra cứu hồ sơ",
    "unavailable": "Dịch vụ công trực tuyến",
    "slow": "Lịch tiếp công dân",
    "reset": "Hỏi đáp trực tuyến",
    "truncated": "Thủ tục hành chính",
    "pdf": "Kế hoạch năm (PDF)",
    "jpeg": "Ảnh hoạt động",
    "huge": "Danh bạ điện thoại",
    "loop": "Góp ý dự thảo",
    "offsite": "Cổng dịch vụ công quốc gia",
    "moved": "Bài viết đã chuyển",
}

_ERROR_500 = """<!DOCTYPE html><html><head><title>Runtime Error</title></head>
<body><h1>Server Error in '/' Application.</h1><h2><i>Runtime Error</i></h2></body></html>"""

_ERROR_503 = """<!DOCTYPE html><html><head><title>Service Unavailable</title></head>
<body><h2>Service Unavailable</h2>
<p>HTTP Error 503. The service is unavailable.</p></body></html>"""


class Faults:
    """Fault endpoints and their per-path state (how often each was asked for).

    :param target: site-relative URL of the article the redirect chain ends at.
    :param slow_seconds: how long the slow page takes to answer.
    """

    def __init__(self, target: str, slow_seconds: float = 5.0) -> None:
        self.target = target
        self.slow_seconds = slow_seconds
        self._hits: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def links(self) -> list[tuple[str, str]]:
        """(href, label) pairs for the home page."""
        return [(FAULT_PATHS[kind], label) for kind, label in _LABELS.items()]

    def _hit(self, path: str) -> int:
        with self._lock:
            self._hits[path] += 1
            return self._hits[path]

    def resolve(self, path: str) -> Page | None:
        """The fault answer for ``path``, or None if it is not a fault path."""
        paths = FAULT_PATHS
        if path == paths["server_error"]:
            return Page(_ERROR_500, status=500)
        if path == paths["unavailable"]:
            if self._hit(path) <= BUSY_ANSWERS:
                return Page(_ERROR_503, status=503, headers={"Retry-After": "1"})
            return Page(_notice("Dịch vụ công trực tuyến", "Hệ thống đã hoạt động trở lại."))
        if path == paths["slow"]:
            return Page(_notice("Lịch tiếp công dân", "Đang cập nhật."), delay=self.slow_seconds)
        if path == paths["reset"]:
            return Page(b"", fault="reset")
        if path == paths["truncated"]:
            return Page(_notice("Thủ tục hành chính", "Danh mục thủ tục. " * 400), fault="truncate")
        if path == paths["pdf"]:
            return Page(
                pdf("KE HOACH PHAT TRIEN KINH TE - XA HOI NAM 2026"), content_type="application/pdf"
            )
        if path == paths["jpeg"]:
            return Page(jpeg(path), content_type="image/jpeg")
        if path == paths["huge"]:
            return Page(self._huge)
        if path == paths["loop"]:
            return redirect(paths["loop_back"])
        if path == paths["loop_back"]:
            return redirect(paths["loop"])
        if path == paths["offsite"]:
            return redirect("http://example.org/")
        if path == paths["moved"]:
            return redirect(paths["moved_again"], status=301)
        if path == paths["moved_again"]:
            return redirect(self.target)
        return None

    @cached_property
    def _huge(self) -> str:
        """A 3 MB phone directory, the kind of page that blows a crawler's size limit."""
        row = "<tr><td>{0}</td><td>Cán bộ xóm {1}</td><td>0238.38{0:05d}</td></tr>\n"
        rows = []
        size = number = 0
        while size < 3_000_000:
            line = row.format(number, number % 12 + 1)
            rows.append(line)
            size += len(line.encode())
            number += 1
        return _notice("Danh bạ điện thoại", f"<table>{''.join(rows)}</table>")


def _notice(title: str, body: str) -> str:
    """A bare HTML page; fault pages skip the chrome so their size is what they say."""
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1>{body}</body></html>"
    )

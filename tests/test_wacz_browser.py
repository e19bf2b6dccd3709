"""A package of ours opens in ReplayWeb.page, in a real headless Chromium.

ReplayWeb.page (the ``replaywebpage`` npm package, unpacked by ``make
browser`` into ``.replaywebpage/package``) and the package are served from
127.0.0.1 by a small HTTP server with range requests, as any web server
serves them.  Chromium (Debian's ``chromium`` and ``chromium-driver``) is
driven by Selenium, and may resolve no host but 127.0.0.1.  Without any of
these the test skips, saying which is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.harness import Harvest
from tests.waczpackages import write_wacz

ROOT = Path(__file__).resolve().parents[1]
REPLAYWEBPAGE = ROOT / ".replaywebpage" / "package"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
#: An article of the vnportal fixture, and words of its body typed without accents.
TITLE = "Thanh Liên: UBMTTQ huyện và các đoàn thể làm việc với Đảng ủy - UBND"
QUERY = "xung dang la dia chi tin cay"


def _missing() -> str | None:
    if not (REPLAYWEBPAGE / "ui.js").exists():
        return f"ReplayWeb.page is not unpacked in {REPLAYWEBPAGE} (make browser)"
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "chromium and chromium-driver are not installed (make browser, as root)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed in this environment (make install)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")

#: Walks open shadow roots (ReplayWeb.page is made of web components).
DEEP = """
function* deep(node) {
  yield node;
  if (node.shadowRoot) yield* deep(node.shadowRoot);
  for (const child of node.children || []) yield* deep(child);
}
"""


class _RangeHandler(SimpleHTTPRequestHandler):
    """Static files with ``Range`` support: ReplayWeb.page reads a WACZ in ranges."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        wanted = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not wanted.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first, _, last = wanted.removeprefix("bytes=").partition("-")
        start = int(first) if first else max(size - int(last), 0)
        end = min(int(last), size - 1) if first and last else size - 1
        handle = open(path, "rb")  # noqa: SIM115 - closed by copyfile's caller
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return handle

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0 and (chunk := source.read(min(remaining, 1 << 16))):
            outputfile.write(chunk)
            remaining -= len(chunk)
        return None

    def end_headers(self) -> None:
        if "Range" not in self.headers:
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


@pytest.fixture(scope="module")
def site(harvest: Harvest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ReplayWeb.page and a WACZ of the vnportal fixture, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("replaywebpage")
    for name in ("index.html", "ui.js", "sw.js"):
        shutil.copy(REPLAYWEBPAGE / name, root / name)
    write_wacz(harvest.data, root / "vnportal.wacz", "vnportal")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_RangeHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(driver, script: str, seconds: float = 90) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = driver.execute_script(DEEP + script)
        if found:
            return found
        time.sleep(0.5)
    return None


def test_page_search_without_accents_finds_the_article_and_it_replays(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    query = urllib.parse.quote(QUERY)
    browser.get(f"{site}/?source={site}/vnportal.wacz#view=pages&query={query}")
    titles = _wait_for(
        browser,
        """
        const entries = [...deep(document)].filter(n => n.localName === "wr-page-entry");
        const text = entries.map(e => [...deep(e)].map(n => n.textContent || "").join(" "));
        return entries.length ? text : null;
        """,
    )
    assert titles, "ReplayWeb.page listed no page for the query"
    assert any(TITLE in text for text in titles)
    assert len(titles) < 12, "the query should not match every page"

    clicked = browser.execute_script(
        DEEP
        + """
        const entry = [...deep(document)].find(
          n => n.localName === "wr-page-entry" && n.page && n.page.title.startsWith(arguments[0]));
        const link = [...deep(entry)].find(n => n.localName === "a");
        link.click();
        return true;
        """,
        TITLE,
    )
    assert clicked
    title = _wait_for(
        browser,
        """
        const frame = [...deep(document)].find(
          n => n.localName === "iframe" && n.contentDocument && n.contentDocument.title);
        return frame ? frame.contentDocument.title : null;
        """,
    )
    assert title and title.startswith(TITLE)

"""``PortalServer``: a sample portal on a loopback address, served from a background thread.

Used by ``make demo``, the crawler's end-to-end tests, the search tests and the
benchmarks.  Several servers can run at once, on different ports or on different
127.0.0.x addresses.
"""

from __future__ import annotations

import ipaddress
import threading
from types import TracebackType

from .corpus import FAMILIES
from .handler import PortalHTTPServer
from .site import ExpectedArticle, Site

_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class PortalServer:
    """A sample portal of one CMS family, as a context manager.

    :param family: one of :data:`~.corpus.FAMILIES` (``vnportal`` is the demo portal).
    :param host: a 127.0.0.x address; the server never listens elsewhere.
    :param port: the port, 0 for any free one.
    :param latency: seconds each response waits (benchmarks use 0.03).
    :param extra_articles: synthetic articles added to the listings.
    :param faults: link the fault endpoints (:data:`~.faults.FAULT_PATHS`) from the home page.
    :param seed: seed of the synthetic articles.
    :param slow_seconds: how long the slow fault page takes.

    >>> with PortalServer("nukeviet") as portal:
    ...     portal.base_url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        family: str = "vnportal",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        extra_articles: int = 0,
        faults: bool = False,
        seed: int = 0,
        slow_seconds: float = 5.0,
    ) -> None:
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
        if ipaddress.ip_address(host) not in _LOOPBACK:
            raise ValueError(f"{host} is not a loopback address; use 127.0.0.x")
        self.family = family
        self.host = host
        self.port = port
        self.latency = latency
        self.extra_articles = extra_articles
        self.faults = faults
        self.seed = seed
        self.slow_seconds = slow_seconds
        self._httpd: PortalHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PortalServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        httpd = PortalHTTPServer((self.host, self.port), self.latency)
        httpd.site = Site(
            self.family,
            f"http://{self.host}:{httpd.server_port}/",
            extra_articles=self.extra_articles,
            seed=self.seed,
            faults=self.faults,
            slow_seconds=self.slow_seconds,
        )
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sampleportal-{self.family}-{httpd.server_port}",
            daemon=True,
        )
        self._httpd = httpd
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket; waiting responses are abandoned."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def _site(self) -> Site:
        if self._httpd is None:
            raise RuntimeError("start the server first")
        return self._httpd.site

    @property
    def base_url(self) -> str:
        """The home page's URL, e.g. ``http://127.0.0.1:54321/``."""
        return self._site.base_url

    def url(self, path: str) -> str:
        """The absolute URL of a site-relative ``path`` such as ``/robots.txt``."""
        return self._site.url(path)

    @property
    def hits(self) -> list[str]:
        """The path and query of every request served so far, in order."""
        if self._httpd is None:
            raise RuntimeError("start the server first")
        return self._httpd.hits

    def publish(self, count: int) -> list[str]:
        """Post ``count`` new articles at the top of the listings; returns their URLs."""
        return self._site.publish(count)

    def revise(self, url: str, paragraph: str) -> None:
        """Add ``paragraph`` to the article at ``url``, as an editor correcting it."""
        self._site.revise(url, paragraph)

    def withdraw(self, url: str, status: int = 404) -> None:
        """Delete the article at ``url``, as an editor would: off every list, its URL
        answering ``status`` (404 or 410)."""
        self._site.withdraw(url, status)

    def unlist(self, url: str) -> None:
        """Take the article at ``url`` off every list, its page still served: an old
        article no pager reaches any more."""
        self._site.unlist(url)

    def expected_articles(self) -> dict[str, ExpectedArticle]:
        """Ground truth of every article served, by canonical URL."""
        return self._site.expected()

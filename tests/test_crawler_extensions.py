"""Crawler extensions that tune the process: what each setting does to it."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import pytest
from OpenSSL import SSL
from scrapy.exceptions import DownloadCancelledError, DownloadFailedError, NotConfigured
from scrapy.utils.test import get_crawler
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler import settings as project_settings
from crawler.extensions.garbage import GarbageCollection
from crawler.failures import error_reason, failure_reason
from tests.harness import serve_pages


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_a_crawl_collects_young_garbage_at_the_configured_threshold(thresholds):
    assert "crawler.extensions.garbage.GarbageCollection" in project_settings.EXTENSIONS
    GarbageCollection.from_crawler(get_crawler(settings_dict={"DNA_GC_THRESHOLD": 12_345}))
    assert gc.get_threshold() == (12_345, *thresholds[1:])


def test_a_threshold_of_zero_leaves_cpythons_own(thresholds):
    with pytest.raises(NotConfigured):
        GarbageCollection.from_crawler(get_crawler(settings_dict={"DNA_GC_THRESHOLD": 0}))
    assert gc.get_threshold() == thresholds


#: A crawl in a process of its own (Twisted's reactor runs once a process):
#: a spider raising on a page whose links it was reading, on a real server.
_CRASHING_CRAWL = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

class Crashing(scrapy.Spider):
    name = "crashing"
    start_urls = [sys.argv[1]]

    def parse(self, response):
        yield {"url": response.url}
        raise ValueError("Invalid IPv6 URL")

process = CrawlerProcess({
    "EXTENSIONS": {"crawler.extensions.crashes.CrashReport": 0},
    "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": False,
})
crawler = process.create_crawler(Crashing)
process.crawl(crawler)
process.start()
print(json.dumps([crawler.stats.get_value("dna/errors"), crawler.stats.get_value("dna/failures")]))
"""


def test_a_page_the_spider_crashes_on_is_a_failed_page_of_the_summary() -> None:
    assert "crawler.extensions.crashes.CrashReport" in project_settings.EXTENSIONS
    server, _ = serve_pages({"/": (200, b"<html><body><a href='/a'>a</a></body></html>")})
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = subprocess.run(
            [sys.executable, "-c", _CRASHING_CRAWL, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    errors, failures = json.loads(result.stdout.splitlines()[-1])
    assert errors == 1
    [(failed_url, reason)] = failures
    assert failed_url == url
    assert reason == (
        "reading the page crashed: ValueError: Invalid IPv6 URL (a bug in dna; the log has where)"
    )


def test_a_cookie_sends_no_request_for_the_public_suffix_list() -> None:
    """Scrapy's cookie middleware asks tldextract, which fetched the list from
    publicsuffix.org (then GitHub) the first time a portal set a cookie."""
    code = (
        "import crawler, tldextract, scrapy.downloadermiddlewares.cookies as cookies\n"
        "assert tldextract.TLDExtract().suffix_list_urls == ()\n"
        "assert cookies._split_domain.suffix_list_urls == ()\n"
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if name != "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def test_a_failed_download_is_said_by_its_inner_causes() -> None:
    """Scrapy wraps Twisted's ResponseFailed in a DownloadFailedError whose
    message was the repr of a list of failures: '[<twisted.python.failure…>]'."""
    try:
        try:
            raise ResponseFailed([Failure(ConnectionDone())])
        except ResponseFailed as error:
            raise DownloadFailedError(str(error)) from error
    except DownloadFailedError:
        failed = Failure()
    assert failure_reason(failed) == "ConnectionDone: Connection was closed cleanly."


def test_a_failure_is_said_in_the_archivists_terms_even_when_its_cause_was_lost() -> None:
    """robots.txt's download lost the cause: the reason was the repr of a
    list of failures, with OpenSSL's tuples in it; a page past max_page_size
    was said in Scrapy's words, with the request's repr."""
    tls = SSL.Error([("SSL routines", "", "wrong version number")])
    lost = DownloadFailedError(str([Failure(tls), Failure(ConnectionDone())]))
    assert error_reason(lost) == (
        "TLS error: wrong version number (does the port speak http, not https?); "
        "ConnectionDone: Connection was closed cleanly."
    )
    too_large = DownloadCancelledError(
        "Expected to receive 15177837 bytes which is larger than download max size "
        "(100000) in request <GET http://xa.gov.vn/>."
    )
    assert error_reason(too_large) == (
        "page larger than max_page_size (15,177,837 bytes announced, limit 100,000)"
    )
    # A body with no Content-Length outgrowing the limit: cancelled with no words.
    bare = "download cancelled: body larger than max_page_size"
    assert error_reason(DownloadCancelledError()) == error_reason(CancelledError()) == bare
    assert error_reason(ValueError("no")) == "ValueError: no"

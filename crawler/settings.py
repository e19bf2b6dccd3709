"""Scrapy settings of the ``portal`` spider: polite by default, every exchange recorded.

``dna crawl`` and ``scrapy crawl portal -a site=NAME`` both start from this
module; ``[crawler]`` in ``sites.toml`` and the ``DNA_*`` environment
variables override it (see :func:`crawler.sites.CrawlerOptions.scrapy_settings`).

Settings of our own (all prefixed ``DNA_``):

``DNA_HOME``           data directory (WARCs, database, index, logs)
``DNA_SITES``          sites file (default ``DNA_HOME/sites.toml``)
``DNA_DATABASE_URL``   database URL (default: SQLite in ``DNA_HOME``)
``DNA_WARC_ENABLED``   record every exchange to WARC (off only for benchmarks)
``DNA_STORE_ENABLED``  store captures and articles in the database
``DNA_WARC_MAX_SIZE``  rotate WARC files at this many bytes
``DNA_OPERATOR``       who runs the crawl, written into each ``warcinfo``
``DNA_MAX_LISTING_PAGES``  stop following one listing's pager past this page
``DNA_FETCH_MEDIA``    also archive images and documents linked from articles
``DNA_DEDUP``          store a payload archived before as a revisit record, not again
``DNA_CONDITIONAL_GET``  recrawl archived URLs with If-None-Match / If-Modified-Since
``DNA_CRAWL_MODE``     ``new`` (listings and unseen articles) or ``full`` (revisit all)
``DNA_NEW_STOP_AFTER``  in ``new`` mode, stop a pager after this many listing
                       pages in a row hold only archived articles
``DNA_RECHECK_ARCHIVED``  at a full crawl's end, ask for the archived articles it did
                       not reach: still online, or gone (crawler.extensions.recheck)
``DNA_RESUMES``        id of the unfinished crawl this one resumes (set by ``--resume``)
``DNA_MIN_FREE_MB``    stop the crawl cleanly when the WARC disk has less free space
``DNA_DISK_CHECK_INTERVAL``  seconds between free-space checks
``DNA_GC_THRESHOLD``   CPython's young-generation threshold while crawling, 0 to leave it
                       (crawler.extensions.garbage)
``DNA_MAX_PAGES``      a site's page budget per crawl, unless sites.toml sets its own
``DNA_MAX_MINUTES``    a site's time budget per crawl, in minutes, likewise
``DNA_TRAP_PAGES``     stop a URL shape after this many unproductive pages in a row
                       (crawler.middlewares.traps)
``DNA_MAX_QUEUED_PER_SHAPE``  requests one URL shape may hold in the queue; more are dropped
``DNA_MAX_LINKS_PER_PAGE``  a page's links to distinct URLs read at most; the rest are left
``DNA_SITES_AT_ONCE``  sites one process crawls at once; the others wait their turn
                       (crawler.runner.run_crawls)
``DNA_FRONTIER_URL``   share the frontier with other workers in this Redis (crawler.frontier)
``DNA_SEARCH_DOCUMENTS``  the callable writing PostgreSQL search documents with each batch
"""

from __future__ import annotations

import os

BOT_NAME = "dna"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

DNA_HOME = os.environ.get("DNA_HOME", "dna-data")
DNA_SITES = os.environ.get("DNA_SITES", "")
DNA_DATABASE_URL = os.environ.get("DNA_DATABASE_URL", "")
DNA_FRONTIER_URL = os.environ.get("DNA_FRONTIER_URL", "")
DNA_WARC_ENABLED = True
DNA_STORE_ENABLED = True
DNA_WARC_MAX_SIZE = 1_000_000_000
DNA_OPERATOR = ""
DNA_CONTACT = "https://github.com/district-news-archive/dna"
DNA_MAX_LISTING_PAGES = 1000
DNA_FETCH_MEDIA = True
#: Writes PostgreSQL search documents in each batch's transaction (see
#: archive.writer.SearchDocuments); named, not imported: crawler never imports search.
DNA_SEARCH_DOCUMENTS = "search.pgdocuments.write_documents"
DNA_DEDUP = True
DNA_CONDITIONAL_GET = True
DNA_CRAWL_MODE = "full"
DNA_NEW_STOP_AFTER = 1
DNA_RECHECK_ARCHIVED = True
DNA_RESUMES = 0
DNA_MAX_PAGES = 100_000
DNA_MAX_MINUTES = 720.0
DNA_TRAP_PAGES = 12
DNA_MAX_QUEUED_PER_SHAPE = 5000
DNA_MAX_LINKS_PER_PAGE = 5000
DNA_MIN_FREE_MB = 1024
DNA_DISK_CHECK_INTERVAL = 2.0
DNA_GC_THRESHOLD = 20_000
# The fleet soak's worker ran 50 portals at once at about 0.8 of a core (the
# default politeness keeps each slow) in 870 MB: enough to keep a core busy,
# and 3,000 communes on two workers would otherwise open 1,500 each.
DNA_SITES_AT_ONCE = 50

# -- politeness -----------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = f"dna/0.1 (District News Archive; +{DNA_CONTACT})"
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Each site is its own crawler, so this bounds one site's requests in the
# downloader.  Past the few its hosts may fetch at once, they wait in the
# downloader's own queue, first in first out: judged before they wait (trap
# shapes, the site's spelling) and out of reach of the scheduler's
# priorities.  With Scrapy's 32, an article queued under a session id was
# fetched again and again after the id was learnt.  Twice the per-host
# limit: PortalSpider.from_crawler sets it from the limit in force.
CONCURRENT_REQUESTS = 2 * CONCURRENT_REQUESTS_PER_DOMAIN
# A page yields one article at most, beside its links; Scrapy starts this many
# tasks for every response's output (100 by default: a tenth of a crawl's CPU).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 0.5
# ±50% around DOWNLOAD_DELAY (RANDOMIZE_DOWNLOAD_DELAY is deprecated and warned in every log).
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60
COOKIES_ENABLED = True

# Government portals often serve broken or expired certificates; an archive
# that refused them would lose the page.  Scrapy's default TLS context does
# not verify certificates, which is what we want: keep it.

# -- traps and limits -----------------------------------------------------
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
URLLENGTH_LIMIT = 1024
REDIRECT_MAX_TIMES = 10
# Keep truncated bodies: the WARC records them with WARC-Truncated.
DOWNLOAD_FAIL_ON_DATALOSS = False

# Breadth first: listings and recent articles before deep archives, so a
# page limit keeps the newest material.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# -- retries --------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DNA_RETRY_BACKOFF_BASE = 1.0
DNA_RETRY_BACKOFF_MAX = 60.0

# -- attack surface off ---------------------------------------------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# -- components -----------------------------------------------------------
# Scrapy's HTTP/1.1 handler, mended: the system's OpenSSL for portals that
# speak only TLS 1.0 or 1.1 (the bundled OpenSSL has neither), and a POST
# sent again when its kept-alive connection was closed unanswered.
DOWNLOAD_HANDLERS = {
    "http": "crawler.downloader.PortalDownloadHandler",
    "https": "crawler.downloader.PortalDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # A request queued before its site's spelling was learnt goes back in the new one.
    "crawler.middlewares.spelling.RespellMiddleware": 40,
    # Requests of a URL shape found to be a trap are not sent (and leave its queue count).
    "crawler.middlewares.traps.StoppedShapeMiddleware": 50,
    # Private-address guard before anything is sent.
    "crawler.middlewares.safety.PrivateAddressMiddleware": 60,
    # RFC 9309: an unreachable robots.txt disallows everything, and is reported.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.StrictRobotsTxtMiddleware": 100,
    # Cookies kept as a browser keeps them: a portal setting thousands loses no page.
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.cookies.BoundedCookiesMiddleware": 700,
    # Retry-After aware retries replace Scrapy's own.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # Loops and off-site targets become failures in the summary.
    "crawler.middlewares.redirects.RedirectGuardMiddleware": 610,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.redirects.LenientMetaRefreshMiddleware": 580,
    # A resumed crawl reads what its killed predecessor fetched from WARC.
    "crawler.middlewares.replay.ResumeReplayMiddleware": 930,
    # The page budget: no more requests reach the portal than max_pages.
    "crawler.middlewares.budget.PageBudgetMiddleware": 935,
    # Validators for recrawled URLs; a 304 becomes the archived page again.
    "crawler.middlewares.conditional.ConditionalGetMiddleware": 940,
    # Closest to the wire: sees raw bodies, original headers and redirects.
    "crawler.middlewares.recording.WarcRecorderMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # Judges pages by what they yield; stops trap shapes, caps each shape's queue.
    "crawler.middlewares.traps.TrapGuardMiddleware": 950,
    # A page whose parsing raises goes to the crawl's failures; the crawl goes on.
    "crawler.middlewares.pagefailures.PageFailureMiddleware": 960,
}
EXTENSIONS = {
    "crawler.extensions.crashes.CrashReport": 0,
    "crawler.extensions.diskspace.DiskSpaceGuard": 0,
    "crawler.extensions.garbage.GarbageCollection": 0,
    # After AutoThrottle (0): a host answering 429 is paused and slowed for good.
    "crawler.extensions.slowdown.HostSlowdown": 10,
    "crawler.extensions.recheck.RecheckArchived": 20,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}

# Scrapy re-parses a callback's source on every response to warn about
# `return` in generators (its cache misses on bound methods): 1.7 ms a page.
WARN_ON_GENERATOR_RETURN_VALUE = False

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

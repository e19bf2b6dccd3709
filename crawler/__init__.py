"""The Scrapy project: spiders, middlewares and pipelines that crawl portals into the archive.

Scrapy's cookie middleware asks ``tldextract`` for public suffixes, and
``tldextract`` fetches the list from publicsuffix.org (then GitHub) the
first time a portal sets a cookie: an outbound request to a third party from
an archiving machine, and tracebacks in the crawl log where there is no
route out.  Its bundled snapshot serves; an archivist who wants the live
list sets ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` to it.
"""

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

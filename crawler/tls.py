"""The TLS that old portals need, from the system's OpenSSL.

Shared by ``dna sites add``'s look at a home page and the crawl's fallback
for portals that speak only TLS 1.0 or 1.1 (:mod:`crawler.downloader`).  It
needs only the standard library, so the look at a page need not load Scrapy.
"""

from __future__ import annotations

import ssl
import warnings


def any_tls_context() -> ssl.SSLContext:
    """Every protocol from TLS 1.0 up and every cipher; certificates not checked,
    as for Scrapy's own fetches (broken ones are common on government portals)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is, which is the point
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context

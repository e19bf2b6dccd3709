"""Benchmark WARC writing: what storing one page costs the crawl, against warcio alone.

The crawl writes each exchange as a response, its request and a metadata
record, each its own gzip member, and indexes the response (CDXJ) as it
goes (:class:`archive.warcwriter.WarcFileWriter`).  The baseline is warcio's
own ``WARCWriter(gzip=True)`` writing the same three records to a file: what
any tool built on warcio pays.  In one run, interleaved ``--repeat`` times
(the best of each counts), for a page sent gzip-encoded (its payload stored
as it came) and for one sent plain (deflated):

1. warcio: the three records, built and written by ``WARCWriter``.
2. dna: ``write_exchange`` with the same request, response and metadata.

Prints CPU microseconds per exchange and the ratio.  The page is a sample
portal's article page (``sampleportal``), generated in this process.

Examples::

    python -m bench.warcwrite
    python -m bench.warcwrite --exchanges 500 --repeat 5
"""

from __future__ import annotations

import argparse
import gzip
import io
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warcwriter import (
    HttpRequestData,
    HttpResponseData,
    WarcFileWriter,
    warc_date,
    warc_uri,
)
from sampleportal.site import Site

URL = "http://127.0.0.1:8765/tin-tuc/bai-viet.html"
REQUEST_HEADERS = [
    ("User-Agent", "dna (District News Archive)"),
    ("Accept", "text/html,application/xhtml+xml"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Referer", "http://127.0.0.1:8765/tin-tuc"),
]
METADATA = [
    ("site", "bench"),
    ("crawl", "1"),
    ("via", "http://127.0.0.1:8765/tin-tuc"),
    ("hopsFromSeed", "2"),
    ("fetchReason", "article"),
]


def article_page() -> bytes:
    """The HTML of a sample portal's first article page."""
    site = Site("vnportal", "http://127.0.0.1:8765/", extra_articles=1)
    path = site.family.article_url(site.articles[0])
    return site.resolve(path, {}).payload()


def exchange(body: bytes, encoded: bool) -> tuple[HttpRequestData, HttpResponseData]:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Server", "Microsoft-IIS/8.5")]
    if encoded:
        body = gzip.compress(body, mtime=0)
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    request = HttpRequestData("GET", URL, REQUEST_HEADERS)
    return request, HttpResponseData(200, headers, body, ip_address="127.0.0.1")


def with_warcio(directory: Path, request: HttpRequestData, response: HttpResponseData, n: int):
    """``n`` exchanges as warcio writes them: response, request, metadata."""
    with open(directory / "warcio.warc.gz", "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        fields = "".join(f"{k}: {v}\r\n" for k, v in METADATA).encode()
        for _ in range(n):
            date = warc_date(datetime.now(UTC))
            uri = warc_uri(request.url)
            http = StatusAndHeaders("200 OK", list(response.headers), protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(response.body),
                length=len(response.body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
            sent = StatusAndHeaders(
                "GET /tin-tuc/bai-viet.html", list(request.headers), "HTTP/1.1", True
            )
            request_record = writer.create_warc_record(
                uri,
                "request",
                payload=io.BytesIO(b""),
                length=0,
                http_headers=sent,
                warc_headers_dict={"WARC-Date": date},
            )
            metadata = writer.create_warc_record(
                uri,
                "metadata",
                payload=io.BytesIO(fields),
                length=len(fields),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Date": date},
            )
            for each in (record, request_record, metadata):
                writer.write_record(each)


def with_dna(directory: Path, request: HttpRequestData, response: HttpResponseData, n: int):
    """``n`` exchanges as the crawl writes them (with their CDXJ lines)."""
    with WarcFileWriter(directory, "dna") as writer:
        for _ in range(n):
            writer.write_exchange(request, response, datetime.now(UTC), metadata=METADATA)


def timed(write: Callable[..., None], *args: object) -> float:
    """CPU seconds of ``write(directory, *args)`` into a fresh directory."""
    with tempfile.TemporaryDirectory(prefix="bench-warcwrite-") as directory:
        started = time.process_time()
        write(Path(directory), *args)
        return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=2000, help="exchanges per timed run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; best counts")
    args = parser.parse_args(argv)
    page = article_page()
    print(
        f"WARC writing: {args.exchanges} exchanges a run, best of {args.repeat}; "
        f"page {len(page):,} bytes"
    )
    print(f"{'page sent':<14} {'warcio µs':>10} {'dna µs':>8} {'dna / warcio':>13}")
    for label, encoded in (("gzip-encoded", True), ("plain", False)):
        request, response = exchange(page, encoded)
        for write in (with_warcio, with_dna):  # warm up: imports, first file
            timed(write, request, response, 10)
        warcio_runs, dna_runs = [], []
        for _ in range(args.repeat):
            warcio_runs.append(timed(with_warcio, request, response, args.exchanges))
            dna_runs.append(timed(with_dna, request, response, args.exchanges))
        plain = min(warcio_runs) / args.exchanges * 1e6
        ours = min(dna_runs) / args.exchanges * 1e6
        print(f"{label:<14} {plain:>10.0f} {ours:>8.0f} {ours / plain:>12.2f}×")
    print("dna also writes each response's CDXJ line, and stores a compressed payload as it came.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

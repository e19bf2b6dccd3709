"""Signals of our own, sent alongside Scrapy's."""

#: A response was written to WARC.  Args: ``capture`` (CaptureRecord), ``spider``.
capture_recorded = object()

#: A component is about to read the crawl's articles back from the database:
#: write the batch waiting.  No args.
archive_needed = object()

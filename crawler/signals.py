"""Signals of our own, sent alongside Scrapy's."""

#: A response was written to WARC.  Args: ``capture`` (CaptureRecord), ``spider``.
capture_recorded = object()

"""Article extraction from fetched pages, without Scrapy.

:class:`extract.page.Page` decodes and parses a fetched page;
:func:`extract.article.extract_article` turns it into an
:class:`~archive.records.ArticleRecord`.  The same code runs in the live
crawl and when articles are restored from WARC files.
"""

"""The archive: WARC files (the preservation master) and the database derived from them.

Nothing here knows of Scrapy or Whoosh: the crawler writes through this
package, and search reads from it.
"""

"""Full-text search over the archive, in Vietnamese, with or without diacritics.

The index is derived from the archive database (package ``archive``) and can be
rebuilt from it at any time; nothing here imports the crawler or Scrapy.

Modules, in the order data flows through them:

- :mod:`search.vietnamese`: syllable normalisation (NFC, tone placement, folding).
- :mod:`search.analysis`: Whoosh tokenizers and filters built on it (pickled
  into the index, so its module path must not change).
- :mod:`search.schema`: the index fields and the schema version.
- :mod:`search.indexdir`: opening the index directory and its state file.
- :mod:`search.indexer`: incremental updates and full rebuilds from a Store.
- :mod:`search.query`: parsing user queries into Vietnamese-aware Whoosh queries.
- :mod:`search.searcher`: running a search with filters, sorting and paging.
- :mod:`search.snippets`: highlighted snippets of a hit's text.
- :mod:`search.stats`: what the archive holds, for ``dna stats`` (index size included).
"""

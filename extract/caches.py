"""Caches of answers about strings that come from pages, bounded in memory.

``functools.lru_cache`` bounds how many answers it keeps, not their size.
The strings asked about (links, URLs, text blocks, words) are a stranger's:
forty pages of two thousand links of 10 KB each (800 MB of links read) grew
the link and URL caches to 1.6 GB.  What repeats from page to page (menus,
chrome lines, syllables) is short, so answers about longer strings are
worked out each time and never kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, update_wrapper
from typing import Any, TypeVar

T = TypeVar("T")


def short_strings_cache(
    maxsize: int, longest: int
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``lru_cache(maxsize)`` for calls whose arguments (strings, or tuples of
    a few) are at most ``longest`` long in all; longer calls go uncached.

    The kept answers then hold at most ``maxsize`` times ``longest``
    characters of keys, whatever a portal sends.
    """

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        cached = lru_cache(maxsize=maxsize)(function)

        def call_one(text: Any) -> T:
            return cached(text) if len(text) <= longest else function(text)

        def call(*args: Any) -> T:
            return cached(*args) if sum(map(len, args)) <= longest else function(*args)

        # Most take one string, asked hundreds of thousands of times a crawl.
        return update_wrapper(call_one if function.__code__.co_argcount == 1 else call, function)

    return decorate

"""Crawler extensions that tune the process: what each setting does to it."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.extensions.garbage import GarbageCollection


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_a_crawl_collects_young_garbage_at_the_configured_threshold(thresholds):
    assert "crawler.extensions.garbage.GarbageCollection" in project_settings.EXTENSIONS
    GarbageCollection.from_crawler(get_crawler(settings_dict={"DNA_GC_THRESHOLD": 12_345}))
    assert gc.get_threshold() == (12_345, *thresholds[1:])


def test_a_threshold_of_zero_leaves_cpythons_own(thresholds):
    with pytest.raises(NotConfigured):
        GarbageCollection.from_crawler(get_crawler(settings_dict={"DNA_GC_THRESHOLD": 0}))
    assert gc.get_threshold() == thresholds

"""The judged search corpus (``corpus.py``) holds the hazards it promises."""

from __future__ import annotations

import unicodedata

from tests.corpus import CORPUS


def test_corpus_keys_are_unique() -> None:
    keys = [doc.key for doc in CORPUS]
    assert len(keys) == len(set(keys))


def test_corpus_has_nfd_and_old_style_text() -> None:
    texts = [" ".join([doc.title, *doc.body]) for doc in CORPUS]
    assert any(not unicodedata.is_normalized("NFC", text) for text in texts)
    assert any("hoà" in text.lower() and "thuỷ" in text for text in texts)

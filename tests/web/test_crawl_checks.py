"""The crawler's language checks (tests/e2e/crawl.py) on plain text: English words on a Chinese page, Chinese on an
English page outside the proper names kept as data."""

from __future__ import annotations

from tests.e2e import crawl


def test_chinese_on_an_english_page_is_found_outside_the_allowed_names() -> None:
    names, pending = crawl.allowed_cjk()
    assert "中文" in names
    assert crawl.chinese_text("Language: 中文 · Building 3号厂房 (B03)", names) == ["号厂房"]
    assert crawl.chinese_text("Plant 3 Rooftop PV · 1,234 kWh — 2026-11", names) == []
    # punctuation alone is no Chinese text; every pending page is a menu path with what is left
    assert crawl.chinese_text("Total：12，000", names) == []
    assert all(path.startswith("/") and note for path, note in pending.items())


def test_english_words_on_a_chinese_page_are_found_outside_the_allowed_words() -> None:
    assert crawl.untranslated_words("告警 3 条 · no data · kWh", crawl.allowed_words()) == ["data"]

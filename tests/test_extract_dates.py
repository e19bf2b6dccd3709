"""Dates as Vietnamese portals print them, and the plausibility rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.records import VIETNAM_TZ
from extract.dates import (
    date_from_url,
    find_date,
    is_dateline,
    is_plausible,
    parse_feed_date,
    parse_http_date,
    parse_iso,
    same_day,
)

FETCHED = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("12/04/2017 | 3:39 PM", "2017-04-12T15:39:00+07:00"),
        ("Đăng ngày 17 - 05 - 2024", "2024-05-17T00:00:00+07:00"),
        ("Thứ tư - 28/04/2021 05:21", "2021-04-28T05:21:00+07:00"),
        ("01/11/2024 - 09:50", "2024-11-01T09:50:00+07:00"),
        ("10/07/2025 05:43:27 AM", "2025-07-10T05:43:27+07:00"),
        ("(29/06/2026, 14:49)", "2026-06-29T14:49:00+07:00"),
        ("Tin đăng ngày: 6/2/2020 - Xem: 92", "2020-02-06T00:00:00+07:00"),
        ("11:16 | 18/01/2022 | 1.026 lượt xem", "2022-01-18T11:16:00+07:00"),
        ("Vinh, ngày 27 tháng 11 năm 2008", "2008-11-27T00:00:00+07:00"),
        ("12/04/2017 | 12:05 AM", "2017-04-12T00:05:00+07:00"),
        ("14h30 ngày 5.3.2024", "2024-03-05T14:30:00+07:00"),
        ("Cập nhật: 2024-05-17 08:00", "2024-05-17T08:00:00+07:00"),
        ("5/17/2024 3:39:00 PM", "2024-05-17T15:39:00+07:00"),
    ],
)
def test_printed_formats(printed: str, expected: str) -> None:
    found = find_date(printed)
    assert found is not None
    assert found.value.isoformat() == expected
    assert found.value.tzinfo is VIETNAM_TZ


def test_day_comes_before_month() -> None:
    found = find_date("03/04/2017")
    assert found is not None
    assert (found.value.month, found.value.day) == (4, 3)


@pytest.mark.parametrize(
    "text",
    ["Sinh ngày 19/5/1890", "32/01/2020", "Số 12/KH-UBND", "Xem: 92", "1.026 lượt xem", ""],
)
def test_no_date(text: str) -> None:
    assert find_date(text) is None


def test_invalid_time_keeps_the_date() -> None:
    found = find_date("12/04/2017 | 25:61")
    assert found is not None
    assert found.value.isoformat() == "2017-04-12T00:00:00+07:00"


def test_match_span_covers_date_and_time() -> None:
    text = "Đăng lúc 11:16 | 18/01/2022 | 1.026 lượt xem"
    found = find_date(text)
    assert found is not None
    assert text[found.start : found.end] == "11:16 | 18/01/2022"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-04-28T05:21:00+07:00", "2021-04-28T05:21:00+07:00"),
        ("2021-04-27T22:21:00Z", "2021-04-28T05:21:00+07:00"),
        ("2021-04-28 05:21:00", "2021-04-28T05:21:00+07:00"),
        ("2021-04-28", "2021-04-28T00:00:00+07:00"),
    ],
)
def test_iso_values_are_read_in_vietnam_time(value: str, expected: str) -> None:
    parsed = parse_iso(value)
    assert parsed is not None
    assert parsed.isoformat() == expected


def test_iso_rejects_printed_dates() -> None:
    assert parse_iso("28/04/2021") is None


def test_http_dates() -> None:
    parsed = parse_http_date("Wed, 28 Apr 2021 03:00:00 GMT")
    assert parsed is not None
    assert parsed.isoformat() == "2021-04-28T10:00:00+07:00"
    assert parse_http_date("yesterday") is None
    assert parse_http_date("") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.gov.vn/portal/Pages/2024-5-17/DE-CUONG-CAhvbq96.aspx", "2024-05-17"),
        ("https://x.gov.vn/2021/04/28/le-ra-quan/", "2021-04-28"),
        ("https://x.gov.vn/tin-tuc/bai-viet-2021-1234", None),
        ("https://x.gov.vn/portal/Pages/2024-13-40/X.aspx", None),
    ],
)
def test_dates_in_urls(url: str, expected: str | None) -> None:
    found = date_from_url(url)
    assert (found.date().isoformat() if found else None) == expected


def test_plausibility_window() -> None:
    assert is_plausible(datetime(2026, 1, 5, 20, 0, tzinfo=VIETNAM_TZ), FETCHED)
    assert not is_plausible(datetime(2026, 1, 7, 0, 0, tzinfo=VIETNAM_TZ), FETCHED)
    assert not is_plausible(datetime(1994, 12, 31, tzinfo=VIETNAM_TZ), FETCHED)
    assert is_plausible(datetime(1995, 1, 1, tzinfo=VIETNAM_TZ), FETCHED)


def test_fetch_day_is_judged_in_vietnam() -> None:
    assert same_day(datetime(2026, 1, 5, 23, 59, tzinfo=VIETNAM_TZ), FETCHED)
    assert not same_day(datetime(2026, 1, 4, 23, 59, tzinfo=VIETNAM_TZ), FETCHED)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Ngày đăng: 12/04/2017 | 3:39 PM", True),
        ("Thứ hai, 05/01/2026 - 08:27", True),
        ("Sáng ngày 17/01/2022, UBND xã tổ chức ra quân làm thủy lợi nội đồng.", False),
        ("Không có ngày", False),
    ],
)
def test_datelines(line: str, expected: bool) -> None:
    assert is_dateline(line) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-17T03:00:00Z", datetime(2024, 5, 17, 10, 0, tzinfo=VIETNAM_TZ)),
        ("2024-05-17", datetime(2024, 5, 17, tzinfo=VIETNAM_TZ)),  # no zone: Vietnam time
        ("Fri, 17 May 2024 08:00:00 +0700", datetime(2024, 5, 17, 8, 0, tzinfo=VIETNAM_TZ)),
        (" Fri, 17 May 2024 01:00:00 GMT ", datetime(2024, 5, 17, 8, 0, tzinfo=VIETNAM_TZ)),
        ("hôm qua", None),
        ("²²", None),
        ("", None),
        (None, None),
    ],
)
def test_feed_dates_are_read_in_either_form(value: str | None, expected: datetime | None) -> None:
    """A sitemap's lastmod is ISO 8601, an RSS pubDate RFC 822."""
    assert parse_feed_date(value) == expected

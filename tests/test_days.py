import datetime as dt

import pytest

from cloudtrail_etl.days import parse_day, proc_ymd, utc_bounds, utc_folders, yesterday_kst


def test_parse_day_accepts_both_forms():
    assert parse_day("2026-01-02") == dt.date(2026, 1, 2)
    assert parse_day("20260102") == dt.date(2026, 1, 2)


@pytest.mark.parametrize("text", ["2026-02-30", "20261301", "yesterday", "2026/01/02", ""])
def test_parse_day_rejects_impossible_or_malformed(text):
    with pytest.raises(ValueError, match="--date"):
        parse_day(text)


def test_kst_day_spans_two_utc_folders():
    day = dt.date(2026, 1, 1)
    assert utc_folders(day) == [dt.date(2025, 12, 31), dt.date(2026, 1, 1)]
    start, end = utc_bounds(day)
    assert start == dt.datetime(2025, 12, 31, 15, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2026, 1, 1, 15, tzinfo=dt.timezone.utc)
    assert proc_ymd(day) == "20260101"


def test_yesterday_is_counted_in_kst_not_utc():
    # 2026-03-01 16:30 UTC is already 2026-03-02 01:30 in Seoul: yesterday there is 2026-03-01.
    now = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.timezone.utc)
    assert yesterday_kst(now) == dt.date(2026, 3, 1)
    assert yesterday_kst(dt.datetime(2026, 3, 1, 14, 59, tzinfo=dt.timezone.utc)) == dt.date(2026, 2, 28)

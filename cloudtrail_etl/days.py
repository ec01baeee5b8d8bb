"""The KST day and the UTC delivery folders that hold it.

A KST day D is the UTC interval [D-1 15:00Z, D 15:00Z). CloudTrail files land in folders named after their UTC
delivery date, so one KST day needs the folders of D-1 and D.
"""

from __future__ import annotations

import datetime as dt
import re

KST_OFFSET_HOURS = 9  # Asia/Seoul: a fixed +09:00 since 1988, no daylight saving
KST = dt.timezone(dt.timedelta(hours=KST_OFFSET_HOURS), "KST")
_DATE_FORMS = (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), re.compile(r"^(\d{4})(\d{2})(\d{2})$"))


def parse_day(text: str, option: str = "--date") -> dt.date:
    """Accept YYYY-MM-DD or YYYYMMDD; raise ValueError with a readable message otherwise."""
    for form in _DATE_FORMS:
        match = form.match(text.strip())
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError as exc:
                raise ValueError(f"{option} {text!r} is not a real calendar day ({exc})") from None
    raise ValueError(f"{option} {text!r} is not YYYY-MM-DD or YYYYMMDD")


def yesterday_kst(now: dt.datetime | None = None) -> dt.date:
    """The default target day: the KST day before now, whatever the machine's time zone."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(KST).date() - dt.timedelta(days=1)


def proc_ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def utc_folders(day: dt.date) -> list[dt.date]:
    """UTC delivery-date folders that can hold events of KST day `day`."""
    return [day - dt.timedelta(days=1), day]


# A file holds records from before its delivery, and its name carries that delivery time (UTC, to the minute).
# Names are cut to the minute and services' clocks differ by seconds: an hour's margin costs ~2% more input.
DELIVERY_MARGIN = dt.timedelta(hours=1)


def first_delivery(day: dt.date) -> dt.datetime:
    """Files delivered before this cannot hold an event of KST day `day`: its start, less DELIVERY_MARGIN."""
    return utc_bounds(day)[0] - DELIVERY_MARGIN


def utc_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of KST day `day` as aware UTC datetimes."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=KST).astimezone(dt.timezone.utc)
    return start, start + dt.timedelta(days=1)

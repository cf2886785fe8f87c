"""Periods in words and dates, read on the reader's own date; bad ones are one line saying what would work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reports.periods import PeriodProblem, parse_period

TODAY = date(2026, 12, 4)  # a Friday


@pytest.mark.parametrize(("words", "start", "end"), [
    ("this week", date(2026, 11, 30), TODAY),
    ("last week", date(2026, 11, 23), date(2026, 11, 29)),
    ("last month", date(2026, 11, 1), date(2026, 11, 30)),
    ("this month", date(2026, 12, 1), TODAY),
    ("Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("q4", date(2026, 10, 1), TODAY),
    ("last quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ("october", date(2026, 10, 1), date(2026, 10, 31)),
    ("2026-07-01..2026-09-30", date(2026, 7, 1), date(2026, 9, 30)),
    ("since 2026-10-01", date(2026, 10, 1), TODAY),
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
])
def test_periods_people_type(words: str, start: date, end: date) -> None:
    period = parse_period(words, TODAY)
    assert (period.start, period.end, period.as_of) == (start, end, False)


def test_as_of_is_everything_known_at_the_end_of_that_day_in_the_readers_zone() -> None:
    period = parse_period("as of 2026-09-30", TODAY)
    assert period.as_of and period.end == date(2026, 9, 30)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert period.until(tokyo) == datetime(2026, 9, 30, 15, tzinfo=UTC)  # Tokyo's midnight of 1 October
    assert period.contains(datetime(2026, 9, 30, 14, 59, tzinfo=UTC), tokyo)
    assert not period.contains(datetime(2026, 9, 30, 15, tzinfo=UTC), tokyo)


@pytest.mark.parametrize(("words", "problem"), [
    ("fortnight", "I can't read the period “fortnight”. Try `this week`"),
    ("Q1 2027", "Q1 2027 has not begun yet"),
    ("2027-01-01..2027-02-01", "has not begun yet"),
    ("2026-10-01..2026-09-01", "2026-10-01 is after 2026-09-01"),
    ("as of 2026-12-05", "is in the future"),
    ("since 2026-02-30", "2026-02-30 is not a date"),
    ("", "Say which period"),
])
def test_bad_periods_say_what_would_work_in_one_line(words: str, problem: str) -> None:
    with pytest.raises(PeriodProblem) as raised:
        parse_period(words, TODAY)
    assert problem in str(raised.value) and "\n" not in str(raised.value)

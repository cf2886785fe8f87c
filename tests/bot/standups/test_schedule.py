"""Prompt times in each person's own zone, DST weeks included."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.standups.schedule import due_prompt, local_instant, parse_weekdays, zone

WEEKDAYS = parse_weekdays("mon,tue,wed,thu,fri")
AT = time(9, 30)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        ("Europe/Berlin", date(2026, 10, 23), utc(2026, 10, 23, 7, 30)),  # summer time, Friday
        ("Europe/Berlin", date(2026, 10, 26), utc(2026, 10, 26, 8, 30)),  # the Monday after clocks went back
        ("America/New_York", date(2026, 10, 30), utc(2026, 10, 30, 13, 30)),  # EDT
        ("America/New_York", date(2026, 11, 2), utc(2026, 11, 2, 14, 30)),  # EST: US changed a week later
        ("Asia/Kolkata", date(2026, 11, 2), utc(2026, 11, 2, 4, 0)),  # no DST, half-hour offset
    ],
)
def test_local_time_becomes_the_right_instant_across_dst(tz, day, expected):
    assert local_instant(day, AT, zone(tz)) == expected


def test_a_time_inside_the_spring_gap_moves_past_it():
    # 02:30 does not exist in Berlin on 2026-03-29: clocks jump from 02:00 to 03:00 (01:00 UTC).
    assert local_instant(date(2026, 3, 29), time(2, 30), zone("Europe/Berlin")) == utc(2026, 3, 29, 1, 30)


def test_due_only_between_prompt_time_and_cutoff():
    tz = "Europe/Berlin"
    assert due_prompt(utc(2026, 11, 23, 8, 29), tz, WEEKDAYS, AT, 60, 240) is None
    times = due_prompt(utc(2026, 11, 23, 8, 30), tz, WEEKDAYS, AT, 60, 240)
    assert times is not None and times.local_date == date(2026, 11, 23)
    assert (times.remind_at, times.cutoff_at) == (utc(2026, 11, 23, 9, 30), utc(2026, 11, 23, 12, 30))
    assert due_prompt(utc(2026, 11, 23, 12, 29), tz, WEEKDAYS, AT, 60, 240) is not None  # late, still inside
    assert due_prompt(utc(2026, 11, 23, 12, 30), tz, WEEKDAYS, AT, 60, 240) is None  # past cutoff: not sent


def test_local_weekday_decides_not_utc():
    # Monday 09:30 in Sydney is still Sunday in UTC.
    times = due_prompt(utc(2026, 11, 22, 22, 45), "Australia/Sydney", WEEKDAYS, AT, 60, 240)
    assert times is not None and times.local_date == date(2026, 11, 23)
    # Saturday morning in Sydney: no standup.
    assert due_prompt(utc(2026, 11, 27, 22, 45), "Australia/Sydney", WEEKDAYS, AT, 60, 240) is None


def test_holidays_and_cutoffs_past_midnight():
    tz = "America/New_York"
    assert due_prompt(utc(2026, 11, 26, 15), tz, WEEKDAYS, AT, 60, 240, holidays=[date(2026, 11, 26)]) is None
    late = due_prompt(utc(2026, 11, 24, 4, 30), tz, WEEKDAYS, time(22, 0), 60, 240)  # 23:30 NY on Monday
    assert late is not None and late.local_date == date(2026, 11, 23)


def test_unknown_time_zone_falls_back_to_utc():
    assert local_instant(date(2026, 11, 23), AT, zone("Mars/Olympus")) == utc(2026, 11, 23, 9, 30)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1)),
       st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]),
       st.integers(min_value=2, max_value=600))
def test_a_due_prompt_is_always_on_a_weekday_and_inside_its_window(moment, tz, cutoff):
    now = moment.replace(tzinfo=UTC)
    times = due_prompt(now, tz, WEEKDAYS, AT, 1, cutoff)
    if times is not None:
        assert times.local_date.weekday() < 5
        assert times.prompt_at <= now < times.cutoff_at
        assert times.cutoff_at - times.prompt_at == timedelta(minutes=cutoff)

"""When a standup prompts someone: pure date arithmetic in the person's own time zone.

A standup at 09:30 on weekdays prompts Ana at 09:30 in Berlin and Raj at 09:30 in Kolkata; each
person's *local* date decides whether it is a standup day. zoneinfo makes DST weeks right: 09:30
Berlin is 08:30 UTC in summer and 09:30 UTC in winter. A local time that does not exist on a DST
change day (02:30 when clocks jump to 03:00) is taken as the instant just after the jump.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class PromptTimes:
    local_date: date
    prompt_at: datetime
    remind_at: datetime
    cutoff_at: datetime


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_weekdays(text: str) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(d) for d in text.split(",") if d in WEEKDAYS)


WORKING_DAYS = "workdays"  # a standup "every working day": each person's own (`/standup workdays`)


def person_weekdays(standup_days: str, theirs: frozenset[int], own: bool) -> frozenset[int]:
    """The days a standup prompts one person: every working day of theirs (`theirs`) for a "workdays" standup;
    otherwise the standup's days, less any the person said (`own`) they do not work."""
    if WORKING_DAYS in standup_days.split(","):
        return theirs
    days = parse_weekdays(standup_days)
    return days & theirs if own else days


def parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date, skipping forward over a DST gap."""
    candidate = datetime.combine(day, at, tzinfo=tz)
    roundtrip = candidate.astimezone(UTC).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != candidate.replace(tzinfo=None):  # fell in a gap
        candidate = roundtrip
    return candidate.astimezone(UTC)


def prompt_times(day: date, at: time, tz: ZoneInfo, reminder_minutes: int, cutoff_minutes: int) -> PromptTimes:
    prompt_at = local_instant(day, at, tz)
    return PromptTimes(
        local_date=day, prompt_at=prompt_at,
        remind_at=prompt_at + timedelta(minutes=reminder_minutes),
        cutoff_at=prompt_at + timedelta(minutes=cutoff_minutes),
    )


def due_prompt(
    now: datetime, tz_name: str, weekdays: frozenset[int], at: time, reminder_minutes: int, cutoff_minutes: int,
    holidays: Iterable[date] = (),
) -> PromptTimes | None:
    """The prompt this person should have had by `now` and may still answer (before cutoff), if any.

    Looks at the person's local today and yesterday, so a cutoff that runs past midnight still counts.
    After downtime this is what makes missed prompts go out late, but only while inside their window.
    """
    tz = zone(tz_name)
    local_today = now.astimezone(tz).date()
    blocked = set(holidays)
    for day in (local_today, local_today - timedelta(days=1)):
        if day.weekday() not in weekdays or day in blocked:
            continue
        times = prompt_times(day, at, tz, reminder_minutes, cutoff_minutes)
        if times.prompt_at <= now < times.cutoff_at:
            return times
    return None

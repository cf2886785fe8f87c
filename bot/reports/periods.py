"""Periods people type, read in the reader's time zone: `this week`, `last month`, `Q3`, `last quarter`,
`october`, `2026-07-01..2026-09-30`, `since 2026-10-01`, `as of 2026-09-30`, `all`.

A period is whole local days, `start` to `end` inclusive; its instants are the reader's midnights. The current
week, month or quarter ends today (what is known so far). Bad input is one line saying what would work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.errors import HeadwayError

EXAMPLES = ("`this week`, `last month`, `Q3`, `last quarter`, `october`, `2026-07-01..2026-09-30`, "
            "`since 2026-10-01`, `as of 2026-09-30` or `all`")
BEGINNING = date(2000, 1, 1)  # "all": nothing Headway records is older
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_DATE = r"(\d{4}-\d{2}-\d{2})"


class PeriodProblem(HeadwayError):
    """A period that cannot be read, is in the future or runs backwards: one line saying what would work."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str
    as_of: bool = False  # "as of DATE": the record as it was known at the end of `end`

    def since(self, tz: tzinfo) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=tz).astimezone(UTC)

    def until(self, tz: tzinfo) -> datetime:
        """The first instant after the period (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)

    def contains(self, at: datetime, tz: tzinfo) -> bool:
        return self.since(tz) <= at < self.until(tz)


def _quarter(year: int, number: int) -> tuple[date, date]:
    first = date(year, 3 * number - 2, 1)
    return first, _month_end(year, 3 * number)


def _month_end(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodProblem(f"{text} is not a date (YYYY-MM-DD). Try {EXAMPLES}.") from None


def parse_period(text: str, today: date) -> Period:
    """`text` as a Period; `today` is the reader's date. Raises PeriodProblem."""
    words = " ".join(text.lower().split())
    if not words:
        raise PeriodProblem(f"Say which period: {EXAMPLES}.")
    period = _read(words, today)
    if period.start > period.end:
        raise PeriodProblem(f"{period.start.isoformat()} is after {period.end.isoformat()}: put the earlier date "
                            "first, e.g. `2026-07-01..2026-09-30`.")
    if period.start > today:
        raise PeriodProblem(f"{period.label} has not begun yet (today is {today.isoformat()}). Try {EXAMPLES}.")
    return Period(period.start, min(period.end, today), period.label, period.as_of)


def _read(words: str, today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    this_quarter = (today.month - 1) // 3 + 1
    if words == "all":
        return Period(BEGINNING, today, "all time")
    if words in ("today",):
        return Period(today, today, f"today ({today.isoformat()})")
    if words in ("this week", "week"):
        return Period(monday, monday + timedelta(days=6), f"the week of {monday.isoformat()}")
    if words == "last week":
        start = monday - timedelta(days=7)
        return Period(start, start + timedelta(days=6), f"the week of {start.isoformat()}")
    if words in ("this month", "month"):
        return Period(today.replace(day=1), _month_end(today.year, today.month), today.strftime("%B %Y"))
    if words == "last month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end, end.strftime("%B %Y"))
    if words in ("this quarter", "quarter"):
        start, end = _quarter(today.year, this_quarter)
        return Period(start, end, f"Q{this_quarter} {today.year}")
    if words == "last quarter":
        year, number = (today.year, this_quarter - 1) if this_quarter > 1 else (today.year - 1, 4)
        start, end = _quarter(year, number)
        return Period(start, end, f"Q{number} {year}")
    if words in ("this year", "year"):
        return Period(date(today.year, 1, 1), date(today.year, 12, 31), str(today.year))
    if words == "last year":
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), str(today.year - 1))
    if match := re.fullmatch(r"q([1-4])(?:\s+(\d{4}))?", words):
        number = int(match.group(1))
        year = int(match.group(2)) if match.group(2) else (today.year if number <= this_quarter else today.year - 1)
        start, end = _quarter(year, number)
        return Period(start, end, f"Q{number} {year}")
    if match := re.fullmatch(r"([a-z]+)(?:\s+(\d{4}))?", words):
        name = match.group(1)
        month = next((i + 1 for i, m in enumerate(MONTHS) if len(name) >= 3 and m.startswith(name)), None)
        if month is not None:
            year = int(match.group(2)) if match.group(2) else (today.year if month <= today.month
                                                               else today.year - 1)
            return Period(date(year, month, 1), _month_end(year, month), f"{MONTHS[month - 1].title()} {year}")
    if match := re.fullmatch(r"(\d{4})-(\d{2})", words):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            return Period(date(year, month, 1), _month_end(year, month), f"{MONTHS[month - 1].title()} {year}")
    if match := re.fullmatch(rf"{_DATE}\s*(?:\.\.|to|–|-)\s*{_DATE}", words):
        start, end = _day(match.group(1)), _day(match.group(2))
        return Period(start, end, f"{start.isoformat()} to {end.isoformat()}")
    if match := re.fullmatch(rf"(?:since|from)\s+{_DATE}", words):
        start = _day(match.group(1))
        return Period(start, today, f"since {start.isoformat()}")
    if match := re.fullmatch(rf"(?:as of|asof|as at|until)\s+{_DATE}", words):
        end = _day(match.group(1))
        if end > today:
            raise PeriodProblem(f"{end.isoformat()} is in the future (today is {today.isoformat()}): "
                                "a report says what was known, so pick today or earlier.")
        return Period(BEGINNING, end, f"as of {end.isoformat()}", as_of=True)
    if match := re.fullmatch(_DATE, words):
        one = _day(match.group(1))
        return Period(one, one, one.isoformat())
    raise PeriodProblem(f"I can't read the period “{words[:60]}”. Try {EXAMPLES}.")

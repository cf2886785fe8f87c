"""Is a person off on a local date, and why: the one answer prompts, reminders, reports, stats, blockers and gates ask.

Sources, in the order a reason is given: what the person said (`/standup away`, `skip`), a public holiday of
their region (or their standup's), their Slack status when it matches the workspace's away rules, and their
calendar feed. Working days (`/standup workdays`, default Monday–Friday) say which days they are expected at all;
a day they do not work is not time off, just not a standup day for them.

Everything for many people is loaded in a handful of queries (`TimeOffBook.load`), then answered in memory, so
planning 5,000 people costs about what it did without time off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError, InvalidInput
from bot.models import Absence, AbsenceKind, AwayRules, CalendarFeed, PersonWeek, utcnow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKDAYS = frozenset(range(5))
# A clear absence, not "in a meeting" or "working remotely" (those never match: no rule names them).
DEFAULT_EMOJIS = (":palm_tree:", ":airplane:", ":face_with_thermometer:", ":thermometer:", ":beach_with_umbrella:",
                  ":desert_island:", ":face_with_head_bandage:", ":baby:")
DEFAULT_WORDS = ("vacation", "vacationing", "holiday", "holidays", "ooo", "out of office", "out of the office",
                 "sick", "leave", "parental leave", "annual leave", "pto", "day off", "days off")
MAX_RULES = 50
MAX_RULE_LENGTH = 40
LOOKAHEAD_DAYS = 62  # how far "away until" looks


class Reason:
    """Where time off came from, as the report words it."""

    SAID_SO = "said so"
    SKIPPED = "skipped"
    STATUS = "Slack status"
    CALENDAR = "calendar"
    HOLIDAY = "public holiday"  # "public holiday: Thanksgiving"


@dataclass(frozen=True)
class Off:
    reason: str
    until: date | None = None  # their last day off, when known


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    emojis: tuple[str, ...] = DEFAULT_EMOJIS
    words: tuple[str, ...] = DEFAULT_WORDS

    def matches(self, text: str, emoji: str = "") -> bool:
        """A status (or a calendar title) that says its person is away."""
        if emoji and emoji.strip().lower() in self.emojis:
            return True
        return bool(text) and self._pattern().search(text.casefold()) is not None

    def _pattern(self) -> re.Pattern[str]:
        return _words_pattern(self.words)


@lru_cache(maxsize=256)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    if not words:
        return re.compile(r"(?!x)x")
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b")


def parse_rules(emojis_text: str, words_text: str) -> Rules:
    """The away-rules modal's two fields: emoji (`:palm_tree:`) and words, one a line or comma-separated."""
    errors: dict[str, str] = {}
    emojis = _items(emojis_text)
    bad = [e for e in emojis if not re.fullmatch(r":[a-z0-9_+'-]{1,38}:", e)]
    if bad:
        errors["emojis"] = f"“{bad[0][:40]}” is not an emoji code; write them like :palm_tree:."
    words = _items(words_text)
    if any(len(w) > MAX_RULE_LENGTH for w in words):
        errors["words"] = f"Keep each word or phrase under {MAX_RULE_LENGTH} characters."
    for name, items in (("emojis", emojis), ("words", words)):
        if len(items) > MAX_RULES:
            errors.setdefault(name, f"At most {MAX_RULES}, please.")
    if not emojis and not words:
        errors["words"] = "Give at least one emoji or word, or keep the defaults."
    if errors:
        raise InvalidInput(errors)
    return Rules(tuple(emojis), tuple(words))


def _items(text: str) -> list[str]:
    return list(dict.fromkeys(i.strip().lower() for i in re.split(r"[\n,]+", text or "") if i.strip()))


async def rules_for(session: AsyncSession, team_id: str) -> Rules:
    row = await session.get(AwayRules, team_id)
    if row is None:
        return Rules()
    return Rules(tuple(_items(row.emojis)), tuple(_items(row.words)))


async def save_rules(session: AsyncSession, team_id: str, rules: Rules, by: str) -> None:
    row = await session.get(AwayRules, team_id) or AwayRules(team_id=team_id)
    row.emojis, row.words, row.updated_by = "\n".join(rules.emojis), "\n".join(rules.words), by
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()


# ---------------------------------------------------------------- working days and regions


def parse_workdays(text: str) -> frozenset[int]:
    """`Sun-Thu`, `Mon-Fri`, `mon,tue,thu`, `Mon-Wed, Fri` (ranges may wrap: `Fri-Mon`). HeadwayError otherwise."""
    days: set[int] = set()
    for part in re.split(r"[\s,]+", text.strip().lower()):
        if not part:
            continue
        ends = [_day_index(word) for word in part.split("-")]
        if len(ends) > 2 or None in ends:
            raise HeadwayError(f"“{part[:20]}” is not a day or a range of days. Try `/standup workdays Sun-Thu` "
                               "or `/standup workdays Mon,Tue,Thu`.")
        day, last = ends[0], ends[-1]
        assert day is not None and last is not None
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    if not days:
        raise HeadwayError("Name your working days, e.g. `/standup workdays Sun-Thu` (default Mon-Fri).")
    return frozenset(days)


_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day_index(word: str) -> int | None:
    """`sun`, `sunday`, `thurs` → the weekday number (Monday 0); None for anything else."""
    if len(word) < 3:
        return None
    return next((i for i, full in enumerate(_FULL_NAMES) if full.startswith(word)), None)


def workdays_text(days: Iterable[int]) -> str:
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def stored_workdays(text: str | None) -> frozenset[int]:
    if not text:
        return DEFAULT_WORKDAYS
    return frozenset(WEEKDAYS.index(d) for d in text.split(",") if d in WEEKDAYS) or DEFAULT_WORKDAYS


def parse_region(text: str) -> str:
    """`US`, `de-by` → `DE-BY`, checked against the `holidays` package; HeadwayError naming what is known."""
    import holidays as holiday_calendars  # imported when first needed: it takes a while to load

    code = text.strip().upper().replace("_", "-")
    country, _, subdivision = code.partition("-")
    supported = holiday_calendars.list_supported_countries()
    if not re.fullmatch(r"[A-Z]{2,3}", country) or country not in supported:
        raise HeadwayError(f"“{text.strip()[:20]}” is not a country Headway knows public holidays for. Use a "
                           "two-letter code such as US, GB or DE, optionally with a region: DE-BY, US-CA.")
    if subdivision:
        known = {s.upper(): s for s in supported[country]}
        if subdivision not in known:
            listed = ", ".join(sorted(s for s in known if len(s) <= 3)[:20])
            raise HeadwayError(f"{country} has no region “{subdivision[:10]}”. Known: {listed}.")
        return f"{country}-{subdivision}"
    return country


@lru_cache(maxsize=512)
def _holidays(region: str, year: int) -> dict[date, str]:
    import holidays as holiday_calendars

    country, _, subdivision = region.partition("-")
    try:
        found = holiday_calendars.country_holidays(country, subdiv=subdivision or None, years=year,
                                                   language="en_US")
    except (NotImplementedError, KeyError, ValueError):
        return {}
    return {day: str(name) for day, name in found.items()}


def holiday_on(region: str | None, day: date) -> str | None:
    """The public holiday's name on that date in that region, if any."""
    return _holidays(region, day.year).get(day) if region else None


# ---------------------------------------------------------------- calendar periods as stored


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    title: str
    out_of_office: bool  # marked OOO by the calendar itself (e.g. Outlook's busy status OOF)


def load_periods(text: str) -> tuple[Period, ...]:
    try:
        raw = json.loads(text or "[]")
        return tuple(Period(date.fromisoformat(p["start"]), date.fromisoformat(p["end"]), str(p.get("title", "")),
                            bool(p.get("ooo"))) for p in raw)
    except (ValueError, KeyError, TypeError):
        return ()


def dump_periods(periods: Iterable[Period]) -> str:
    return json.dumps([{"start": p.start.isoformat(), "end": p.end.isoformat(), "title": p.title[:200],
                        "ooo": p.out_of_office} for p in periods])


# ---------------------------------------------------------------- the book


class Week(NamedTuple):
    """What the book reads of a person's week row: a standup of thousands holds these, not whole rows
    (5,000 `PersonWeek` rows were 8 MiB at the peak of a fan-out, bench.memory)."""

    user_id: str
    workdays: str | None
    holiday_region: str | None
    status_text: str
    status_emoji: str
    status_expires_at: datetime | None
    status_seen_at: datetime | None


_WEEK_COLUMNS = tuple(getattr(PersonWeek, name) for name in Week._fields)


@dataclass
class TimeOffBook:
    """Everything needed to say who is off when, for some people of one workspace, loaded once."""

    rules: Rules = field(default_factory=Rules)
    weeks: dict[str, Week] = field(default_factory=dict)
    periods: dict[str, tuple[Period, ...]] = field(default_factory=dict)
    absences: dict[str, list[Absence]] = field(default_factory=dict)
    region: str | None = None  # the standup's holiday region, for people without their own
    standup_id: int | None = None

    @classmethod
    async def load(cls, session: AsyncSession, team_id: str, user_ids: Iterable[str], *,
                   standup_id: int | None = None, region: str | None = None,
                   since: date | None = None) -> TimeOffBook:
        """Four queries whatever the number of people (in chunks of 1,000 ids for the database's sake)."""
        ids = list(dict.fromkeys(user_ids))
        book = cls(rules=await rules_for(session, team_id), region=region, standup_id=standup_id)
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            for row in (await session.exec(select(*_WEEK_COLUMNS).where(
                    PersonWeek.team_id == team_id, col(PersonWeek.user_id).in_(chunk)))).all():
                book.weeks[row.user_id] = Week(*row)
            for feed in (await session.exec(select(CalendarFeed).where(
                    CalendarFeed.team_id == team_id, col(CalendarFeed.user_id).in_(chunk)))).all():
                book.periods[feed.user_id] = load_periods(feed.periods)
            query = select(Absence).where(Absence.team_id == team_id, col(Absence.user_id).in_(chunk))
            if since is not None:
                query = query.where(Absence.end_date >= since)
            for absence in (await session.exec(query)).all():
                book.absences.setdefault(absence.user_id, []).append(absence)
        return book

    def workdays(self, user_id: str) -> frozenset[int]:
        week = self.weeks.get(user_id)
        return stored_workdays(week.workdays if week else None)

    def works_on(self, user_id: str, day: date) -> bool:
        return day.weekday() in self.workdays(user_id)

    def has_own_workdays(self, user_id: str) -> bool:
        week = self.weeks.get(user_id)
        return bool(week and week.workdays)

    def region_of(self, user_id: str) -> str | None:
        week = self.weeks.get(user_id)
        return (week.holiday_region if week else None) or self.region

    def off(self, user_id: str, day: date, at: datetime | None = None) -> Off | None:
        """Why `user_id` is off on their local `day` (`at`: the instant that matters for their Slack status,
        e.g. the prompt time; without it the status counts for the day if it lasts into it)."""
        for absence in self.absences.get(user_id, ()):
            if absence.start_date <= day <= absence.end_date and (
                    absence.standup_id is None or absence.standup_id == self.standup_id):
                kind = Reason.SKIPPED if absence.kind == AbsenceKind.SKIP else Reason.SAID_SO
                return Off(kind, absence.end_date)
        name = holiday_on(self.region_of(user_id), day)
        if name:
            return Off(f"{Reason.HOLIDAY}: {name}", day)
        week = self.weeks.get(user_id)
        if week is not None and week.status_seen_at is not None and self.rules.matches(week.status_text,
                                                                                        week.status_emoji):
            expires = week.status_expires_at
            if expires is None or expires > (at or datetime.combine(day, time(12), UTC)):
                return Off(Reason.STATUS, (expires - timedelta(seconds=1)).date() if expires is not None else None)
        for period in self.periods.get(user_id, ()):
            if period.start <= day <= period.end and (period.out_of_office or self.rules.matches(period.title)):
                return Off(Reason.CALENDAR, period.end)
        return None

    def back_on(self, user_id: str, today: date) -> date | None:
        """When someone off today is back: their first working day not off (None if they are not off today)."""
        if self.off(user_id, today) is None:
            return None
        day = today
        for _ in range(LOOKAHEAD_DAYS):
            day += timedelta(days=1)
            if self.works_on(user_id, day) and self.off(user_id, day) is None:
                return day
        return day

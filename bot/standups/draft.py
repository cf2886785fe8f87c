"""Validating the standup form field by field (inline modal errors), before anything is stored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import HeadwayError, InvalidInput
from bot.people.time_off import parse_region
from bot.standups.schedule import WEEKDAYS, WORKING_DAYS

DEFAULT_QUESTIONS = (
    "What did you try since last time, and what happened?",
    "What's next?",
)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class StandupDraft:
    name: str
    participant_ids: tuple[str, ...]
    channel_id: str
    weekdays: tuple[str, ...]
    local_time: str
    reminder_minutes: int
    cutoff_minutes: int
    questions: tuple[str, ...]
    holidays: tuple[date, ...]
    tz: str | None = None  # dates runs and reports; None: the zone of whoever set the standup up
    holiday_region: str | None = None  # public holidays nobody is prompted on ("US", "DE-BY")


def validate_standup(raw: Mapping[str, Any]) -> StandupDraft:
    errors: dict[str, str] = {}
    name = (raw.get("name") or "").strip().lower().replace(" ", "-")
    if not name:
        errors["name"] = "Please give the standup a short name, e.g. fraud-team."
    elif not NAME_PATTERN.match(name):
        errors["name"] = "Use up to 40 lowercase letters, digits and dashes, e.g. fraud-team."
    participants = tuple(dict.fromkeys(raw.get("participants") or ()))
    if not participants:
        errors["participants"] = "Pick at least one person."
    elif len(participants) > 5000:
        errors["participants"] = "A standup can have at most 5,000 people."
    channel = raw.get("channel") or ""
    if not channel:
        errors["channel"] = "Pick the channel where the report goes."
    chosen = set(raw.get("weekdays") or ())
    weekdays = (WORKING_DAYS,) if WORKING_DAYS in chosen else tuple(d for d in WEEKDAYS if d in chosen)
    if not weekdays:
        errors["weekdays"] = "Pick at least one day."
    local_time = raw.get("local_time") or ""
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", local_time):
        errors["local_time"] = "Pick a time of day, e.g. 09:30."
    reminder = _minutes(raw.get("reminder_minutes"), 60, "reminder_minutes", errors)
    cutoff = _minutes(raw.get("cutoff_minutes"), 240, "cutoff_minutes", errors)
    if "cutoff_minutes" not in errors and cutoff > 23 * 60:
        errors["cutoff_minutes"] = "The cutoff must be within 23 hours of the standup time."
    if not errors.keys() & {"reminder_minutes", "cutoff_minutes"} and reminder >= cutoff:
        errors["reminder_minutes"] = "The reminder must come before the cutoff."
    questions = tuple(q.strip() for q in (raw.get("questions") or "").splitlines() if q.strip())
    if len(questions) > 8:
        errors["questions"] = "Keep it to 8 questions or fewer: short standups get answered."
    elif any(len(q) > 150 for q in questions):
        errors["questions"] = "Keep each question under 150 characters."
    holidays = _dates(raw.get("holidays") or "", errors)
    tz = _zone(raw.get("tz"), errors)
    region = _region(raw.get("holiday_region"), errors)
    if errors:
        raise InvalidInput(errors)
    return StandupDraft(
        name=name, participant_ids=participants, channel_id=channel, weekdays=weekdays, local_time=local_time,
        reminder_minutes=reminder, cutoff_minutes=cutoff, questions=questions or DEFAULT_QUESTIONS, holidays=holidays,
        tz=tz, holiday_region=region,
    )


def _region(value: Any, errors: dict[str, str]) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return parse_region(text)
    except HeadwayError as error:
        errors["holiday_region"] = str(error)[:150]
        return None


def _zone(value: Any, errors: dict[str, str]) -> str | None:
    name = str(value or "").strip()
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        errors["tz"] = "Use a time zone name such as Europe/Berlin or America/Los_Angeles, or leave it empty."
        return None
    return name


MAX_MINUTES = 7 * 24 * 60


def _minutes(value: Any, default: int, field: str, errors: dict[str, str]) -> int:
    if value is None or str(value).strip() == "":
        return default
    try:
        minutes = int(str(value).strip())
    except ValueError:
        errors[field] = "Please enter a whole number of minutes."
        return default
    if minutes < 1:
        errors[field] = "Please enter at least 1 minute."
    elif minutes > MAX_MINUTES:
        errors[field] = f"Please enter at most {MAX_MINUTES:,} minutes (a week)."
        return default
    return minutes


def _dates(text: str, errors: dict[str, str]) -> tuple[date, ...]:
    days = []
    for word in re.split(r"[\s,;]+", text.strip()):
        if not word:
            continue
        try:
            days.append(date.fromisoformat(word))
        except ValueError:
            errors["holidays"] = f"“{word[:20]}” is not a date; use YYYY-MM-DD, separated by commas."
            break
    return tuple(sorted(set(days)))

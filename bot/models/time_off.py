"""People's real week: working days, public holidays, Slack status, calendar feeds, and who was away from a run."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class PersonWeek(SQLModel, table=True):
    """A person's working days and holiday region (None: Mon–Fri, none), and the Slack status Headway last saw."""

    __tablename__ = "person_weeks"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_person_weeks_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    user_id: str = Field(max_length=32)
    workdays: str | None = Field(default=None, max_length=40)  # "sun,mon,tue,wed,thu"
    holiday_region: str | None = Field(default=None, max_length=16)  # "US", "DE-BY"
    status_text: str = Field(default="", max_length=200)
    status_emoji: str = Field(default="", max_length=100)
    status_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: not read from Slack yet


class CalendarFeed(SQLModel, table=True):
    """A person's calendar (ICS) address — a secret, never shown back beyond its host — and what it said."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_calendar_feeds_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    user_id: str = Field(max_length=32)
    url: str = Field(sa_column=Column(Text, nullable=False))
    url_hint: str = Field(default="", max_length=200)  # "https://calendar.example.com/…"
    periods: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_fetch_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    failures: int = 0
    last_error: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AwayRules(SQLModel, table=True):
    """A workspace's own rules for which statuses and calendar titles mean time off (none: the defaults)."""

    __tablename__ = "away_rules"

    team_id: str = Field(sa_column=Column(String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"),
                                          primary_key=True))
    emojis: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one a line
    words: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # one a line
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StandupAway(SQLModel, table=True):
    """Someone off on a run's date: not prompted, listed as away with where that came from, never counted."""

    __tablename__ = "standup_away"
    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_standup_away_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    run_id: int = Field(sa_column=Column(Integer, ForeignKey("standup_runs.id", ondelete="CASCADE"),
                                         nullable=False, index=True))
    standup_id: int = Field(sa_column=Column(Integer, ForeignKey("standups.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    user_id: str = Field(max_length=32)
    reason: str = Field(max_length=200)  # "Slack status", "calendar", "public holiday: Thanksgiving", "said so"
    until: date | None = None  # their last day off, when known

"""A report: what happened to a scope over a period, as plain frozen data that every rendering (Markdown, CSV,
JSON, the Slack summary) reads the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.projects.history import Entry
from bot.reports.periods import Period
from bot.reports.scope import Scope


@dataclass(frozen=True)
class ResultRow:
    at: datetime
    value: float
    confidence: str
    source: str
    author: str
    counted: bool  # False: low confidence and not confirmed by the end of the period
    note: str


@dataclass(frozen=True)
class LabelChange:
    on: date
    label: str
    reason: str


@dataclass(frozen=True)
class BlockerRow:
    text: str
    user_id: str
    reported_at: datetime
    resolved_at: datetime | None
    age_days: int  # until resolved, or until the end of the period


@dataclass
class ProjectReport:
    key: str
    name: str
    stage: str
    state: str
    goalposts: dict[str, str]  # as they stood at the end of the period
    label: str
    reason: str
    plain: str
    entries: list[Entry] = field(default_factory=list)
    results: list[ResultRow] = field(default_factory=list)
    labels: list[LabelChange] = field(default_factory=list)
    blockers: list[BlockerRow] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerRow:
    standup: str
    run_date: date
    user_id: str
    person: str
    answered_at: datetime  # UTC
    reader_time: str  # ISO 8601 in the reader's zone, with its offset
    person_time: str  # ISO 8601 in the answerer's zone (the prompt's), with its offset
    person_tz: str
    project: str
    answers: tuple[tuple[str, str], ...]
    metric_value: float | None
    confidence: str
    blocker: str


@dataclass(frozen=True)
class Participation:
    standup: str
    user_id: str
    person: str
    prompted: int
    answered: int
    skipped: int
    missed: int


@dataclass
class Report:
    title: str
    scope: Scope
    period: Period
    tz: str
    generated_at: datetime
    projects: list[ProjectReport] = field(default_factory=list)
    answers: list[AnswerRow] = field(default_factory=list)
    participation: list[Participation] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # user id → name, for people reading the files

    @property
    def entry_count(self) -> int:
        return sum(len(p.entries) for p in self.projects)

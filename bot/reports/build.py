"""Building a report from the record in a bounded number of statements (each table once for the whole scope).

"As of" is honest: the label of a project at a date is judged again from what was known then — results measured
after the date are ignored, a low-confidence result confirmed later is still unconfirmed, and the goalposts are
put back as they stood (later goalpost changes undone, newest first), as is the stage.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from types import SimpleNamespace
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.lifecycle import Lifecycle
from bot.models import (
    Measurement,
    Person,
    Project,
    PromptStatus,
    Standup,
    StandupAnswer,
    StandupPrompt,
    StandupRun,
)
from bot.progress.judgement import MetricSpec, Point, Thresholds, Timeline, judge
from bot.progress.model import TRUSTED_SOURCES
from bot.projects import goalposts
from bot.projects.history import entries
from bot.projects.record import ProjectRecord, load
from bot.reports.model import AnswerRow, BlockerRow, LabelChange, Participation, ProjectReport, Report, ResultRow
from bot.reports.periods import Period
from bot.reports.scope import Scope, ScopeKind
from bot.standups.schedule import zone

MAX_LABEL_WEEKS = 104  # labels over time: at most this many judgements per project
WEEKLY_UP_TO_DAYS = 183  # labels judged weekly over periods up to half a year, every four weeks over longer ones
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)
_NUMBER_FIELDS = ("baseline", "target")
_DATE_FIELDS = ("expected_date", "kill_date")


def _unshown(field: str, text: str) -> Any:
    """A goalpost value back from how history shows it (bot.projects.goalposts.shown)."""
    if not text:
        return None
    if field in _NUMBER_FIELDS:
        raw = text.replace(",", "")
        try:
            return float(raw[:-1]) * 1_000_000 if raw.endswith("M") else float(raw)
        except ValueError:
            return None
    if field in _DATE_FIELDS:
        try:
            return datetime.strptime(text, "%a %d %b %Y").date()
        except ValueError:
            return None
    return text


def goalposts_at(record: ProjectRecord, until: datetime) -> SimpleNamespace:
    """The project's goalposts as they stood just before `until`: later changes undone, newest first."""
    p = record.project
    now = {name: getattr(p, name) for name in goalposts.GOALPOSTS}
    for change in reversed(record.changes):
        if change.at < until:
            break
        if change.field in now:
            now[change.field] = _unshown(change.field, change.old_value)
    return SimpleNamespace(**now, metric_unit=p.metric_unit, start_date=p.start_date)


def stage_at(record: ProjectRecord, until: datetime) -> tuple[str, str]:
    """(stage, state) just before `until`, from the stage transitions (the project's own when none is later)."""
    stage, state = record.project.stage, record.project.state
    for t in reversed(record.transitions):
        if t.at < until:
            return t.to_stage, t.to_state
        stage, state = t.from_stage or t.to_stage, t.from_state or t.to_state
    return stage, state


def _point(m: Measurement, until: datetime) -> Point:
    return Point(at=m.measured_at, value=m.value, confidence=m.confidence,
                 confirmed=m.confirmed_at is not None and m.confirmed_at < until,
                 trusted=str(m.source) in TRUSTED_SOURCES, ref=m.id, author=m.user_id)


class _Judge:
    """Judgements of one project at many dates, sharing its sorted results."""

    def __init__(self, record: ProjectRecord, tz: tzinfo) -> None:
        self.record, self.tz = record, tz
        self.instants = [m.measured_at for m in record.measurements]
        # Points once per project; only a result confirmed at some date is a different point before that date
        self.points = [_point(m, _END_OF_TIME) for m in record.measurements]
        self.confirmed_later = any(m.confirmed_at is not None for m in record.measurements)

    def at(self, day: date) -> Any:
        until = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=self.tz).astimezone(UTC)
        count = bisect_left(self.instants, until)
        points = [_point(m, until) for m in self.record.measurements[:count]] if self.confirmed_later else \
            self.points[:count]
        posts = goalposts_at(self.record, until)
        spec = MetricSpec(direction=str(posts.metric_direction), baseline=posts.baseline,  # type: ignore[arg-type]
                          target=posts.target, name=posts.metric_name or "", unit=posts.metric_unit or "")
        timeline = Timeline(start=posts.start_date, expected=posts.expected_date, kill=posts.kill_date)
        return judge(spec, points, timeline, day, Thresholds(), self.tz), posts, until


def _week_ends(start: date, end: date) -> list[date]:
    """The Sundays when labels are judged (every week up to half a year, every fourth week beyond), and `end`."""
    first = start + timedelta(days=(6 - start.weekday()) % 7)  # the first Sunday
    step = 7 if (end - start).days <= WEEKLY_UP_TO_DAYS else 28
    days = []
    while first < end:
        days.append(first)
        first += timedelta(days=step)
    days.append(end)
    return days[-MAX_LABEL_WEEKS:]


def created_at(record: ProjectRecord) -> datetime:
    """When the project was set up: its first stage transition (written with Headway's clock)."""
    first = next((t for t in record.transitions if t.from_stage is None), None)
    return first.at if first is not None else record.project.created_at


def project_report(record: ProjectRecord, lifecycle: Lifecycle, period: Period, tz: tzinfo,
                   names: dict[str, str]) -> ProjectReport:
    p = record.project
    judge_ = _Judge(record, tz)
    judgement, posts, until = judge_.at(period.end)
    stage_key, state = stage_at(record, until)
    stage = lifecycle.find(stage_key)
    since = period.since(tz)
    report = ProjectReport(
        key=p.key, name=p.name, stage=stage.name if stage else stage_key, state=state,
        goalposts={label: goalposts.shown(getattr(posts, name)) or "not set"
                   for name, label in goalposts.GOALPOSTS.items()},
        label=judgement.label.value, reason=judgement.reason, plain=judgement.plain)
    report.entries = [e for e in entries(record, lifecycle, detailed=True) if since <= e.at < until]
    unconfirmed = {pt.ref for pt in judgement.unconfirmed}  # low confidence, not confirmed by the period's end
    for m in record.measurements:
        if since <= m.measured_at < until:
            report.results.append(ResultRow(
                at=m.measured_at, value=m.value, confidence=m.confidence or "", source=str(m.source),
                author=names.get(m.user_id or "", m.user_id or ""), counted=m.id not in unconfirmed,
                note=m.note))
    created = created_at(record).astimezone(tz).date()
    previous = None
    for day in _week_ends(max(period.start, created, p.start_date), period.end):
        found = judgement if day == period.end else judge_.at(day)[0]
        if found.label.value != previous:
            report.labels.append(LabelChange(day, found.label.value, found.reason))
            previous = found.label.value
    for b in record.blockers:
        if b.reported_at < until and (b.resolved_at is None or b.resolved_at >= since):
            end = b.resolved_at if b.resolved_at is not None and b.resolved_at < until else until
            report.blockers.append(BlockerRow(b.text, b.user_id, b.reported_at,
                                              b.resolved_at if b.resolved_at and b.resolved_at < until else None,
                                              max(0, (end - b.reported_at).days)))
    return report


async def build_report(session: AsyncSession, scope: Scope, period: Period, tz_name: str,
                       lifecycle_of: Callable[[Project], Lifecycle], now: datetime, *, answers: bool = False
                       ) -> Report:
    """`answers`: a portfolio report with every standup answer of the workspace too (`headway export`)."""
    tz = zone(tz_name)
    until = period.until(tz)
    people = (await session.exec(select(Person).where(Person.team_id == scope.team_id))).all()
    names = {p.user_id: p.real_name or p.name or p.user_id for p in people}
    title = {ScopeKind.PROJECT: lambda: f"{scope.project.key} · {scope.project.name}",  # type: ignore[union-attr]
             ScopeKind.STANDUP: lambda: f"Standup {scope.standup.name}",  # type: ignore[union-attr]
             ScopeKind.PERSON: lambda: f"Standup answers of {names.get(scope.user_id or '', scope.user_id)}",
             ScopeKind.PORTFOLIO: lambda: "Portfolio"}[scope.kind]()
    report = Report(title=title, scope=scope, period=period, tz=tz.key, generated_at=now, names=names)
    if scope.kind in (ScopeKind.PROJECT, ScopeKind.PORTFOLIO):
        projects: Sequence[Project] = [scope.project] if scope.project is not None else (await session.exec(
            select(Project).where(Project.team_id == scope.team_id).order_by(Project.key))).all()
        records = await load(session, scope.team_id, projects, until)
        report.projects = [project_report(records[p.id], lifecycle_of(p), period, tz, names)  # type: ignore[index]
                           for p in projects if scope.project is not None or created_at(records[p.id]) < until]
    if scope.kind != ScopeKind.PORTFOLIO or answers:
        report.answers, report.participation = await _answers(session, scope, period, tz, names)
    return report


async def _answers(session: AsyncSession, scope: Scope, period: Period, tz: tzinfo, names: dict[str, str]
                   ) -> tuple[list[AnswerRow], list[Participation]]:
    """Standup answers (one row each) and participation in the period; runs are dated in their standup's zone."""
    where: list[Any] = [StandupPrompt.team_id == scope.team_id, StandupRun.run_date >= period.start,
                        StandupRun.run_date <= period.end]
    if scope.standup is not None:
        where.append(StandupPrompt.standup_id == scope.standup.id)
    if scope.user_id is not None:
        where.append(StandupPrompt.user_id == scope.user_id)
    found = (await session.exec(
        select(StandupPrompt, StandupRun.run_date, Standup.name, StandupAnswer)
        .join(StandupRun, col(StandupRun.id) == StandupPrompt.run_id)
        .join(Standup, col(Standup.id) == StandupPrompt.standup_id)
        .outerjoin(StandupAnswer, col(StandupAnswer.prompt_id) == StandupPrompt.id)
        .where(*where).order_by(StandupRun.run_date, Standup.name, StandupPrompt.user_id)
    )).all()
    keys = {}
    project_ids = {a.project_id for _, _, _, a in found if a is not None and a.project_id is not None}
    if project_ids:
        keys = dict((await session.exec(select(Project.id, Project.key).where(
            Project.team_id == scope.team_id, col(Project.id).in_(sorted(project_ids))))).all())
    rows: list[AnswerRow] = []
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for prompt, run_date, standup, answer in found:
        if scope.project is not None and (answer is None or answer.project_id != scope.project.id):
            continue
        if scope.project_ids is not None and (answer is None or answer.project_id not in scope.project_ids):
            continue
        counts[(standup, prompt.user_id)][prompt.status] += 1
        if answer is None:
            continue
        answered = prompt.answered_at or answer.updated_at  # the prompt's is on Headway's clock
        try:
            pairs = tuple((str(x.get("question", "")), str(x.get("answer", ""))) for x in json.loads(answer.answers))
        except (ValueError, AttributeError):
            pairs = ()
        rows.append(AnswerRow(
            standup=standup, run_date=run_date, user_id=answer.user_id, person=names.get(answer.user_id,
                                                                                          answer.user_id),
            answered_at=answered, reader_time=answered.astimezone(tz).isoformat(timespec="minutes"),
            person_time=answered.astimezone(zone(prompt.tz)).isoformat(timespec="minutes"), person_tz=prompt.tz,
            project=keys.get(answer.project_id, "") if answer.project_id else "", answers=pairs,
            metric_value=answer.metric_value, confidence=answer.confidence or "", blocker=answer.blocker))
    participation = [Participation(standup, user, names.get(user, user), sum(c.values()),
                                   c[PromptStatus.ANSWERED], c[PromptStatus.SKIPPED], c[PromptStatus.MISSED])
                     for (standup, user), c in sorted(counts.items())]
    return rows, participation

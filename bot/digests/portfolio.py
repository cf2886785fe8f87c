"""Everything a digest or the App Home needs about a workspace's portfolio, in a fixed number of queries.

The number of SQL statements does not grow with the number of projects: each table is read once for
the whole team, then grouped in Python (tests count the statements).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import (
    Experiment,
    Gate,
    GateDecision,
    Measurement,
    Project,
    ProjectMember,
    ProjectState,
    StageTransition,
    StandupAnswer,
    StandupAway,
    StandupRun,
    WeeklyGoal,
)
from bot.projects.goalposts import Flags, recent_flags

HISTORY_WEEKS = 8


@dataclass
class PortfolioData:
    projects: list[Project]
    measurements: dict[int, list[Measurement]] = field(default_factory=dict)
    experiments: dict[int, list[Experiment]] = field(default_factory=dict)
    goals: dict[int, WeeklyGoal] = field(default_factory=dict)
    blockers: dict[int, list[StandupAnswer]] = field(default_factory=dict)
    answers: dict[int, list[StandupAnswer]] = field(default_factory=dict)
    members: dict[int, list[ProjectMember]] = field(default_factory=dict)
    ended: dict[int, StageTransition] = field(default_factory=dict)  # how a paused/shipped/stopped one got there
    resumes: dict[int, date] = field(default_factory=dict)  # paused by a Hold: the day the hold ends
    flags: dict[int, Flags] = field(default_factory=dict)  # "target moved", "moved without a gate" (4 weeks)
    away: dict[int, int] = field(default_factory=dict)  # this week's standup days its members were off (not expected)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant `day` begins in `tz` (the reader's zone), so "this week" is the reader's week."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


async def load_portfolio(session: AsyncSession, team_id: str, today: date, tz: tzinfo = UTC) -> PortfolioData:
    """Ten queries, however many projects there are; `today` is the reader's date in `tz`."""
    projects = list((await session.exec(select(Project).where(Project.team_id == team_id)
                                        .order_by(Project.key))).all())
    data = PortfolioData(projects=projects)
    by_id = {p.id: p for p in projects}
    since = local_midnight(today - timedelta(weeks=HISTORY_WEEKS), tz)
    week_start = today - timedelta(days=today.weekday())
    for m in (await session.exec(select(Measurement).where(Measurement.team_id == team_id,
                                                           Measurement.measured_at >= since)
                                 .order_by(Measurement.measured_at, Measurement.id))).all():
        data.measurements.setdefault(m.project_id, []).append(m)
    for e in (await session.exec(select(Experiment).where(Experiment.team_id == team_id)
                                 .order_by(Experiment.start_date.desc(), Experiment.id.desc()))).all():  # type: ignore[attr-defined]
        data.experiments.setdefault(e.project_id, []).append(e)
    for g in (await session.exec(select(WeeklyGoal).where(WeeklyGoal.team_id == team_id,
                                                          WeeklyGoal.week_start == week_start))).all():
        data.goals[g.project_id] = g
    week_began = local_midnight(week_start, tz)
    for a in (await session.exec(select(StandupAnswer).where(StandupAnswer.team_id == team_id,
                                                             StandupAnswer.updated_at >= week_began)
                                 .order_by(StandupAnswer.updated_at.desc()))).all():  # type: ignore[attr-defined]
        if a.project_id in by_id:
            data.answers.setdefault(a.project_id, []).append(a)
            if a.blocked:
                data.blockers.setdefault(a.project_id, []).append(a)
    for member in (await session.exec(select(ProjectMember).where(ProjectMember.team_id == team_id))).all():
        data.members.setdefault(member.project_id, []).append(member)
    away_days = Counter((await session.exec(select(StandupAway.user_id).join(
        StandupRun, StandupRun.id == StandupAway.run_id).where(
        StandupAway.team_id == team_id, StandupRun.run_date >= week_start))).all())
    for project_id, members in data.members.items():
        data.away[project_id] = sum(away_days.get(m.user_id, 0) for m in members)
    # The whole portfolio of bets keeps its ends for good: the latest move into each project's current state.
    for t in (await session.exec(select(StageTransition).where(
            StageTransition.team_id == team_id,
            StageTransition.to_state.in_([ProjectState.PAUSED, ProjectState.SHIPPED, ProjectState.STOPPED]))  # type: ignore[attr-defined]
            .order_by(StageTransition.at.desc(), StageTransition.id.desc()))).all():  # type: ignore[attr-defined]
        project = by_id.get(t.project_id)
        if project is not None and t.to_state == project.state and t.project_id not in data.ended:
            data.ended[t.project_id] = t
    for gate in (await session.exec(select(Gate).where(
            Gate.team_id == team_id, Gate.outcome == GateDecision.HOLD, Gate.resumed_at.is_(None))  # type: ignore[union-attr]
            .order_by(Gate.id))).all():
        if gate.hold_until is not None:
            data.resumes[gate.project_id] = gate.hold_until
    data.flags = await recent_flags(session, team_id, datetime.combine(today, time.max, tzinfo=tz))
    return data


def by_stage(projects: list[Project]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for project in projects:
        counts[project.stage] += 1
    return counts

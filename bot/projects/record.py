"""Everything Headway keeps about a set of projects, read in a fixed number of statements however many projects
there are (each table once, filtered by workspace and project ids, grouped in Python): the one loader behind
`/headway project history`, the reports and the canvases. Takes a session; never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import (
    Blocker,
    Gate,
    GateCondition,
    GateVote,
    GoalpostChange,
    Measurement,
    ProductionAlert,
    ProductionDecision,
    Project,
    ProjectEvent,
    StageTransition,
)

CHUNK = 500  # ids per IN (…): PostgreSQL and SQLite take far more, but plans stay simple


@dataclass
class ProjectRecord:
    """One project's rows, each list in time order."""

    project: Project
    changes: list[GoalpostChange] = field(default_factory=list)
    transitions: list[StageTransition] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    votes: dict[int, list[GateVote]] = field(default_factory=dict)
    conditions: dict[int, list[GateCondition]] = field(default_factory=dict)
    decisions: list[ProductionDecision] = field(default_factory=list)
    alerts: list[ProductionAlert] = field(default_factory=list)
    events: list[ProjectEvent] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)] or [[]]


async def load(session: AsyncSession, team_id: str, projects: Sequence[Project], until: datetime | None = None, *,
               measurements: bool = True) -> dict[int, ProjectRecord]:
    """The record of `projects` (all of one workspace) up to `until` (exclusive; None: everything)."""
    records = {p.id: ProjectRecord(p) for p in projects if p.id is not None}
    ids = sorted(records)
    if not ids:
        return records

    async def rows(model: type, at: object, *order: object) -> list:
        found: list = []
        for chunk in _chunks(ids):
            query = select(model).where(model.team_id == team_id, col(model.project_id).in_(chunk))  # type: ignore[attr-defined]
            if until is not None and at is not None:
                query = query.where(at < until)
            found.extend((await session.exec(query.order_by(*order))).all())
        return found

    # goalposts and stages are read whole: "as of" puts them back by undoing the later changes
    for c in await rows(GoalpostChange, None, GoalpostChange.at, GoalpostChange.id):
        records[c.project_id].changes.append(c)
    for t in await rows(StageTransition, None, StageTransition.at, StageTransition.id):
        records[t.project_id].transitions.append(t)
    gates = await rows(Gate, Gate.requested_at, Gate.id)
    by_gate = {}
    for g in gates:
        records[g.project_id].gates.append(g)
        by_gate[g.id] = records[g.project_id]
    if gates:
        for chunk in _chunks(sorted(by_gate)):
            query = select(GateVote).where(GateVote.team_id == team_id, col(GateVote.gate_id).in_(chunk))
            if until is not None:
                query = query.where(GateVote.cast_at < until)
            for v in (await session.exec(query.order_by(GateVote.cast_at, GateVote.id))).all():
                by_gate[v.gate_id].votes.setdefault(v.gate_id, []).append(v)
        for c in await rows(GateCondition, GateCondition.created_at, GateCondition.id):
            records[c.project_id].conditions.setdefault(c.gate_id, []).append(c)
    for d in await rows(ProductionDecision, ProductionDecision.cast_at, ProductionDecision.cast_at,
                        ProductionDecision.id):
        records[d.project_id].decisions.append(d)
    for a in await rows(ProductionAlert, ProductionAlert.starts_at, ProductionAlert.starts_at, ProductionAlert.id):
        records[a.project_id].alerts.append(a)
    for e in await rows(ProjectEvent, ProjectEvent.at, ProjectEvent.at, ProjectEvent.id):
        records[e.project_id].events.append(e)
    if measurements:
        for m in await rows(Measurement, Measurement.measured_at, Measurement.measured_at, Measurement.id):
            records[m.project_id].measurements.append(m)
    for b in await rows(Blocker, Blocker.reported_at, Blocker.reported_at, Blocker.id):
        if b.project_id in records:
            records[b.project_id].blockers.append(b)
    return records


def by_project(items: Sequence[object], attribute: str = "project_id") -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for item in items:
        grouped[getattr(item, attribute)].append(item)
    return grouped

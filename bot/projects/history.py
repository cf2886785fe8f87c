"""A project's history in one list: moved goalposts, stage and state changes, and gate decisions, in order.

A stage change a gate made is told once, as that gate's decision; a change an admin made in the form says
"moved without a gate". Takes a session and plain data; never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gates.wording import DECISION_ICONS, DECISION_LABELS
from bot.lifecycle import Lifecycle
from bot.models import Gate, GateDecision, GateStatus, GoalpostChange, Project, StageTransition
from bot.projects import goalposts

TIE_ORDER = {"created": 0, "gate": 1, "stage": 2, "goalpost": 3}


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # goalpost / stage / gate / created
    actor_id: str | None
    title: str
    reason: str = ""
    lines: tuple[str, ...] = field(default_factory=tuple)
    without_gate: bool = False


def _stage(lifecycle: Lifecycle, key: str | None) -> str:
    if key is None:
        return "—"
    found = lifecycle.find(key)
    return found.name if found else key


async def history(session: AsyncSession, project: Project, lifecycle_of: Callable[[str], Lifecycle]) -> list[Entry]:
    lifecycle = lifecycle_of(project.lifecycle)
    entries: list[Entry] = []
    saves: list[tuple[GoalpostChange, list[str], set[str]]] = []  # one per form save: same moment, author, reason
    for change in await goalposts.changes_of(session, project.id):  # type: ignore[arg-type]
        label = goalposts.GOALPOSTS.get(change.field, change.field)
        last = saves[-1] if saves else None
        if last is None or change.field in last[2] or (last[0].at, last[0].actor_id, last[0].reason) != (
                change.at, change.actor_id, change.reason):
            last = (change, [], set())
            saves.append(last)
        last[1].append(f"{label}: {change.old_value or 'not set'} → {change.new_value or 'not set'}")
        last[2].add(change.field)
    for first, lines, _ in saves:
        entries.append(Entry(first.at, "goalpost", first.actor_id, "Target moved", first.reason, tuple(lines)))
    gates = list((await session.exec(select(Gate).where(Gate.project_id == project.id, Gate.status == GateStatus.CLOSED)
                                     .order_by(Gate.id))).all())
    decided = {(g.closed_at, g.from_stage) for g in gates if g.closed_at is not None}
    for gate in gates:
        outcome = GateDecision(gate.outcome or GateDecision.NO_DECISION)
        entries.append(Entry(
            gate.closed_at or gate.requested_at, "gate", gate.closed_by,
            f"{DECISION_ICONS[outcome]} Gate #{gate.id} ({_stage(lifecycle, gate.from_stage)} → "
            f"{_stage(lifecycle, gate.to_stage)}): {DECISION_LABELS[outcome]}", gate.outcome_reason))
    transitions = (await session.exec(select(StageTransition).where(StageTransition.project_id == project.id)
                                      .order_by(StageTransition.id))).all()
    for t in transitions:
        if t.from_stage is not None and (t.at, t.from_stage) in decided and not t.without_gate:
            continue  # told as the gate's decision
        if t.from_stage is None:
            entries.append(Entry(t.at, "created", t.actor_id, f"Created in {_stage(lifecycle, t.to_stage)}", t.reason))
            continue
        moves = []
        if t.from_stage != t.to_stage:
            moves.append(f"{_stage(lifecycle, t.from_stage)} → {_stage(lifecycle, t.to_stage)}")
        if t.from_state != t.to_state:
            moves.append(f"{t.from_state} → {t.to_state}")
        title = "Stage: " + ("; ".join(moves) or _stage(lifecycle, t.to_stage))
        entries.append(Entry(t.at, "stage", t.actor_id, title, t.reason, without_gate=t.without_gate))
    entries.sort(key=lambda e: (e.at, TIE_ORDER[e.kind]))  # a frozen clock (tests, demo) gives equal times
    return entries

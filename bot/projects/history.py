"""A project's history in one list: moved goalposts, stage and state changes, gate decisions, production
decisions, timebox prompts and their answers, lifecycle switches, evidence confirmations and held or retried
sends, in order.

A stage change a gate made is told once, as that gate's decision; a change an admin made in the form says
"moved without a gate". `detailed` (reports) adds gate requests, each vote with its rationale and conditions,
and production alerts. Takes a session and plain data; never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gates.wording import DECISION_ICONS, DECISION_LABELS
from bot.lifecycle import Lifecycle
from bot.models import EventKind, GateDecision, GateStatus, ProductionChoice, Project
from bot.production.notify import CHOICES
from bot.projects import goalposts
from bot.projects.record import ProjectRecord, load

LIFECYCLE_SWITCH = "Lifecycle changed from "
TIE_ORDER = {"created": 0, "gate_request": 1, "vote": 2, "gate": 3, "stage": 4, "goalpost": 5, "lifecycle": 6,
             "alert": 7, "production": 8, "evidence": 9, "timebox_prompt": 10, "timebox_answer": 11, "held": 12,
             "retried": 13}
KIND_NAMES = {"created": "Created", "gate_request": "Gate requested", "vote": "Vote", "gate": "Gate decision",
              "stage": "Stage change", "goalpost": "Goalpost moved", "lifecycle": "Lifecycle switch",
              "alert": "Production alert", "production": "Production decision", "evidence": "Evidence confirmed",
              "timebox_prompt": "Timebox prompt", "timebox_answer": "Timebox answer", "held": "Send held",
              "retried": "Send retried"}


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # a key of TIE_ORDER
    actor_id: str | None
    title: str
    reason: str = ""
    lines: tuple[str, ...] = field(default_factory=tuple)
    without_gate: bool = False

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


def _stage(lifecycle: Lifecycle, key: str | None) -> str:
    if key is None:
        return "—"
    found = lifecycle.find(key)
    return found.name if found else key


def entries(record: ProjectRecord, lifecycle: Lifecycle, *, detailed: bool = False) -> list[Entry]:
    """Every entry of one project's record, oldest first."""
    found: list[Entry] = []
    saves: list[tuple[object, list[str], set[str]]] = []  # one per form save: same moment, author, reason
    for change in record.changes:
        label = goalposts.GOALPOSTS.get(change.field, change.field)
        last = saves[-1] if saves else None
        if last is None or change.field in last[2] or (last[0].at, last[0].actor_id, last[0].reason) != (  # type: ignore[attr-defined]
                change.at, change.actor_id, change.reason):
            last = (change, [], set())
            saves.append(last)
        last[1].append(f"{label}: {change.old_value or 'not set'} → {change.new_value or 'not set'}")
        last[2].add(change.field)
    for first, lines, _ in saves:
        found.append(Entry(first.at, "goalpost", first.actor_id, "Target moved", first.reason, tuple(lines)))  # type: ignore[attr-defined]
    closed = [g for g in record.gates if g.status == GateStatus.CLOSED]
    decided = {(g.closed_at, g.from_stage) for g in closed if g.closed_at is not None}
    for gate in record.gates:
        path = f"{_stage(lifecycle, gate.from_stage)} → {_stage(lifecycle, gate.to_stage)}"
        if detailed:
            found.append(Entry(gate.requested_at, "gate_request", gate.requested_by,
                               f"Gate #{gate.id} requested ({path}), due {gate.deadline.isoformat()}", gate.summary))
            for vote in record.votes.get(gate.id, []):  # type: ignore[arg-type]
                decision = GateDecision(vote.decision)
                lines = tuple(x for x in (f"Conditions: {vote.conditions}" if vote.conditions else "",
                                          f"Pivot to {_stage(lifecycle, vote.pivot_stage)}" if vote.pivot_stage else "",
                                          f"Hold until {vote.hold_until.isoformat()}" if vote.hold_until else "")
                              if x)
                found.append(Entry(vote.cast_at, "vote", vote.user_id,
                                   f"Voted {DECISION_LABELS[decision]} on gate #{gate.id}", vote.rationale, lines))
        if gate.status != GateStatus.CLOSED:
            continue
        outcome = GateDecision(gate.outcome or GateDecision.NO_DECISION)
        lines = tuple(f"Condition: {c.text} (owner {c.owner_id}, due {c.due_date.isoformat()}"
                      f"{', met ' + c.met_at.date().isoformat() if c.met_at else ''})"
                      for c in record.conditions.get(gate.id, []))  # type: ignore[arg-type]
        found.append(Entry(
            gate.closed_at or gate.requested_at, "gate", gate.closed_by,
            f"{DECISION_ICONS[outcome]} Gate #{gate.id} ({path}): {DECISION_LABELS[outcome]}", gate.outcome_reason,
            lines if detailed else ()))
    for t in record.transitions:
        if t.from_stage is not None and (t.at, t.from_stage) in decided and not t.without_gate:
            continue  # told as the gate's decision
        if t.from_stage is None:
            found.append(Entry(t.at, "created", t.actor_id, f"Created in {_stage(lifecycle, t.to_stage)}", t.reason))
            continue
        moves = []
        if t.from_stage != t.to_stage:
            moves.append(f"{_stage(lifecycle, t.from_stage)} → {_stage(lifecycle, t.to_stage)}")
        if t.from_state != t.to_state:
            moves.append(f"{t.from_state} → {t.to_state}")
        if t.reason.startswith(LIFECYCLE_SWITCH):  # bot.projects.lifecycles records a switch as a transition
            title = t.reason.split(";")[0] + (f"; stage {moves[0]}" if moves else "")
            found.append(Entry(t.at, "lifecycle", t.actor_id, title))
            continue
        title = "Stage: " + ("; ".join(moves) or _stage(lifecycle, t.to_stage))
        found.append(Entry(t.at, "stage", t.actor_id, title, t.reason, without_gate=t.without_gate))
    for d in record.decisions:
        label = CHOICES[ProductionChoice(d.choice)][0] if d.choice in set(ProductionChoice) else d.choice
        found.append(Entry(d.cast_at, "production", d.user_id,
                           f"Production decision: {label}" + (f" (while {d.label})" if d.label else ""), d.rationale))
    if detailed:
        for a in record.alerts:
            ended = f", resolved {a.ends_at.isoformat(timespec='minutes')}" if a.ends_at and a.status == "resolved" \
                else ""
            found.append(Entry(a.starts_at, "alert", None, f"Alert {a.name or a.fingerprint} fired{ended}",
                               a.summary))
    for e in record.events:
        kind = e.kind if e.kind in TIE_ORDER else "stage"
        found.append(Entry(e.at, kind, e.actor_id, e.title, e.detail))
    found.sort(key=lambda e: (e.at, TIE_ORDER[e.kind]))  # a frozen clock (tests, demo) gives equal times
    return found


async def history(session: AsyncSession, project: Project, lifecycle_of: Callable[[str], Lifecycle]) -> list[Entry]:
    record = (await load(session, project.team_id, [project], measurements=False))[project.id]  # type: ignore[index]
    return entries(record, lifecycle_of(project.lifecycle))


assert set(TIE_ORDER) >= {k.value for k in EventKind}

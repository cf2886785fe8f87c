"""Goalposts that move in the open: a change of metric, direction, baseline, target, expected or stop date
needs a reason, is recorded (who, when, old → new, why) and announced to the business owner and the project
channel; the portfolio marks the project "target moved" for four weeks.

A success criterion agreed late, or quietly moved, turns a project into a moving target: this module keeps
every move visible. Takes a session and plain data; never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import literal_column, union_all
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.models import GoalpostChange, Project, StageTransition
from bot.render import Renderer
from bot.render.formatting import day, number

# Field → how people call it. Order is the order changes are listed in.
GOALPOSTS: dict[str, str] = {
    "metric_name": "metric", "metric_direction": "better is", "baseline": "baseline", "target": "target",
    "expected_date": "expected delivery", "kill_date": "stop date",
}
FLAGGED_FOR = timedelta(weeks=4)  # how long the exec digest marks a project "target moved"
REASON_MISSING = ("You changed {fields}: say why in one line. It is kept in the project's history and sent to the "
                  "business owner and the project channel.")


@dataclass(frozen=True)
class Move:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Flags:
    """What the portfolio shows next to a project: a recently moved goalpost or a stage moved without a gate."""

    target_moved_at: datetime | None = None
    moved_without_gate_at: datetime | None = None


def shown(value: object) -> str:
    """A goalpost value as people read it: 0.9, Tue 31 Mar 2027, higher; empty when unset."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return day(value)
    if isinstance(value, float | int) and not isinstance(value, bool):
        return number(value, digits=4)
    return str(value)[:200]


def moves(project: Project, proposed: dict[str, Any]) -> list[Move]:
    """The goalposts `proposed` (field → new value) would move on `project`."""
    found = []
    for name, label in GOALPOSTS.items():
        if name not in proposed:
            continue
        before, after = getattr(project, name), proposed[name]
        if isinstance(before, float | int) and isinstance(after, float | int):
            changed = abs(float(before) - float(after)) > 1e-12
        else:
            changed = str(before if before is not None else "") != str(after if after is not None else "")
        if changed:
            found.append(Move(name, label, shown(before), shown(after)))
    return found


def reason_missing(found: Sequence[Move]) -> str:
    return REASON_MISSING.format(fields=", ".join(m.label for m in found))


async def record(session: AsyncSession, project: Project, found: Sequence[Move], reason: str, actor_id: str,
                 now: datetime) -> list[GoalpostChange]:
    rows = [GoalpostChange(team_id=project.team_id, project_id=project.id, field=m.field, old_value=m.old,
                           new_value=m.new, reason=reason[:1000], actor_id=actor_id, at=now) for m in found]
    session.add_all(rows)
    await session.flush()
    return rows


async def announce(session: AsyncSession, renderer: Renderer, project: Project, rows: Sequence[GoalpostChange],
                   moves_: Sequence[Move]) -> int:
    """DM the business owner and post in the project channel, through the outbox (once per change)."""
    if not rows:
        return 0
    message = renderer.message("projects/goalposts.json.j2", project=project, moves=moves_, reason=rows[0].reason,
                               actor_id=rows[0].actor_id, at=rows[0].at)
    places = [p for p in (project.business_owner_id, project.channel_id) if p]
    sent = 0
    for place in dict.fromkeys(places):
        sent += await enqueue(session, team_id=project.team_id, kind="goalpost_moved", channel=place,
                              key=f"goalpost:{project.id}:{rows[0].id}:{place}", message=message)
    return sent


async def changes_of(session: AsyncSession, project_id: int) -> list[GoalpostChange]:
    result = await session.exec(select(GoalpostChange).where(GoalpostChange.project_id == project_id)
                                .order_by(GoalpostChange.at, GoalpostChange.id))  # type: ignore[arg-type]
    return list(result.all())


async def recent_flags(session: AsyncSession, team_id: str, now: datetime) -> dict[int, Flags]:
    """Projects whose goalposts moved, or whose stage moved without a gate, in the last four weeks (one query)."""
    since = now - FLAGGED_FOR
    moved = select(GoalpostChange.project_id, GoalpostChange.at, literal_column("'goalpost'").label("kind")).where(
        GoalpostChange.team_id == team_id, GoalpostChange.at >= since)
    bypassed = select(StageTransition.project_id, StageTransition.at, literal_column("'stage'").label("kind")).where(
        StageTransition.team_id == team_id, StageTransition.at >= since,
        StageTransition.without_gate.is_(True))  # type: ignore[attr-defined]
    latest: dict[tuple[int, str], datetime] = {}
    for project_id, at, kind in (await session.exec(union_all(moved, bypassed))).all():
        at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        latest[(project_id, kind)] = max(at, latest.get((project_id, kind), at))
    return {pid: Flags(latest.get((pid, "goalpost")), latest.get((pid, "stage"))) for pid, _ in latest}


def frozen(project: Project) -> dict[str, Any]:
    """The goalposts as they stand, for a gate snapshot: approvers see what the target was when they decided."""
    return {name: (value.isoformat() if isinstance(value, date) else value)
            for name in GOALPOSTS for value in [getattr(project, name)]}

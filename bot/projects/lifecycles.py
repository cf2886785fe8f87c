"""Choosing a lifecycle, for the workspace or one project: each project's stage is carried over by name
("Feasibility" stays "Feasibility"), and where the new lifecycle has no stage of that name, someone picks it.

A stage carried over or picked while switching is a mapping, not a move: it is recorded in the stage history
("Lifecycle changed from … to …") but is not a gate decision. Takes a session and plain data; never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput, NotAllowed
from bot.lifecycle import Lifecycle
from bot.models import Project, StageTransition, Workspace
from bot.people.service import Actor


def stage_field(key: str) -> str:
    """The form field (block_id) where someone picks the new stage of project `key`."""
    return f"stage_{key}"


@dataclass(frozen=True)
class Mapping_:
    project: Project
    old: Lifecycle
    new_stage: str | None  # None: no stage of the same name; someone has to pick one

    @property
    def old_stage_name(self) -> str:
        return self.old.stage(self.project.stage).name if self.project.stage in self.old.keys else self.project.stage


def map_stage(old: Lifecycle, new: Lifecycle, stage_key: str) -> str | None:
    """The stage of `new` with the same name (or key) as `stage_key` of `old`, or None."""
    name = old.stage(stage_key).name if stage_key in old.keys else stage_key
    found = new.find(name) or new.find(stage_key)
    return found.key if found else None


def plan(projects: Sequence[Project], lifecycle_of: Callable[[Project], Lifecycle], new: Lifecycle) -> list[Mapping_]:
    return [Mapping_(p, lifecycle_of(p), map_stage(lifecycle_of(p), new, p.stage)) for p in projects]


async def following(session: AsyncSession, team_id: str, current: Lifecycle,
                    lifecycle_of: Callable[[Project], Lifecycle]) -> list[Project]:
    """The workspace's projects that use its lifecycle (those on one of their own keep it)."""
    result = await session.exec(select(Project).where(Project.team_id == team_id).order_by(Project.key))
    return [p for p in result.all() if lifecycle_of(p).key == current.key]


def _apply(session: AsyncSession, mappings: Sequence[Mapping_], new: Lifecycle, picked: Mapping[str, str],
           actor_id: str, now: datetime) -> int:
    """Move each project onto `new`; missing or wrong picks are inline errors, and nothing is saved then."""
    errors = {}
    for m in mappings:
        chosen = m.new_stage or picked.get(stage_field(m.project.key))
        if chosen not in new.keys:
            errors[stage_field(m.project.key)] = (f"{new.name} has no stage called {m.old_stage_name}: pick where "
                                                  f"{m.project.key} stands in it.")
    if errors:
        raise InvalidInput(errors)
    for m in mappings:
        stage = m.new_stage or picked[stage_field(m.project.key)]
        if stage != m.project.stage or m.old.key != new.key:
            session.add(StageTransition(
                team_id=m.project.team_id, project_id=m.project.id, from_stage=m.project.stage, to_stage=stage,
                from_state=m.project.state, to_state=m.project.state, actor_id=actor_id, at=now,
                reason=f"Lifecycle changed from {m.old.name} to {new.name}"[:3000]))
        m.project.lifecycle, m.project.stage, m.project.updated_at = new.key, stage, now
        session.add(m.project)
    return len(mappings)


async def switch_workspace(session: AsyncSession, actor: Actor, current: Lifecycle, new: Lifecycle,
                           lifecycle_of: Callable[[Project], Lifecycle], picked: Mapping[str, str],
                           now: datetime) -> int:
    """Make `new` the workspace's lifecycle and move the projects that follow it; returns how many moved."""
    if not actor.is_admin:
        raise NotAllowed("Only Headway admins can change the workspace's lifecycle.")
    team_id = actor.person.team_id
    mappings = plan(await following(session, team_id, current, lifecycle_of), lifecycle_of, new)
    moved = _apply(session, mappings, new, picked, actor.user_id, now)
    workspace = await session.get(Workspace, team_id)
    if workspace is not None:
        workspace.lifecycle = new.key
        session.add(workspace)
    await session.flush()
    return moved


async def switch_project(session: AsyncSession, actor: Actor, project: Project, old: Lifecycle, new: Lifecycle,
                         picked: Mapping[str, str], now: datetime) -> None:
    """Put one project on another lifecycle (the project form's field)."""
    _apply(session, [Mapping_(project, old, map_stage(old, new, project.stage))], new, picked, actor.user_id, now)
    await session.flush()

"""Creating, editing, listing and showing projects. Takes a session; never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.models import (
    GoalpostChange,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectState,
    Role,
    StageTransition,
    utcnow,
)
from bot.people.service import Actor
from bot.projects import goalposts
from bot.projects.draft import ProjectDraft

STATE_ORDER = {ProjectState.ACTIVE: 0, ProjectState.PAUSED: 1, ProjectState.SHIPPED: 2, ProjectState.STOPPED: 3}


@dataclass(frozen=True)
class ProjectDetails:
    project: Project
    pm_ids: tuple[str, ...]
    member_ids: tuple[str, ...]


def can_create(actor: Actor) -> bool:
    return actor.has(Role.PM, Role.ADMIN)


def can_edit(actor: Actor, details: ProjectDetails) -> bool:
    return actor.is_admin or actor.user_id in details.pm_ids


def can_move_directly(actor: Actor) -> bool:
    """Stage and state change through gates; only admins may move them in the form (recorded as without a gate)."""
    return actor.is_admin


@dataclass(frozen=True)
class Saved:
    details: ProjectDetails
    moves: tuple[goalposts.Move, ...] = ()
    changes: tuple[GoalpostChange, ...] = ()


async def get_project(session: AsyncSession, team_id: str, key: str) -> ProjectDetails:
    result = await session.exec(select(Project).where(Project.team_id == team_id, Project.key == key.upper()))
    project = result.first()
    if project is None:
        raise NotFound(f"There is no project with the key {key.upper()[:12]}.")
    members = (await session.exec(select(ProjectMember).where(ProjectMember.project_id == project.id))).all()
    return ProjectDetails(
        project=project,
        pm_ids=tuple(m.user_id for m in members if m.role == ProjectRole.PM),
        member_ids=tuple(m.user_id for m in members if m.role == ProjectRole.MEMBER),
    )


async def list_projects(session: AsyncSession, team_id: str) -> list[Project]:
    result = await session.exec(select(Project).where(Project.team_id == team_id))
    return sorted(result.all(), key=lambda p: (STATE_ORDER.get(ProjectState(p.state), 9), p.key))


async def key_taken(session: AsyncSession, team_id: str, key: str) -> bool:
    result = await session.exec(select(Project.id).where(Project.team_id == team_id, Project.key == key))
    return result.first() is not None


async def create_project(
    session: AsyncSession, by: Actor, draft: ProjectDraft, lifecycle_key: str = "default",
    now: datetime | None = None,
) -> ProjectDetails:
    if not can_create(by):
        raise NotAllowed("Only PMs and Headway admins can create projects.")
    team_id = by.person.team_id
    project = Project(team_id=team_id, created_by=by.user_id, lifecycle=lifecycle_key, **_fields(draft))
    session.add(project)
    try:  # the key's uniqueness is the database's to check: one statement fewer in a form's ack
        await session.flush()
    except IntegrityError:  # taken, perhaps by a concurrent submission
        raise InvalidInput({"key": f"{draft.key} is already used by another project; pick another key."}) from None
    pm_ids = draft.pm_ids or (by.user_id,)
    members = _member_rows(project, pm_ids, draft.member_ids)
    await session.exec(insert(ProjectMember), params=members)  # type: ignore[call-overload]
    session.add(StageTransition(
        team_id=team_id, project_id=project.id, from_stage=None, to_stage=project.stage, from_state=None,
        to_state=project.state, actor_id=by.user_id, reason=draft.change_reason or "Project created",
        at=now or utcnow(),
    ))
    await session.flush()
    return ProjectDetails(project=project,
                          pm_ids=tuple(m["user_id"] for m in members if m["role"] == ProjectRole.PM),
                          member_ids=tuple(m["user_id"] for m in members if m["role"] == ProjectRole.MEMBER))


async def update_project(session: AsyncSession, by: Actor, key: str, draft: ProjectDraft,
                         now: datetime | None = None) -> Saved:
    """Save the form; a moved goalpost needs a reason and is recorded, a stage or state move needs an admin."""
    team_id = by.person.team_id
    details = await get_project(session, team_id, key)
    if not can_edit(by, details):
        raise NotAllowed(f"Only {details.project.key}'s PMs and Headway admins can edit it.")
    project = details.project
    if draft.key != project.key and await key_taken(session, team_id, draft.key):
        raise InvalidInput({"key": f"{draft.key} is already used by another project; pick another key."})
    fields = _fields(draft)
    before_stage, before_state = project.stage, project.state
    moved_stage = (before_stage, before_state) != (draft.stage, str(draft.state))
    if moved_stage and not can_move_directly(by):
        raise InvalidInput({"stage": "PMs move a project's stage, or pause, ship or stop it, through a gate: "
                                     f"`/gate request {project.key}`."})
    found = goalposts.moves(project, fields)
    if found and not draft.change_reason:
        raise InvalidInput({"change_reason": goalposts.reason_missing(found)})
    now = now or utcnow()
    for name, value in fields.items():
        setattr(project, name, value)
    project.updated_at = now
    if moved_stage:
        session.add(StageTransition(
            team_id=team_id, project_id=project.id, from_stage=before_stage, to_stage=project.stage,
            from_state=before_state, to_state=project.state, actor_id=by.user_id, without_gate=True,
            reason=draft.change_reason or "Moved in the project form", at=now,
        ))
    changes = await goalposts.record(session, project, found, draft.change_reason, by.user_id, now) if found else []
    await _replace_members(session, project, draft.pm_ids or details.pm_ids, draft.member_ids)
    await session.flush()
    return Saved(await get_project(session, team_id, project.key), tuple(found), tuple(changes))


async def stage_history(session: AsyncSession, project: Project) -> list[StageTransition]:
    result = await session.exec(
        select(StageTransition).where(StageTransition.project_id == project.id).order_by(StageTransition.id)
    )
    return list(result.all())


def _fields(draft: ProjectDraft) -> dict[str, object]:
    return {
        "key": draft.key, "name": draft.name, "problem_statement": draft.problem_statement,
        "business_owner_id": draft.business_owner_id, "success_criteria": draft.success_criteria,
        "metric_name": draft.metric_name, "metric_direction": str(draft.metric_direction),
        "metric_unit": draft.metric_unit, "baseline": draft.baseline, "target": draft.target,
        "start_date": draft.start_date, "expected_date": draft.expected_date, "kill_date": draft.kill_date,
        "stage": draft.stage, "state": str(draft.state), "channel_id": draft.channel_id, "lens": draft.lens,
        "lens_subject": draft.lens_subject, "monthly_volume": draft.monthly_volume,
        "value_per_catch": draft.value_per_catch, "cost_per_false_alarm": draft.cost_per_false_alarm,
    }


async def _replace_members(
    session: AsyncSession, project: Project, pm_ids: tuple[str, ...], member_ids: tuple[str, ...]
) -> None:
    await session.exec(delete(ProjectMember).where(ProjectMember.project_id == project.id))  # type: ignore[call-overload]
    await session.exec(insert(ProjectMember), params=_member_rows(project, pm_ids, member_ids))  # type: ignore[call-overload]


def _member_rows(project: Project, pm_ids: tuple[str, ...], member_ids: tuple[str, ...]) -> list[dict[str, object]]:
    """A project's people, each once (a PM listed as a member too stays a PM)."""
    seen: set[str] = set()
    rows: list[dict[str, object]] = []
    for role, ids in ((ProjectRole.PM, pm_ids), (ProjectRole.MEMBER, member_ids)):
        for user_id in ids:
            if user_id not in seen:
                seen.add(user_id)
                rows.append(dict(team_id=project.team_id, project_id=project.id, user_id=user_id, role=role))
    return rows

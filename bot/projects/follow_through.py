"""What a project still owes: open blockers with their age and overdue gate conditions (for its card)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gates.conditions import OpenCondition, overdue
from bot.models import Blocker, Project
from bot.standups.blockers import age_text, open_blockers


@dataclass(frozen=True)
class FollowThrough:
    blockers: tuple[tuple[Blocker, str], ...]  # (blocker, age)
    overdue: tuple[OpenCondition, ...]


async def for_project(session: AsyncSession, project: Project, today: date) -> FollowThrough:
    blockers = await open_blockers(session, project.team_id, project_id=project.id)
    return FollowThrough(tuple((b, age_text(b, today)) for b in blockers),
                         tuple(await overdue(session, project.team_id, today, project_id=project.id)))

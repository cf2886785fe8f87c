"""What a project still owes: open blockers with their age and overdue gate conditions (for its card)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gates.conditions import OpenCondition, overdue
from bot.models import Blocker, Project
from bot.render.formatting import day
from bot.standups.blockers import age_text, back_on, open_blockers


@dataclass(frozen=True)
class FollowThrough:
    blockers: tuple[tuple[Blocker, str], ...]  # (blocker, age)
    overdue: tuple[OpenCondition, ...]


async def for_project(session: AsyncSession, project: Project, today: date) -> FollowThrough:
    blockers = await open_blockers(session, project.team_id, project_id=project.id)
    away = await back_on(session, project.team_id, [b.user_id for b in blockers], today) if blockers else {}

    def age(blocker: Blocker) -> str:  # an owner on time off: the blocker waits for them, it does not escalate
        until = away.get(blocker.user_id)
        return age_text(blocker, today) + (f" (away, back {day(until)})" if until else "")

    return FollowThrough(tuple((b, age(b)) for b in blockers),
                         tuple(await overdue(session, project.team_id, today, project_id=project.id)))

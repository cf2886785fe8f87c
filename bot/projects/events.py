"""Recording what happened to a project where no other table keeps it (bot.models.records.ProjectEvent): timebox
prompts and their answers, evidence confirmations, held and retried sends. Each event has a key, so recording it
again (a retried job, a second click) stores it once. Takes a session; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_many_or_ignore
from bot.models import EventKind, Project, ProjectEvent


async def record(session: AsyncSession, project: Project, kind: EventKind, key: str, title: str, at: datetime, *,
                 detail: str = "", actor_id: str | None = None) -> None:
    await record_many(session, [project], kind, key, title, at, detail=detail, actor_id=actor_id)


async def record_many(session: AsyncSession, projects: list[Project], kind: EventKind, key: str, title: str,
                      at: datetime, *, detail: str = "", actor_id: str | None = None) -> None:
    """The same event for each of `projects` (key made unique per project)."""
    await insert_many_or_ignore(session, ProjectEvent, ["key"], [
        dict(team_id=p.team_id, project_id=p.id, kind=kind.value, key=f"{kind.value}:{p.id}:{key}"[:255],
             actor_id=actor_id, title=title[:500], detail=detail[:3000], at=at) for p in projects])


async def for_channel(session: AsyncSession, team_id: str, channel: str) -> list[Project]:
    """The projects that post in `channel` (whose held messages are part of their record)."""
    return list((await session.exec(select(Project).where(Project.team_id == team_id,
                                                          Project.channel_id == channel))).all())

"""Skipping and being away: no prompts on those dates, and nothing counted against anyone."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput
from bot.models import Absence, AbsenceKind, PromptStatus, StandupPrompt, StandupRun

MAX_DAYS = 366


async def add_absence(session: AsyncSession, team_id: str, user_id: str, kind: AbsenceKind, start: date, end: date,
                      standup_id: int | None = None) -> Absence:
    if end < start:
        raise InvalidInput({"end": "The end date cannot be before the start date."})
    if (end - start).days > MAX_DAYS:
        raise InvalidInput({"end": "That is more than a year; pick an earlier end date."})
    absence = Absence(team_id=team_id, user_id=user_id, standup_id=standup_id, kind=kind, start_date=start,
                      end_date=end)
    session.add(absence)
    await session.flush()
    await _skip_open_prompts(session, team_id, user_id, start, end, standup_id)
    return absence


async def _skip_open_prompts(session: AsyncSession, team_id: str, user_id: str, start: date, end: date,
                             standup_id: int | None) -> None:
    """Prompts already sent for the covered dates stop counting as unanswered."""
    query = (select(StandupPrompt).join(StandupRun, StandupRun.id == StandupPrompt.run_id)
             .where(StandupPrompt.team_id == team_id, StandupPrompt.user_id == user_id,
                    StandupPrompt.status == PromptStatus.PROMPTED, StandupRun.run_date >= start,
                    StandupRun.run_date <= end))
    if standup_id is not None:
        query = query.where(StandupPrompt.standup_id == standup_id)
    for prompt in (await session.exec(query)).all():
        prompt.status = PromptStatus.SKIPPED
        session.add(prompt)
    await session.flush()


async def come_back(session: AsyncSession, team_id: str, user_id: str, today: date) -> int:
    """End every away period from today on; returns how many were shortened or removed."""
    rows = (await session.exec(select(Absence).where(
        Absence.team_id == team_id, Absence.user_id == user_id, Absence.kind == AbsenceKind.AWAY,
        Absence.end_date >= today))).all()
    for absence in rows:
        if absence.start_date >= today:
            await session.delete(absence)
        else:
            absence.end_date = today - timedelta(days=1)
            session.add(absence)
    await session.flush()
    return len(rows)

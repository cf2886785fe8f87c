"""Creating and managing standups. Takes a session; never commits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.models import Role, Standup, StandupParticipant, utcnow
from bot.people import service as people
from bot.people.service import Actor
from bot.standups.draft import StandupDraft


@dataclass(frozen=True)
class StandupDetails:
    standup: Standup
    participant_ids: tuple[str, ...]

    @property
    def questions(self) -> list[str]:
        return json.loads(self.standup.questions)

    @property
    def holidays(self) -> list[date]:
        return [date.fromisoformat(d) for d in json.loads(self.standup.holidays or "[]")]


def can_manage(actor: Actor, standup: Standup | None = None) -> bool:
    if actor.has(Role.ADMIN, Role.PM):
        return True
    return standup is not None and standup.created_by == actor.user_id


async def get_standup(session: AsyncSession, team_id: str, name: str) -> StandupDetails:
    standup = (await session.exec(
        select(Standup).where(Standup.team_id == team_id, Standup.name == name.lower())
    )).first()
    if standup is None:
        raise NotFound(f"There is no standup called {name.lower()[:40]}. `/standup list` shows them all.")
    return StandupDetails(standup, await participants_of(session, standup.id))


async def participants_of(session: AsyncSession, standup_id: int | None) -> tuple[str, ...]:
    result = await session.exec(
        select(StandupParticipant.user_id).where(StandupParticipant.standup_id == standup_id)
        .order_by(StandupParticipant.id)
    )
    return tuple(result.all())


async def list_standups(session: AsyncSession, team_id: str) -> list[StandupDetails]:
    standups = (await session.exec(select(Standup).where(Standup.team_id == team_id).order_by(Standup.name))).all()
    members = (await session.exec(
        select(StandupParticipant).where(StandupParticipant.team_id == team_id).order_by(StandupParticipant.id)
    )).all()
    by_standup: dict[int, list[str]] = {}
    for member in members:
        by_standup.setdefault(member.standup_id, []).append(member.user_id)
    return [StandupDetails(s, tuple(by_standup.get(s.id or 0, ()))) for s in standups]


async def standups_of(session: AsyncSession, team_id: str, user_id: str) -> list[Standup]:
    result = await session.exec(
        select(Standup).join(StandupParticipant, StandupParticipant.standup_id == Standup.id)
        .where(Standup.team_id == team_id, StandupParticipant.user_id == user_id)
    )
    return list(result.all())


async def save_standup(
    session: AsyncSession, by: Actor, draft: StandupDraft, original: str | None = None
) -> StandupDetails:
    """Create (original None) or edit a standup; changes apply to the next scheduler tick, no restart.

    People new to Headway get a row without a Slack call (500 users.info would not fit in a modal's 3 s ack and
    would run into Tier 4's limit): the caller fills their profiles afterwards (bot.people.fill)."""
    team_id = by.person.team_id
    if original is None:
        if not can_manage(by):
            raise NotAllowed("Only PMs and Headway admins can set up standups.")
        standup = Standup(team_id=team_id, name=draft.name, channel_id=draft.channel_id, questions="[]",
                          created_by=by.user_id)
    else:
        standup = (await get_standup(session, team_id, original)).standup
        if not can_manage(by, standup):
            raise NotAllowed(f"Only PMs, admins and whoever set up {standup.name} can change it.")
    if draft.name != standup.name or original is None:
        clash = (await session.exec(
            select(Standup.id).where(Standup.team_id == team_id, Standup.name == draft.name)
        )).first()
        if clash is not None and clash != standup.id:
            raise InvalidInput({"name": f"There is already a standup called {draft.name}."})
    standup.name, standup.channel_id = draft.name, draft.channel_id
    standup.weekdays, standup.local_time = ",".join(draft.weekdays), draft.local_time
    standup.reminder_minutes, standup.cutoff_minutes = draft.reminder_minutes, draft.cutoff_minutes
    standup.questions = json.dumps(list(draft.questions), ensure_ascii=False)
    standup.holidays = json.dumps([d.isoformat() for d in draft.holidays])
    standup.tz = draft.tz
    standup.holiday_region = draft.holiday_region
    standup.updated_at = utcnow()
    session.add(standup)
    await session.flush()
    await session.exec(delete(StandupParticipant).where(StandupParticipant.standup_id == standup.id))  # type: ignore[call-overload]
    await people.add_people(session, team_id, draft.participant_ids)
    session.add_all([StandupParticipant(team_id=team_id, standup_id=standup.id, user_id=user_id)
                     for user_id in draft.participant_ids])
    await session.flush()
    return StandupDetails(standup, draft.participant_ids)


async def set_paused(session: AsyncSession, by: Actor, name: str, paused: bool) -> StandupDetails:
    details = await get_standup(session, by.person.team_id, name)
    if not can_manage(by, details.standup):
        raise NotAllowed(f"Only PMs, admins and whoever set up {details.standup.name} can pause or resume it.")
    details.standup.paused = paused
    details.standup.updated_at = utcnow()
    session.add(details.standup)
    await session.flush()
    return details


async def delete_standup(session: AsyncSession, by: Actor, name: str) -> str:
    details = await get_standup(session, by.person.team_id, name)
    if not can_manage(by, details.standup):
        raise NotAllowed(f"Only PMs, admins and whoever set up {details.standup.name} can delete it.")
    await session.delete(details.standup)
    await session.flush()
    return details.standup.name

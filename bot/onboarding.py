"""First contact: one welcome DM per workspace, and what a person with nothing yet can start with.

The welcome goes to the first Headway admin who opens the Home tab (Slack admins become Headway admins on first
sight, so that is normally whoever installed the app). Its outbox key is per workspace, so it is sent once, even
if several admins open the Home at the same moment or the process restarts mid-send.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.models import DigestSubscription, Role
from bot.people.service import Actor
from bot.projects.service import can_create
from bot.render import Renderer
from bot.standups.service import can_manage


@dataclass(frozen=True)
class GetStarted:
    """The Home tab's first steps, by what this person may do."""

    create_project: bool
    set_up_standup: bool
    give_roles: bool
    subscribe_digest: bool  # not subscribed yet
    is_exec: bool


def welcome_key(team_id: str) -> str:
    return f"welcome:{team_id}"


async def queue_welcome(session: AsyncSession, renderer: Renderer, actor: Actor) -> bool:
    """The welcome DM for the first admin to arrive; True if this call queued it (never twice per workspace)."""
    if not actor.is_admin:
        return False
    team_id = actor.person.team_id
    message = renderer.message("onboarding/welcome.json.j2", user_id=actor.user_id)
    return await enqueue(session, team_id=team_id, key=welcome_key(team_id), kind="welcome",
                         channel=actor.user_id, message=message)


async def get_started(session: AsyncSession, actor: Actor) -> GetStarted:
    subscribed = (await session.exec(select(DigestSubscription.id).where(
        DigestSubscription.team_id == actor.person.team_id, DigestSubscription.user_id == actor.user_id,
        DigestSubscription.active.is_(True)))).first() is not None  # type: ignore[attr-defined]
    return GetStarted(create_project=can_create(actor), set_up_standup=can_manage(actor), give_roles=actor.is_admin,
                      subscribe_digest=not subscribed, is_exec=actor.has(Role.EXEC))

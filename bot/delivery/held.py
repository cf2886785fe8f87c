"""Held messages: Slack refused a post for a reason a person can fix, so it waits for them instead of dying.

The people who can fix a channel are the PMs of the projects posting there, else the owners of the standups
reporting there, else the workspace's Headway admins. The first message held in a channel sends each of them
one DM (through the outbox) that names the channel, the problem and the fix, with a Retry button; Retry checks
the channel again and puts every message held there back in the queue, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import Outgoing, enqueue_many
from bot.delivery.settle import copies, outcome, settle
from bot.ids import ActionId
from bot.models import (
    EventKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonRole,
    Project,
    ProjectMember,
    ProjectRole,
    Role,
)
from bot.models.standups import Standup
from bot.models.types import utcnow
from bot.projects import events
from bot.render import Renderer

# Slack's error code -> what is wrong and how a person fixes it (https://api.slack.com/methods/chat.postMessage#errors)
FIXES: dict[str, tuple[str, str]] = {
    "not_in_channel": ("Headway is not a member of {channel}.",
                       "Type `/invite @Headway` in {channel}, then press Retry."),
    "channel_not_found": ("Headway cannot see {channel}: it was deleted, or it is private and Headway was never "
                          "invited.", "Type `/invite @Headway` in that channel (or choose another channel), then "
                          "press Retry."),
    "is_archived": ("{channel} is archived.", "Unarchive {channel} (or choose another channel), then press Retry."),
    # canvases.edit (https://docs.slack.dev/reference/methods/canvases.edit#errors): the project's canvas is gone
    "canvas_not_found": ("The project canvas Headway keeps in {channel} was deleted.",
                         "Press Retry: Headway makes a new one there."),
    "missing_scope": ("Headway's Slack token lacks a permission this message needs.",
                      "Ask a Slack admin to reinstall Headway with the scopes of its manifest, then press Retry."),
}
FIXABLE = frozenset(FIXES)
NOTICE_KIND = "held_notice"


@dataclass(frozen=True)
class ChannelCheck:
    """Can Headway post in a channel? `problem` is Slack's code when it cannot (a key of FIXES)."""

    channel: str
    problem: str | None = None
    name: str = ""  # as conversations.info gave it, for plain text (a modal's field error)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def explain(self, *, mrkdwn: bool = False) -> str:
        """What is wrong and how to fix it: with a channel link for a message (mrkdwn, the id is checked), or
        the channel's name for plain text (a form field's error)."""
        what, fix = FIXES.get(self.problem or "", ("Headway cannot post in {channel}.", "Invite it with "
                                                   "`/invite @Headway` in {channel}."))
        if mrkdwn and self.channel.isalnum():
            ref = f"<#{self.channel}>"
        else:
            ref = f"#{self.name}" if self.name else "that channel"
        return f"{what} {fix}".format(channel=ref).replace(", then press Retry", "")


async def fixers(session: AsyncSession, team_id: str, channel: str) -> list[str]:
    """Who can fix posting to `channel`: its projects' PMs, else its standups' owners, else the admins."""
    pms = (await session.exec(
        select(ProjectMember.user_id).join(Project, col(Project.id) == ProjectMember.project_id)
        .where(Project.team_id == team_id, Project.channel_id == channel, ProjectMember.role == ProjectRole.PM)
    )).all()
    if pms:
        return sorted(set(pms))
    owners = (await session.exec(
        select(Standup.created_by).where(Standup.team_id == team_id, Standup.channel_id == channel)
    )).all()
    if any(owners):
        return sorted({o for o in owners if o})
    return await admins(session, team_id)


async def admins(session: AsyncSession, team_id: str) -> list[str]:
    return sorted(set((await session.exec(
        select(Person.user_id).join(PersonRole, col(PersonRole.person_id) == Person.id)
        .where(PersonRole.team_id == team_id, PersonRole.role == Role.ADMIN)
    )).all()))


async def hold(session: AsyncSession, renderer: Renderer, row: OutboxMessage, problem: str) -> int:
    """Hold `row`; when it is the first held in its channel, queue the DMs to the fixers. Returns DMs queued."""
    await session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == row.id).values(  # type: ignore[call-overload]
        status=OutboxStatus.HELD, last_error=problem, attempted_at=None, claim=None))
    if row.kind == NOTICE_KIND:
        return 0  # a notice that cannot be delivered must not beget notices
    others = (await session.exec(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.team_id == row.team_id, OutboxMessage.channel == row.channel,
            OutboxMessage.status == OutboxStatus.HELD, col(OutboxMessage.id) != row.id)
    )).one()
    if others:
        return 0
    what, fix = FIXES[problem]
    episode = int(utcnow().timestamp())  # held again after a Retry that did not help: a new DM
    await events.record_many(session, await events.for_channel(session, row.team_id, row.channel), EventKind.HELD,
                             f"{row.channel}:{episode}", f"Messages to channel {row.channel} held: {problem}", utcnow(),
                             detail=what.format(channel="the channel"))
    ref = Markup(f"<#{row.channel}>" if row.channel[:1] in ("C", "G") else f"<@{row.channel}>") \
        if row.channel.isalnum() else row.channel
    message = renderer.message("delivery/held.json.j2", what=Markup(what).format(channel=ref),
                               fix=Markup(fix).format(channel=ref), kind=row.kind.replace("_", " "),
                               retry=ActionId.OUTBOX_RETRY, value=row.channel)
    notices = [Outgoing(team_id=row.team_id, key=f"held:{row.id}:{episode}:{user}", kind=NOTICE_KIND, channel=user,
                        message=message) for user in await fixers(session, row.team_id, row.channel)]
    await enqueue_many(session, notices)
    return len(notices)


async def release(session: AsyncSession, team_id: str, channel: str) -> int:
    """Put every message held for `channel` back in the queue (Retry); returns how many."""
    result = await session.exec(update(OutboxMessage).where(  # type: ignore[call-overload]
        OutboxMessage.team_id == team_id, OutboxMessage.channel == channel, OutboxMessage.status == OutboxStatus.HELD
    ).values(status=OutboxStatus.PENDING, next_attempt_at=utcnow(), attempted_at=None, claim=None))
    count = int(result.rowcount or 0)
    if count:
        await events.record_many(session, await events.for_channel(session, team_id, channel), EventKind.RETRIED,
                                 f"{channel}:{int(utcnow().timestamp())}",
                                 f"{count} held message{'s' if count != 1 else ''} to channel {channel} sent again",
                                 utcnow())
    return count


@dataclass(frozen=True)
class Problem:
    """A held or dead message, for the admins' App Home."""

    channel: str
    kind: str
    status: str
    error: str
    count: int


async def problems(session: AsyncSession, team_id: str, limit: int = 8) -> list[Problem]:
    """Held and dead messages of a workspace, grouped by channel, status and error (most first)."""
    count = func.count().label("n")
    found = (await session.exec(
        select(OutboxMessage.channel, func.min(OutboxMessage.kind), OutboxMessage.status, OutboxMessage.last_error,
               count)
        .where(OutboxMessage.team_id == team_id,
               col(OutboxMessage.status).in_([OutboxStatus.HELD, OutboxStatus.DEAD]))
        .group_by(OutboxMessage.channel, OutboxMessage.status, OutboxMessage.last_error)
        .order_by(count.desc()).limit(limit)
    )).all()
    return [Problem(channel=c, kind=k, status=s, error=(e or "")[:200], count=n) for c, k, s, e, n in found]


async def held_count(session: AsyncSession, team_id: str, channel: str) -> int:
    return int((await session.exec(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.team_id == team_id, OutboxMessage.channel == channel,
        OutboxMessage.status == OutboxStatus.HELD))).one())


async def settle_notices(session: AsyncSession, renderer: Renderer, team_id: str, channel: str, by: str,
                         count: int) -> int:
    """Every fixer's copy of the held-messages DM for `channel` stops offering Retry: who retried, when."""
    notices = [row for row in await copies(session, team_id, prefix="held:", kinds=[NOTICE_KIND])
               if f'"value": "{channel}"' in row.payload or f'"value":"{channel}"' in row.payload]
    line = outcome(renderer, f"Retried: {count} held message{'s' if count != 1 else ''} sent", by=by, at=utcnow())
    return await settle(session, notices, line, version=f"retried-{int(utcnow().timestamp())}")

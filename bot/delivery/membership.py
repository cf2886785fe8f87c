"""The bot removed from a channel, or the channel archived: the people whose projects report there are told at
once (through the outbox), before Headway next tries to post there. Invited back, held messages still wait for a
fixer's Retry, as before."""

from __future__ import annotations

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import held
from bot.delivery.outbox import Outgoing, enqueue_many
from bot.render import Renderer


async def tell_fixers(session: AsyncSession, renderer: Renderer, team_id: str, channel: str, problem: str,
                      stamp: str) -> int:
    """DM the channel's PMs (else standup owners, else admins: held.fixers) what happened and the fix; `stamp`
    (the event's time) makes it one DM per removal. Returns how many DMs were queued."""
    what, fix = held.FIXES[problem]
    ref = Markup(f"<#{channel}>") if channel.isalnum() else channel
    message = renderer.message("delivery/channel_removed.json.j2", what=Markup(what).format(channel=ref),
                               fix=Markup(fix).format(channel=ref).replace(", then press Retry", ""))
    people = await held.fixers(session, team_id, channel)
    await enqueue_many(session, [Outgoing(team_id=team_id, key=f"removed:{team_id}:{channel}:{stamp}:{user}"[:190],
                                          kind=held.NOTICE_KIND, channel=user, message=message) for user in people])
    return len(people)

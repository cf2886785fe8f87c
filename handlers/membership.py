"""Slack telling Headway about its own channel membership: removed (`member_left_channel`), invited back
(`member_joined_channel`), or the channel archived (`channel_archive`, `group_archive`). The ack forgets that the
channel was postable, so the next form that names it asks Slack again; the work tells the people who can fix it."""

from __future__ import annotations

from typing import Any

from bot.app import Headway
from bot.delivery import membership
from bot.delivery.errors import SlackUnavailable
from bot.delivery.held import ChannelCheck
from handlers.deferred import acked
from handlers.router import Router


def register(router: Router, hw: Headway) -> None:

    def about_us(event: dict[str, Any], context: Any) -> bool:
        bot_user = context.get("bot_user_id") if hasattr(context, "get") else None
        return event.get("type") in ("channel_archive", "group_archive") or (
            bool(bot_user) and event.get("user") == bot_user)

    async def forget(ack: Any, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        await ack()
        if about_us(event, context):
            hw.gateway.forget_postable(str(body.get("team_id") or ""), str(event.get("channel") or ""))

    async def removed(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if not about_us(event, context):
            return
        channel = str(event.get("channel") or "")[:32]
        problem = "is_archived" if event["type"] in ("channel_archive", "group_archive") else None
        if problem is None:  # removed: with chat:write.public a public channel stays postable; ask Slack
            try:
                check = await hw.gateway.check_channel(channel, fresh=True)
            except SlackUnavailable:
                check = ChannelCheck(channel, "not_in_channel")
            if check.ok:
                return
            problem = check.problem or "not_in_channel"
        async with hw.db.unit_of_work() as session:
            await membership.tell_fixers(session, hw.renderer, str(body.get("team_id") or ""), channel, problem,
                                         str(event.get("event_ts") or body.get("event_id") or ""))
        hw.deliver()

    for kind in ("member_left_channel", "channel_archive", "group_archive"):
        router.event(kind)(acked(hw, forget, removed))
    # invited back: asked again at the next form; held messages wait for a fixer's Retry (they decide when)
    router.event("member_joined_channel")(acked(hw, forget))

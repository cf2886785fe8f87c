"""The Retry button of a held-messages DM, and Slack telling Headway it was uninstalled or its tokens revoked."""

from __future__ import annotations

import asyncio
from typing import Any

from markupsafe import Markup

from bot.app import Headway
from bot.delivery import held
from bot.delivery.errors import SlackUnavailable
from bot.delivery.settle import already
from bot.ids import ActionId
from handlers.deferred import ack_only, acked
from handlers.router import Router


async def retry_held(hw: Headway, team_id: str, user_id: str, channel: str) -> dict[str, Any]:
    """Check the channel again; when Headway can post there, its held messages go back in the queue."""
    async with hw.db.unit_of_work() as session:
        allowed = user_id in await held.fixers(session, team_id, channel) or user_id in await held.admins(
            session, team_id)
    if not allowed:
        return {"ok": False, "problem": "Only the PMs of this channel's projects, its standups' owners or a "
                                        "Headway admin can retry these messages."}
    if channel[:1] in ("C", "G"):
        try:
            check = await hw.gateway.check_channel(channel, fresh=True)
        except SlackUnavailable:
            return {"ok": False, "problem": "Slack is busy right now; press Retry again in a minute."}
        if not check.ok:
            return {"ok": False, "problem": Markup(check.explain(mrkdwn=True))}  # trusted text, a checked id
    async with hw.db.unit_of_work() as session:
        count = await held.release(session, team_id, channel)
        if count:
            await held.settle_notices(session, hw.renderer, team_id, channel, user_id, count)
    hw.deliver()
    return {"ok": True, "count": count, "channel": channel}


CHECK_BUDGET = 1.0  # seconds a form's ack may spend asking Slack about its channel (Slack wants the ack in 3 s)


async def channel_problem(hw: Headway, channel: str | None) -> str | None:
    """Where a person picks a channel: None when Headway can post there (or Slack is too busy or too slow to say
    within CHECK_BUDGET: the send will hold the message and tell them), otherwise what is wrong and how to fix
    it, for the field's error."""
    if not channel or channel[:1] not in ("C", "G"):
        return None
    try:
        async with asyncio.timeout(CHECK_BUDGET):
            check = await hw.gateway.check_channel(channel)
    except (SlackUnavailable, TimeoutError):
        return None
    return None if check.ok else check.explain()


def register(router: Router, hw: Headway) -> None:

    async def retry(body: dict[str, Any]) -> None:
        channel = str(body["actions"][0].get("value") or "")[:32]
        async with hw.db.unit_of_work() as session:
            waiting = await held.held_count(session, body["team"]["id"], channel)
        if not waiting:  # a late click on an old copy: someone already retried, nothing is held any more
            message = already(hw.renderer, "nothing is held any more, the messages went out")
            if body.get("response_url"):
                await hw.gateway.respond(body["response_url"], message, replace_original=False)
            else:
                await hw.gateway.post_message(body["user"]["id"], message)
            return
        outcome = await retry_held(hw, body["team"]["id"], body["user"]["id"], channel)
        message = hw.renderer.message("delivery/retried.json.j2", channel=channel, count=outcome.get("count", 0),
                                      ok=outcome["ok"], problem=outcome.get("problem", ""))
        if body.get("response_url"):
            await hw.gateway.respond(body["response_url"], message, replace_original=outcome["ok"])

    router.action(ActionId.OUTBOX_RETRY.value)(acked(hw, ack_only, retry))

    async def revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        """This workspace's sending pauses (nothing is dropped); it resumes when auth.test succeeds again
        (bot.delivery.sender) or, with "Add to Slack", when the workspace installs Headway again (bot.installs)."""
        from bot.installs import uninstalled

        authorizations = body.get("authorizations") or [{}]
        org_wide = bool(body.get("is_enterprise_install") or authorizations[0].get("is_enterprise_install"))
        await uninstalled(hw, str(body.get("team_id") or ""), body.get("enterprise_id") or None,
                          str(event.get("type") or "tokens_revoked"), org_wide=org_wide)

    async def removed_from_workspace(body: dict[str, Any], event: dict[str, Any]) -> None:
        """An org-wide install removed from one workspace of the organization
        (https://docs.slack.dev/reference/events/app_uninstalled_team): that workspace pauses and its data waits
        out the retention period; the organization's other workspaces go on with the org install."""
        from bot.installs import uninstalled

        enterprise_id = body.get("enterprise_id") or None
        team_id = str(event.get("team_id") or "")
        if not team_id or team_id == enterprise_id:  # the docs' example names the organization there
            team_id = str(body.get("team_id") or "")
        await uninstalled(hw, team_id, enterprise_id, "app_uninstalled_team")

    async def access_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        """The org-ready app's token can no longer reach these workspaces of the organization
        (https://docs.slack.dev/reference/events/team_access_revoked: `team_ids`; Bolt lists it with
        app_uninstalled and tokens_revoked as events that need no authorization): each pauses, as above."""
        from bot.installs import uninstalled

        inner = event.get("event") if isinstance(event.get("event"), dict) else {}  # the docs' example nests it
        team_ids = event.get("team_ids") or inner.get("team_ids") or []
        enterprise_id = body.get("enterprise_id") or event.get("enterprise_id") or None
        for team_id in [str(t) for t in team_ids if t][:100]:
            await uninstalled(hw, team_id, enterprise_id, "team_access_revoked")

    router.event("app_uninstalled")(acked(hw, ack_only, revoked))
    router.event("tokens_revoked")(acked(hw, ack_only, revoked))
    router.event("app_uninstalled_team")(acked(hw, ack_only, removed_from_workspace))
    router.event("team_access_revoked")(acked(hw, ack_only, access_revoked))

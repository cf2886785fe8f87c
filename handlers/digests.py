"""`/headway digest subscribe|unsubscribe|preview`: who gets the weekly digest, and what it says now."""

from __future__ import annotations

import re

from bot.app import Headway
from bot.digests import service as digests
from bot.errors import HeadwayError
from bot.models import DigestKind
from bot.people import service as people
from handlers.delivery import channel_problem
from handlers.registry import CommandRegistry
from handlers.replies import respond
from handlers.requests import CommandRequest

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("digest subscribe", "Weekly digest (exec or team) by DM or to a channel", subscribe,
                 args="[exec|team] [#channel]", max_args=2)
    registry.add("digest unsubscribe", "Stop a digest", unsubscribe, args="[exec|team]", max_args=1)
    registry.add("digest preview", "The digest you would get now (or one project's part)", preview,
                 args="[exec|team] [KEY]", max_args=2)


def _kind_and_rest(args: tuple[str, ...]) -> tuple[DigestKind | None, list[str]]:
    rest = list(args)
    kind = None
    if rest and rest[0].lower() in {k.value for k in DigestKind}:
        kind = DigestKind(rest.pop(0).lower())
    return kind, rest


async def subscribe(hw: Headway, req: CommandRequest) -> None:
    kind, rest = _kind_and_rest(req.args)
    channel_id = None
    if rest:
        match = _CHANNEL.match(rest[0])
        if not match:
            raise HeadwayError("Name the channel with #, e.g. `/headway digest subscribe exec #leadership`.")
        channel_id = match.group(1)
        problem = await channel_problem(hw, channel_id)
        if problem:
            raise HeadwayError(problem)
    async with hw.db.unit_of_work() as session:
        await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        await digests.subscribe(session, req.team_id, req.user_id, kind or DigestKind.EXEC, channel_id)
    await respond(hw, req.response_url, "digests/subscribed.json.j2", what="subscribed",
                  kind=(kind or DigestKind.EXEC).value, channel_id=channel_id, count=1)


async def unsubscribe(hw: Headway, req: CommandRequest) -> None:
    kind, rest = _kind_and_rest(req.args)
    if rest:
        raise HeadwayError("Usage: `/headway digest unsubscribe [exec|team]`")
    async with hw.db.unit_of_work() as session:
        await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        count = await digests.unsubscribe(session, req.team_id, req.user_id, kind)
    await respond(hw, req.response_url, "digests/subscribed.json.j2", what="unsubscribed",
                  kind=kind.value if kind else None, channel_id=None, count=count)


async def preview(hw: Headway, req: CommandRequest) -> None:
    kind, rest = _kind_and_rest(req.args)
    only = rest[0].upper() if rest else None
    async with hw.db.unit_of_work() as session:
        person = await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        today = hw.clock.now().astimezone(digests.zone(person.tz)).date()
        digest, message = await digests.build_digest(
            session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), req.team_id, req.user_id,
            kind or DigestKind.EXEC, today, await hw.decisions_for(session, req.team_id, req.user_id), only=only,
            tz=person.tz)
    if only and not digest.lines:
        raise HeadwayError(f"There is no active project with the key {only[:12]}.")
    await hw.gateway.respond(req.response_url, message)

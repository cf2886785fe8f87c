"""Wiring a CommandRegistry into Bolt: parse and ack in ~1 ms, then work behind the acks (handlers.deferred)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from handlers.deferred import acked
from handlers.registry import CommandRegistry, HelpTopic, Resolved
from handlers.replies import ack_body, answering_errors
from handlers.requests import CommandRequest
from handlers.router import Router

log = logging.getLogger(__name__)
RESOLVED = "headway_resolved"  # the ack's parse of the command, for the work behind it


def register_command(router: Router, hw: Headway, registry: CommandRegistry) -> None:
    async def acknowledge(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        resolved = registry.resolve(body.get("text", ""))
        if isinstance(resolved, HelpTopic):
            await ack(**ack_body(help_message(hw, registry, resolved)))
            return
        if not isinstance(resolved, Resolved):
            message = hw.renderer.message(
                "commands/usage.json.j2", command=registry.command, problem=resolved.problem,
                suggestions=resolved.suggestions,
            )
            await ack(**ack_body(message))
            return
        if resolved.sub.run is None:  # help: static, answered inside the ack
            await ack(**ack_body(help_message(hw, registry)))
            return
        context[RESOLVED] = resolved  # parsed once: the work reads it from here
        await ack()

    async def work(body: dict[str, Any], context: AsyncBoltContext) -> None:
        resolved = context.get(RESOLVED)
        if resolved is None or resolved.sub.run is None:
            return
        request = CommandRequest.from_body(body, resolved.args)
        await answering_errors(hw, request.response_url, resolved.sub.run(hw, request), user_id=request.user_id)

    def opens_modal(context: AsyncBoltContext) -> bool:
        resolved = context.get(RESOLVED)
        return resolved is not None and resolved.sub.opens_modal

    router.command(registry.command)(acked(hw, acknowledge, work, urgent=opens_modal))


def help_message(hw: Headway, registry: CommandRegistry, topic: HelpTopic | None = None) -> Any:
    """The whole help, grouped by audience, or the subcommands under some words (`/headway project help`)."""
    if topic is not None:
        title = f"{registry.command} {' '.join(topic.words)}"
        return hw.renderer.message("commands/help.json.j2", command=registry.command, title=title, about="",
                                   groups=[("", topic.subcommands)], see_also=())
    return hw.renderer.message(
        "commands/help.json.j2", command=registry.command, title=registry.command, about=registry.about,
        groups=registry.groups(), see_also=registry.see_also,
    )

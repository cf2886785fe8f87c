"""Turning rendered messages into Slack answers, and domain errors into polite ones."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from bot.app import Headway
from bot.errors import HeadwayError, InvalidInput
from bot.render import Message

log = logging.getLogger(__name__)


def ack_body(message: Message) -> dict[str, Any]:
    """An ephemeral answer placed directly in the slash command's HTTP response."""
    return {"text": message.text, "blocks": message.blocks, "response_type": "ephemeral"}


async def respond(hw: Headway, response_url: str, template: str, **context: Any) -> None:
    await hw.gateway.respond(response_url, hw.renderer.message(template, **context))


def error_message(hw: Headway, error: BaseException) -> Message:
    if isinstance(error, InvalidInput):
        return hw.renderer.message("errors/invalid.json.j2", errors=error.errors)
    if isinstance(error, HeadwayError):
        return hw.renderer.message("errors/problem.json.j2", problem=str(error))
    return hw.renderer.message("errors/internal.json.j2")


async def answering_errors(hw: Headway, response_url: str, work: Awaitable[None]) -> None:
    """Run work after the ack; whatever goes wrong, the person gets an answer instead of silence."""
    try:
        await work
    except HeadwayError as error:
        await _try_respond(hw, response_url, error_message(hw, error))
    except Exception as error:
        log.exception("command failed after ack")
        await _try_respond(hw, response_url, error_message(hw, error))


async def _try_respond(hw: Headway, response_url: str, message: Message) -> None:
    try:
        await hw.gateway.respond(response_url, message)
    except Exception:
        log.exception("could not send the error answer either")

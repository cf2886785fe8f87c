"""Turning rendered messages into Slack answers, and domain errors into polite ones."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from bot.app import Headway
from bot.delivery.errors import ResponseUrlFailed
from bot.delivery.outbox import enqueue
from bot.errors import HeadwayError, InvalidInput
from bot.render import Message
from handlers.forms import view_metadata
from handlers.modals import notice

FORM_PROBLEMS = (HeadwayError, KeyError, TypeError, ValueError)  # what a wrong, stale or tampered form raises

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


async def answering_errors(hw: Headway, response_url: str, work: Awaitable[None], *, user_id: str = "") -> None:
    """Run work after the ack; whatever goes wrong, the person gets an answer instead of silence. An answer the
    response_url refused (expired, used up, too long…) goes to `user_id` by DM instead."""
    try:
        await work
    except ResponseUrlFailed as failure:
        await _deliver_by_dm(hw, user_id, failure)
    except HeadwayError as error:
        await _try_respond(hw, response_url, user_id, error_message(hw, error))
    except Exception as error:
        log.exception("command failed after ack")
        await _try_respond(hw, response_url, user_id, error_message(hw, error))


async def _deliver_by_dm(hw: Headway, user_id: str, failure: ResponseUrlFailed) -> None:
    if not user_id or not isinstance(failure.message, Message):
        log.error("an answer was refused by the response_url (%s) and nobody to DM it to", failure.error)
        return
    try:
        await hw.gateway.dm_instead(user_id, failure.message, failure.error)
    except Exception:
        log.exception("could not send the refused answer by DM either")


async def _try_respond(hw: Headway, response_url: str, user_id: str, message: Message) -> None:
    try:
        if user_id:
            await hw.gateway.respond_or_dm(response_url, user_id, message)
        else:
            await hw.gateway.respond(response_url, message)
    except Exception:
        log.exception("could not send the error answer either")


async def ack_form_problem(hw: Headway, ack: Any, error: BaseException, title: str, *,
                           field: str | None = None) -> None:
    """How a modal submission answers a problem: fields in error get inline messages (all on `field` when the
    form has one input); anything else turns the modal into a notice saying what to do."""
    if isinstance(error, InvalidInput):
        await ack(response_action="errors",
                  errors={field: " ".join(error.errors.values())} if field else error.errors)
        return
    text = str(error) if isinstance(error, HeadwayError) else "This form is out of date; open it again."
    await ack(response_action="update", view=notice(hw, title, f":warning: {text}"))


ANSWER_HERE = "headway_answer_here"  # on the request's body: a confirmation for `answer_where_asked`


async def confirm_saved(hw: Headway, session: Any, body: dict[str, Any], template: str, *,
                        replace_original: bool = False, **context: Any) -> None:
    """The "saved" confirmation after a modal, where the person asked: in the channel or DM the modal was opened
    from (ephemeral, through the command's response_url kept in the view's private metadata; sent by
    `answer_where_asked` once the save is committed and acked). Without one (a modal opened from the App Home),
    a DM queued in the save's own transaction: sent once, retried, never lost."""
    message = hw.renderer.message(template, **context)
    if answer_here(body, message, replace_original=replace_original):
        return
    await enqueue(session, team_id=body["team"]["id"], key=f"saved:{body['view']['id']}", kind="form_saved",
                  channel=body["user"]["id"], message=message)


def answer_here(body: dict[str, Any], message: Message, *, replace_original: bool = False) -> bool:
    """Keep `message` for the conversation the modal was opened from (`answer_where_asked` sends it after the ack);
    False when the modal was opened without a response_url (from the App Home): the caller DMs instead."""
    response_url = str(view_metadata(body.get("view") or {}).get("response_url") or "")
    if not response_url.startswith(("https://", "http://")):
        return False
    body[ANSWER_HERE] = {"url": response_url, "user": body["user"]["id"], "message": message,
                         "replace_original": replace_original}
    return True


def answer_where_asked(hw: Headway) -> Any:
    """Work after a modal's ack: the confirmation `confirm_saved` kept for the conversation the modal came from."""

    async def send(body: dict[str, Any]) -> None:
        pending = body.pop(ANSWER_HERE, None)
        if pending:
            await hw.gateway.respond_or_dm(pending["url"], pending["user"], pending["message"],
                                           replace_original=pending["replace_original"])

    return send

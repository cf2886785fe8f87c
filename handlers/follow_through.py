"""One-click answers to follow-through DMs: "Still blocked by …?" (Resolved / Still blocked) and a gate
condition's "Mark met"."""

from __future__ import annotations

from typing import Any

from bot.app import Headway
from bot.errors import HeadwayError
from bot.gates import conditions
from bot.ids import ActionId
from bot.people import service as people
from bot.render import Message
from bot.standups import blockers
from handlers.deferred import ack_only, acked
from handlers.router import Router


def _number(body: dict[str, Any]) -> int:
    try:
        return int(body["actions"][0].get("value") or 0)
    except (KeyError, IndexError, ValueError, AttributeError):
        return 0


async def _answer(hw: Headway, body: dict[str, Any], message: Message) -> None:
    if body.get("response_url"):
        await hw.gateway.respond(body["response_url"], message)
    else:
        await hw.gateway.post_message(body["user"]["id"], message)


def _problem(hw: Headway, error: HeadwayError) -> Message:
    return hw.renderer.message("errors/problem.json.j2", problem=str(error))


async def still_blocked(hw: Headway, body: dict[str, Any]) -> None:
    resolved = body["actions"][0]["action_id"] == ActionId.BLOCKER_RESOLVED
    try:
        async with hw.db.unit_of_work() as session:
            blocker = await blockers.answer_still_blocked(session, body["team"]["id"], body["user"]["id"],
                                                          _number(body), resolved, hw.clock.now())
        message = hw.renderer.message("standups/blocker_answered.json.j2", b=blocker, resolved=resolved)
    except HeadwayError as error:
        message = _problem(hw, error)
    await _answer(hw, body, message)


async def condition_met(hw: Headway, body: dict[str, Any]) -> None:
    try:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, body["team"]["id"], body["user"]["id"], hw.gateway.profile)
            condition = await conditions.mark_met(session, actor, _number(body), hw.clock.now())
        message = hw.renderer.message("gates/condition_met.json.j2", c=condition)
    except HeadwayError as error:
        message = _problem(hw, error)
    await _answer(hw, body, message)


def register(router: Router, hw: Headway) -> None:
    async def blocker_clicked(body: dict[str, Any]) -> None:
        await still_blocked(hw, body)

    async def condition_clicked(body: dict[str, Any]) -> None:
        await condition_met(hw, body)

    for action in (ActionId.BLOCKER_RESOLVED, ActionId.BLOCKER_STILL):
        router.action(action.value)(acked(hw, ack_only, blocker_clicked))
    router.action(ActionId.CONDITION_MET.value)(acked(hw, ack_only, condition_clicked))

"""The Confirm button on an unconfirmed (low-confidence) result: its author or a PM makes it count."""

from __future__ import annotations

import re
from typing import Any

from bot.app import Headway
from bot.errors import HeadwayError
from bot.experiments import measurements
from bot.ids import ActionId
from bot.people import service as people
from handlers.deferred import ack_only, acked
from handlers.gate_actions import answer, problem
from handlers.router import Router


def register(router: Router, hw: Headway) -> None:

    async def confirm(body: dict[str, Any]) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        try:
            try:
                measurement_id = int(str(body["actions"][0].get("value")))
            except (ValueError, TypeError, KeyError, IndexError):
                raise HeadwayError("That button is out of date.") from None
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                done = await measurements.confirm(session, actor, measurement_id, hw.clock.now())
            message = hw.renderer.message("evidence/confirmed.json.j2", project=done.project,
                                          measurement=done.measurement, already=done.already)
        except HeadwayError as error:
            message = problem(hw, error)
        await answer(hw, body, message)

    router.action(re.compile(f"^{ActionId.MEASUREMENT_CONFIRM.value}"))(acked(hw, ack_only, confirm))

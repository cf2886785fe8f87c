"""The App Home: published on `app_home_opened`, with quick actions for PMs (log a metric)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot import onboarding
from bot.app import Headway
from bot.delivery import held
from bot.digests.home import build_home
from bot.errors import HeadwayError, InvalidInput
from bot.experiments import measurements
from bot.gates import queries as gate_queries
from bot.gates.notify import card as gate_card
from bot.ids import ActionId, CallbackId, record_id
from bot.models import Project
from bot.people import service as people
from bot.projects.service import get_project
from handlers.deferred import ack_only, acked
from handlers.forms import read_state, view_metadata
from handlers.modals import open_then_fill
from handlers.router import Router

log = logging.getLogger(__name__)


async def publish_home(hw: Headway, team_id: str, user_id: str) -> None:
    """The Home tab; the first admin to open it also gets the workspace's one welcome DM (bot.onboarding)."""
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
        home = await build_home(session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), actor, hw.clock.now(),
                                await hw.decisions_for(session, team_id, user_id))
        delivery = await held.problems(session, team_id) if actor.is_admin else []
        start = await onboarding.get_started(session, actor)
        welcomed = await onboarding.queue_welcome(session, hw.renderer, actor)
    if welcomed:
        hw.deliver()
    view = hw.renderer.view("home/home.json.j2", home=home, start=start, ids=ActionId, now=hw.clock.now(),
                            delivery=delivery)
    await hw.gateway.publish_home(user_id, view)


def register(router: Router, hw: Headway) -> None:

    async def opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await publish_home(hw, body.get("team_id", ""), event["user"])

    router.event("app_home_opened")(acked(hw, ack_only, opened))

    async def open_log_form(body: dict[str, Any]) -> None:
        async def build() -> dict[str, Any]:
            async with hw.db.unit_of_work() as session:
                details = await get_project(session, body["team"]["id"], str(body["actions"][0].get("value")))
            return hw.renderer.view("home/log_metric.json.j2", callback_id=CallbackId.LOG_METRIC,
                                    project=details.project, metadata={"key": details.project.key})

        await open_then_fill(hw, body["trigger_id"], "Log a metric", build)

    router.action(ActionId.HOME_LOG_METRIC.value)(acked(hw, ack_only, open_log_form))

    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        values = read_state(view)
        try:
            value = float(values.get("value") or "")
        except ValueError:
            await ack(response_action="errors", errors={"value": "Please enter a number, such as 0.81."})
            return
        try:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                key = view_metadata(view).get("key") or ""
                project = (await get_project(session, team_id, key)).project
                await measurements.log_value(session, actor, key, project.metric_name, value,
                                             (values.get("note") or "")[:500], f"home:{body.get('trigger_id')}",
                                             hw.clock.now())
        except (InvalidInput, HeadwayError) as error:
            message = " ".join(error.errors.values()) if isinstance(error, InvalidInput) else str(error)
            await ack(response_action="errors", errors={"value": message[:2000]})
            return
        context["headway_home"] = {"team_id": team_id, "user_id": user_id}
        await ack()

    async def refresh(context: AsyncBoltContext) -> None:
        if context.get("headway_home"):
            await publish_home(hw, **context["headway_home"])

    router.view(CallbackId.LOG_METRIC.value)(acked(hw, submit, refresh))

    async def open_gate(body: dict[str, Any]) -> None:
        """A decision button in the digest or on the Home: the gate's card, with its vote buttons, by DM."""
        user_id = body["user"]["id"]
        try:
            gate_number = record_id(body["actions"][0].get("value"))
            async with hw.db.unit_of_work() as session:
                gate = await gate_queries.find_gate(session, body["team"]["id"], gate_number)
                project = await session.get(Project, gate.project_id)
                view = await gate_queries.load_view(session, gate, hw.lifecycle(project.lifecycle))
            message = gate_card(hw.renderer, view, hw.lifecycle(project.lifecycle), hw.clock.now())
        except (HeadwayError, ValueError, TypeError) as error:
            problem = str(error) if isinstance(error, HeadwayError) else "That button is out of date."
            message = hw.renderer.message("errors/problem.json.j2", problem=problem)
        await hw.gateway.post_message(user_id, message)

    router.action(re.compile(f"^{ActionId.DIGEST_OPEN_GATE.value}"))(acked(hw, ack_only, open_gate))

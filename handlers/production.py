"""`/headway health KEY [TOLERANCE]` and the Keep / Retrain / Roll back / Retire buttons on degradation alerts."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.delivery.settle import already
from bot.errors import HeadwayError
from bot.ids import ActionId, CallbackId
from bot.models import ProductionChoice, Project
from bot.people import service as people
from bot.production import decisions, overview
from bot.production import service as production
from bot.production.notify import CHOICES, words
from handlers.deferred import ack_only, acked, nudge_outbox, queued
from handlers.forms import read_state, view_metadata
from handlers.gate_actions import answer
from handlers.modals import notice, open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import FORM_PROBLEMS, ack_form_problem, respond
from handlers.requests import CommandRequest
from handlers.router import Router

BY_ACTION = {action: choice for choice, (_, action) in CHOICES.items()}


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("health", "A live model's health against its launch value; a PM sets the tolerance (5% or 0.03)",
                 show_health, args="KEY [tolerance]", min_args=1, max_args=2,
                 who="everyone; the tolerance: the project's PMs and admins")


async def show_health(hw: Headway, req: CommandRequest) -> None:
    now = hw.clock.now()
    async with hw.db.unit_of_work() as session:
        if len(req.args) > 1:
            actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
            await production.set_tolerance(session, actor, req.args[0], req.args[1],
                                           hw.lifecycle, now)
        detail = await overview.one(session, hw.renderer, req.team_id, req.args[0],
                                  lambda p: hw.lifecycle(p.lifecycle), now)
    await respond(hw, req.response_url, "production/status.json.j2", detail=detail, now=now, changed=len(req.args) > 1,
                  **words())


def _target(body: dict[str, Any]) -> tuple[int, int]:
    project_id, _, episode = str(body["actions"][0].get("value") or "").partition(":")
    return int(project_id), int(episode or 0)


async def already_decided(hw: Headway, body: dict[str, Any]) -> bool:
    """A late click on an old copy of a settled alert: say what was decided, change nothing."""
    try:
        project_id, episode = _target(body)
    except (ValueError, KeyError, IndexError):
        return False
    async with hw.db.unit_of_work() as session:
        project = await session.get(Project, project_id)
        if project is None or project.team_id != body["team"]["id"]:
            return False
        earlier = await decisions.decided_already(session, project_id, episode)
    if earlier is None:
        return False
    await answer(hw, body, already(hw.renderer, CHOICES[ProductionChoice(earlier.choice)][0], by=earlier.user_id,
                                   at=earlier.cast_at, detail=earlier.rationale))
    return True


async def open_decision_form(hw: Headway, body: dict[str, Any]) -> None:
    choice = BY_ACTION[ActionId(body["actions"][0]["action_id"])]
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    if await already_decided(hw, body):
        return

    async def build() -> dict[str, Any]:
        try:
            project_id, episode = _target(body)
        except (ValueError, KeyError, IndexError):
            raise HeadwayError("That button is out of date.") from None
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            project = await decisions.authorized(session, actor, project_id)
        return hw.renderer.view("production/decision_form.json.j2", p=project, choice=choice.value,
                                needs_reason=choice in decisions.NEEDS_REASON,
                                callback_id=CallbackId.PRODUCTION_DECISION,
                                metadata={"project": project_id, "episode": episode, "choice": choice.value},
                                **words())

    await open_then_fill(hw, body["trigger_id"], CHOICES[choice][0], build)


async def submit_decision(hw: Headway, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                          context: AsyncBoltContext) -> None:
    metadata = view_metadata(view)
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    try:
        choice = ProductionChoice(metadata.get("choice"))
        project_id, episode = int(metadata.get("project")), int(metadata.get("episode") or 0)
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            _, retired = await decisions.decide(session, hw.renderer, actor, project_id, episode, choice,
                                                str(read_state(view).get("rationale") or ""), hw.clock.now())
    except FORM_PROBLEMS as error:
        await ack_form_problem(hw, ack, error, CHOICES.get(metadata.get("choice"), ("Decision",))[0])
        return
    queued(context)
    text = f":ballot_box_with_ballot: Recorded: *{CHOICES[choice][0]}*." + (f" The project is {retired}."
                                                                             if retired else "")
    await ack(response_action="update", view=notice(hw, CHOICES[choice][0], text[:2900]))


def register(router: Router, hw: Headway) -> None:
    async def clicked(body: dict[str, Any]) -> None:
        await open_decision_form(hw, body)

    async def submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        await submit_decision(hw, ack, body, view, context)

    for action in BY_ACTION:
        router.action(action.value)(acked(hw, ack_only, clicked))
    router.view(CallbackId.PRODUCTION_DECISION.value)(acked(hw, submitted, nudge_outbox(hw)))

"""Buttons on gate cards, reminders and prompts, and the small modals behind them.

Go votes at once; Go with conditions, Pivot, Hold and No-go open a rationale modal (filled at once when it
is ready, otherwise loading first, then filled: handlers/modals.py). A button on a gate that has closed
meanwhile answers politely instead of failing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from sqlmodel import select

from bot.app import Headway
from bot.delivery.settle import already
from bot.errors import HeadwayError
from bot.gates import manage, queries, timebox, voting
from bot.gates.form import VoteDraft, add_working_days, validate_vote
from bot.gates.notify import words
from bot.gates.voting import GateNotOpen
from bot.gates.wording import DECISION_LABELS
from bot.ids import ActionId, CallbackId, record_id
from bot.models import Experiment, GateDecision, Project
from bot.people import service as people
from bot.render import Message
from handlers.deferred import ack_only, acked, nudge_outbox, queued
from handlers.forms import read_state, view_metadata
from handlers.gates import done_message, gate_env, open_request_form
from handlers.modals import notice, open_then_fill
from handlers.replies import FORM_PROBLEMS, ack_form_problem
from handlers.router import Router

RATIONALE_VOTES = {
    ActionId.GATE_GO_CONDITIONS: GateDecision.GO_CONDITIONS, ActionId.GATE_PIVOT: GateDecision.PIVOT,
    ActionId.GATE_HOLD: GateDecision.HOLD, ActionId.GATE_NO_GO: GateDecision.NO_GO,
}


def _value(body: dict[str, Any]) -> str:
    try:
        return str(body["actions"][0].get("value") or "")
    except (KeyError, IndexError, AttributeError):
        return ""


def _number(body: dict[str, Any]) -> int | None:
    try:
        return record_id(_value(body))
    except ValueError:
        return None


async def answer(hw: Headway, body: dict[str, Any], message: Message) -> None:
    """A private answer to a button: in place of the click when Slack gave a response_url, else by DM."""
    if body.get("response_url"):
        await hw.gateway.respond_or_dm(body["response_url"], body["user"]["id"], message)
    else:
        await hw.gateway.post_message(body["user"]["id"], message)


def problem(hw: Headway, error: BaseException) -> Message:
    return hw.renderer.message("errors/problem.json.j2", problem=str(error))


async def vote_go(hw: Headway, body: dict[str, Any]) -> None:
    team_id, user_id, gate_id = body["team"]["id"], body["user"]["id"], _number(body)
    try:
        if gate_id is None:
            raise HeadwayError("That button is out of date.")
        async with hw.db.unit_of_work() as session:
            result = await voting.cast_vote(session, gate_env(hw), team_id, gate_id, user_id,
                                            VoteDraft(GateDecision.GO))
        hw.deliver()
        closed = DECISION_LABELS[result.verdict.outcome] if result.verdict else ""
        message = done_message(hw, "voted", gate_id=gate_id, label="Go", outcome=closed)
    except HeadwayError as error:
        message = problem(hw, error)
    await answer(hw, body, message)


async def open_vote_form(hw: Headway, body: dict[str, Any]) -> None:
    decision = RATIONALE_VOTES[ActionId(body["actions"][0]["action_id"])]
    title = DECISION_LABELS[decision]
    team_id, user_id, gate_id = body["team"]["id"], body["user"]["id"], _number(body)

    async def build() -> dict[str, Any]:
        if gate_id is None:
            raise HeadwayError("That button is out of date.")
        async with hw.db.unit_of_work() as session:
            gate = await queries.find_gate(session, team_id, gate_id)
            if gate.status != "open":
                raise GateNotOpen(voting.not_open_text(gate))
            project = await session.get(Project, gate.project_id)
            lifecycle = hw.lifecycle(project.lifecycle)  # type: ignore[union-attr]
            view = await queries.load_view(session, gate, lifecycle)
        mine = next((a.vote for a in view.approvers if a.user_id == user_id), None)
        if user_id not in {a.user_id for a in view.approvers}:
            raise HeadwayError(f"Only the approvers listed on gate #{gate_id} can vote on it.")
        stages = lifecycle.stages[: lifecycle.index(gate.from_stage) + 1]
        return hw.renderer.view(
            "gates/vote_form.json.j2", v=view, decision=decision.value, mine=mine, stages=stages,
            callback_id=CallbackId.GATE_VOTE, metadata={"gate": gate_id, "decision": decision.value},
            default_hold=add_working_days(hw.clock.now().date(), 10), voter=user_id, **words(lifecycle))

    await open_then_fill(hw, body["trigger_id"], title, build)


async def submit_vote(hw: Headway, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                      context: AsyncBoltContext) -> None:
    metadata = view_metadata(view)
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    try:
        gate_id, decision = record_id(metadata.get("gate")), GateDecision(metadata.get("decision"))
        if decision == GateDecision.NO_DECISION:
            raise ValueError(decision)
        async with hw.db.unit_of_work() as session:
            gate = await queries.find_gate(session, team_id, gate_id)
            project = await session.get(Project, gate.project_id)
            draft = validate_vote(decision, read_state(view), hw.lifecycle(project.lifecycle),  # type: ignore[union-attr]
                                  gate.from_stage, hw.clock.now().date())
            result = await voting.cast_vote(session, gate_env(hw), team_id, gate_id, user_id, draft)
    except FORM_PROBLEMS as error:
        await ack_form_problem(hw, ack, error, "Vote")
        return
    queued(context)
    closed = f" The gate is now closed: *{DECISION_LABELS[result.verdict.outcome]}*." if result.verdict else ""
    text = f":ballot_box_with_ballot: Your vote on gate #{gate_id} is in: *{DECISION_LABELS[decision]}*.{closed}"
    await ack(response_action="update", view=notice(hw, "Vote", text))


async def open_extend_form(hw: Headway, body: dict[str, Any]) -> None:
    team_id, user_id, gate_id = body["team"]["id"], body["user"]["id"], _number(body)

    async def build() -> dict[str, Any]:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            gate, _, lifecycle = await manage.authorized(session, gate_env(hw), actor, gate_id or 0)
            if gate.status != "open":
                raise GateNotOpen(voting.not_open_text(gate))
            view = await queries.load_view(session, gate, lifecycle)
        return hw.renderer.view("gates/extend_form.json.j2", v=view, callback_id=CallbackId.GATE_EXTEND,
                                metadata={"gate": gate_id},
                                default_deadline=add_working_days(hw.clock.now().date(), 3))

    await open_then_fill(hw, body["trigger_id"], "Extend the deadline", build)


async def submit_extend(hw: Headway, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                        context: AsyncBoltContext) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    try:
        gate_id = record_id(view_metadata(view).get("gate"))
        raw = read_state(view).get("deadline")
        until = date.fromisoformat(raw) if raw else None
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            await manage.extend(session, gate_env(hw), actor, gate_id, until)
    except FORM_PROBLEMS as error:
        await ack_form_problem(hw, ack, error, "Extend the deadline")
        return
    queued(context)
    await ack()


async def close_as_is(hw: Headway, body: dict[str, Any]) -> None:
    team_id, user_id, gate_id = body["team"]["id"], body["user"]["id"], _number(body)
    try:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            view = await manage.close_as_is(session, gate_env(hw), actor, gate_id or 0)
        hw.deliver()
        message = done_message(hw, "closed", gate_id=gate_id,
                               outcome=DECISION_LABELS[GateDecision(view.gate.outcome or "no_decision")])
    except HeadwayError as error:
        message = problem(hw, error)
    await answer(hw, body, message)


async def experiment_decided(hw: Headway, body: dict[str, Any]) -> bool:
    """A click on an old copy of a "timebox ended" prompt already answered: say what was decided, change nothing."""
    async with hw.db.unit_of_work() as session:
        experiment = await session.get(Experiment, _number(body) or 0)
    if experiment is None or experiment.team_id != body["team"]["id"]:
        return False
    what = timebox.decided_text(experiment, hw.clock.now().date())
    if what is None:
        return False
    await answer(hw, body, already(hw.renderer, what, at=experiment.concluded_at))
    return True


async def extend_experiment(hw: Headway, body: dict[str, Any]) -> None:
    team_id, user_id, experiment_id = body["team"]["id"], body["user"]["id"], _number(body)
    if await experiment_decided(hw, body):
        return
    try:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            experiment = await timebox.extend(session, actor, experiment_id or 0, hw.clock.now().date(),
                                              hw.clock.now())
            await timebox.settle_prompts(session, hw.renderer, experiment, "Extended a week", user_id,
                                         hw.clock.now())
        hw.deliver()
        message = done_message(hw, "experiment_extended", gate_id=experiment.id,
                               until=experiment.end_date.strftime("%a %d %b %Y"))
    except HeadwayError as error:
        message = problem(hw, error)
    await answer(hw, body, message)


async def open_conclude_form(hw: Headway, body: dict[str, Any]) -> None:
    pivot = body["actions"][0]["action_id"] == ActionId.GATE_EXPERIMENT_PIVOT
    title = "Pivot the experiment" if pivot else "Conclude experiment"
    team_id, user_id, experiment_id = body["team"]["id"], body["user"]["id"], _number(body)
    if await experiment_decided(hw, body):
        return

    async def build() -> dict[str, Any]:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            experiment = await timebox.check(session, actor, experiment_id or 0)
        return hw.renderer.view("gates/experiment_form.json.j2", experiment=experiment, pivot=pivot,
                                callback_id=CallbackId.GATE_EXPERIMENT_CONCLUDE,
                                metadata={"experiment": experiment.id, "pivot": pivot,
                                          "response_url": body.get("response_url")})

    await open_then_fill(hw, body["trigger_id"], title, build)


async def submit_conclude(hw: Headway, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                          context: AsyncBoltContext) -> None:
    metadata = view_metadata(view)
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    try:
        experiment_id = record_id(metadata.get("experiment"))
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            experiment = await timebox.conclude(session, actor, experiment_id,
                                                str(read_state(view).get("outcome") or ""),
                                                bool(metadata.get("pivot")), hw.clock.now())
            await timebox.settle_prompts(session, hw.renderer, experiment,
                                         "Pivoted" if metadata.get("pivot") else "Concluded", user_id,
                                         hw.clock.now())
    except FORM_PROBLEMS as error:
        await ack_form_problem(hw, ack, error, "Experiment", field="outcome")
        return
    context["headway_concluded"] = {"id": experiment_id, "response_url": metadata.get("response_url"),
                                    "user_id": user_id}
    await ack()


async def gate_already_requested(hw: Headway, body: dict[str, Any]) -> bool:
    """A click on an old copy of a prompt whose project already has an open gate: say so, change nothing."""
    async with hw.db.unit_of_work() as session:
        project = (await session.exec(select(Project).where(Project.team_id == body["team"]["id"],
                                                            Project.key == _value(body)[:12]))).first()
        gate = await queries.open_gate_of(session, project.id) if project is not None else None  # type: ignore[arg-type]
    if gate is None:
        return False
    await answer(hw, body, already(hw.renderer, f"gate #{gate.id} requested", by=gate.requested_by,
                                   at=gate.requested_at))
    return True


def register(router: Router, hw: Headway) -> None:

    def on_click(handler: Any) -> Any:
        async def run(body: dict[str, Any]) -> None:
            await handler(hw, body)
        return run

    def submitted(handler: Any) -> Any:
        async def run(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
            await handler(hw, ack, body, view, context)
        return run


    async def confirm_concluded(context: AsyncBoltContext) -> None:
        outcome = context.get("headway_concluded")
        hw.deliver()
        if outcome:
            message = done_message(hw, "experiment_closed", gate_id=outcome["id"])
            await answer(hw, {"response_url": outcome["response_url"], "user": {"id": outcome["user_id"]}}, message)

    async def request_from_prompt(body: dict[str, Any]) -> None:
        container = body.get("view") or {}
        if container.get("type") != "modal" and await gate_already_requested(hw, body):
            return
        await open_request_form(hw, body["trigger_id"], body["team"]["id"], body["user"]["id"], _value(body)[:12],
                                response_url=body.get("response_url"),
                                in_view=container.get("id") if container.get("type") == "modal" else None)

    router.action(ActionId.GATE_GO.value)(acked(hw, ack_only, on_click(vote_go)))
    for action in RATIONALE_VOTES:
        router.action(action.value)(acked(hw, ack_only, on_click(open_vote_form)))
    router.view(CallbackId.GATE_VOTE.value)(acked(hw, submitted(submit_vote), nudge_outbox(hw)))
    router.action(ActionId.GATE_EXTEND.value)(acked(hw, ack_only, on_click(open_extend_form)))
    router.view(CallbackId.GATE_EXTEND.value)(acked(hw, submitted(submit_extend), nudge_outbox(hw)))
    router.action(ActionId.GATE_CLOSE_AS_IS.value)(acked(hw, ack_only, on_click(close_as_is)))
    router.action(ActionId.GATE_REQUEST_OPEN.value)(acked(hw, ack_only, request_from_prompt))
    router.action(ActionId.GATE_EXPERIMENT_EXTEND.value)(acked(hw, ack_only, on_click(extend_experiment)))
    for action in (ActionId.GATE_EXPERIMENT_PIVOT, ActionId.GATE_EXPERIMENT_CONCLUDE):
        router.action(action.value)(acked(hw, ack_only, on_click(open_conclude_form)))
    router.view(CallbackId.GATE_EXPERIMENT_CONCLUDE.value)(acked(hw, submitted(submit_conclude), confirm_concluded))

"""`/gate …`: request, status, history, cancel, remind, conditions met; and the request form's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.errors import HeadwayError
from bot.gates import manage, queries
from bot.gates.approvers import ROLE_LABELS
from bot.gates.form import CRITERION_STATUSES, RULE_LABELS, validate_request
from bot.gates.notify import words
from bot.gates.queries import load_view
from bot.gates.service import all_away_on, create_gate, request_context
from bot.gates.voting import GateEnv
from bot.ids import CallbackId, record_id
from bot.people import service as people
from bot.projects import service as projects
from handlers.commands import register_command
from handlers.deferred import acked, nudge_outbox, queued
from handlers.forms import read_state, view_metadata
from handlers.modals import fill_view, open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import FORM_PROBLEMS, ack_form_problem, answer_here, answer_where_asked, respond
from handlers.requests import CommandRequest
from handlers.router import Router

PM_ONLY = "the project's PMs and admins"


def build_registry() -> CommandRegistry:
    registry = CommandRegistry("/gate", "Go/no-go decisions at lifecycle stage boundaries: exit criteria, named "
                                        "approvers, deadlines and an audit trail.")
    registry.add("help", "This list", None)
    registry.add("request", "Ask the approvers whether a project moves on (opens a form)", request,
                 args="KEY [to STAGE]", min_args=1, max_args=None, who=PM_ONLY, opens_modal=True)
    registry.add("status", "Open gates, or one project's gates and votes", status, args="[KEY]", max_args=1)
    registry.add("history", "Every gate, vote and change of vote of a project", history, args="KEY", min_args=1,
                 max_args=1)
    registry.add("cancel", "Withdraw an open gate", cancel, args="ID", min_args=1, max_args=1, who=PM_ONLY)
    registry.add("remind", "Nudge the approvers who have not voted yet", remind, args="ID", min_args=1, max_args=1,
                 who=PM_ONLY)
    registry.add("conditions met", "Mark a Go-with-conditions gate's conditions as met", conditions_met, args="ID",
                 min_args=1, max_args=1, who=PM_ONLY)
    return registry


def gate_env(hw: Headway) -> GateEnv:
    return GateEnv(hw.renderer, hw.lifecycle, hw.clock.now())


def gate_id(word: str) -> int:
    try:
        return record_id(word, "gate")
    except ValueError:
        raise HeadwayError(f"“{word[:20]}” is not a gate number; `/gate status` lists them, e.g. #3.") from None


def done_message(hw: Headway, what: str, **values: Any) -> Any:
    context = {"gate_id": 0, "label": "", "outcome": "", "count": 0, "until": ""} | values
    return hw.renderer.message("gates/done.json.j2", what=what, **context)


async def open_request_form(hw: Headway, trigger_id: str, team_id: str, user_id: str, key: str,
                            to_words: str = "", response_url: str | None = None, in_view: str | None = None) -> None:
    """Check the permission (one indexed read, well inside the trigger's 3 s), then open the form (filled when it
    is ready at once, else loading, then filled). Someone who may not request gets a private explanation."""
    try:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
            details = await projects.get_project(session, team_id, key)
            if not projects.can_edit(actor, details):
                raise HeadwayError(f"Only {details.project.key}'s PMs and Headway admins can request a gate. Ask "
                                   "one of them, or an admin.")
    except HeadwayError as error:
        message = hw.renderer.message("errors/problem.json.j2", problem=str(error))
        if response_url:
            await hw.gateway.respond_or_dm(response_url, user_id, message)
        else:
            await hw.gateway.post_message(user_id, message)
        return

    async def build() -> dict[str, Any]:
        async with hw.db.unit_of_work() as session:
            lifecycle = hw.lifecycle(details.project.lifecycle)
            ctx = await request_context(session, actor, details, lifecycle, to_words, hw.clock.now().date())
        return hw.renderer.view(
            "gates/request_form.json.j2", ctx=ctx, callback_id=CallbackId.GATE_REQUEST, statuses=CRITERION_STATUSES,
            rule_labels={k.value: v for k, v in RULE_LABELS.items()}, role_labels=ROLE_LABELS,
            metadata={"key": details.project.key, "leaving": ctx.leaving.key, "slots": list(ctx.slots),
                      "response_url": response_url if in_view is None else None})

    if in_view is not None:  # asked from inside a modal (the project form): the request form takes its place
        await fill_view(hw, in_view, "Request a gate", build)
        return
    await open_then_fill(hw, trigger_id, "Request a gate", build)


async def request(hw: Headway, req: CommandRequest) -> None:
    if len(req.args) > 1 and req.args[1].lower() != "to":
        raise HeadwayError("Usage: `/gate request KEY [to STAGE]`, e.g. `/gate request FRAUD to design`.")
    await open_request_form(hw, req.trigger_id, req.team_id, req.user_id, req.args[0], " ".join(req.args[2:]),
                            req.response_url)


async def status(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        if req.args:
            project = (await projects.get_project(session, req.team_id, req.args[0])).project
            gates = (await queries.gates_of(session, project.id))[-5:][::-1]  # type: ignore[arg-type]
            title, empty = f"Gates · {project.key}", f"No gates yet. `/gate request {project.key}` asks for one."
        else:
            gates = await queries.awaiting(session, req.team_id)
            title, empty = "Open gates and conditions", "No open gates. `/gate request KEY` asks for a decision."
        views = await queries.load_views(session, gates, hw.lifecycle)
    await respond(hw, req.response_url, "gates/status.json.j2", views=views, title=title, empty=empty,
                  detailed=bool(req.args), **words())


async def history(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        project = (await projects.get_project(session, req.team_id, req.args[0])).project
        lifecycle = hw.lifecycle(project.lifecycle)
        views = [await queries.load_view(session, g, lifecycle) for g in await queries.gates_of(session, project.id)]  # type: ignore[arg-type]
        transitions = await projects.stage_history(session, project)
    await respond(hw, req.response_url, "gates/history.json.j2", project=project, views=views,
                  transitions=transitions, **words(lifecycle))


async def _pm_action(hw: Headway, req: CommandRequest, action: Any) -> Any:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        outcome = await action(session, gate_env(hw), actor, gate_id(req.args[0]))
    hw.deliver()
    return outcome


async def cancel(hw: Headway, req: CommandRequest) -> None:
    view = await _pm_action(hw, req, manage.cancel)
    await hw.gateway.respond(req.response_url, done_message(hw, "cancelled", gate_id=view.gate.id))


async def remind(hw: Headway, req: CommandRequest) -> None:
    reminded = await _pm_action(hw, req, lambda s, e, a, i: manage.remind(s, e, a, i, req.trigger_id or "now"))
    await hw.gateway.respond(req.response_url, done_message(hw, "reminded", gate_id=gate_id(req.args[0]),
                                                            count=len(reminded)))


async def conditions_met(hw: Headway, req: CommandRequest) -> None:
    view = await _pm_action(hw, req, manage.conditions_met)
    await hw.gateway.respond(req.response_url, done_message(hw, "conditions_met", gate_id=view.gate.id))


def register(router: Router, hw: Headway) -> None:
    register_command(router, hw, build_registry())

    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        metadata = view_metadata(view)
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        try:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                details = await projects.get_project(session, team_id, str(metadata.get("key") or ""))
                lifecycle = hw.lifecycle(details.project.lifecycle)
                leaving = lifecycle.stage(str(metadata.get("leaving")))
                slots = tuple(s for s in metadata.get("slots") or [] if s in ROLE_LABELS)
                draft = validate_request(read_state(view), lifecycle, leaving, slots, hw.clock.now().date())
                here = bool(metadata.get("response_url"))
                gate = await create_gate(session, gate_env(hw), actor, details, lifecycle, draft, leaving.key,
                                         hw.gateway.profile, tell_requester=not here)
                if here:  # "your gate is out", where the request was made rather than by DM
                    gate_view = await load_view(session, gate, lifecycle)
                    all_away = await all_away_on(session, team_id, draft.approvers, draft.deadline)
                    answer_here(body, hw.renderer.message("gates/notice.json.j2", v=gate_view, what="requested",
                                                          all_away=all_away, **words(lifecycle)))
        except FORM_PROBLEMS as error:
            await ack_form_problem(hw, ack, error, "Request a gate")
            return
        queued(context)
        await ack()


    router.view(CallbackId.GATE_REQUEST.value)(acked(hw, submit, nudge_outbox(hw), answer_where_asked(hw)))

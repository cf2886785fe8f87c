"""Headway's custom steps in Workflow Builder (bot.steps): `request_gate`, `log_result`, `post_status`.

Bolt's `app.function` listeners acknowledge the `function_executed` event at once; the step then runs behind the
ack (hw.background) through the same services as `/gate request`, `/headway log` and `/headway show`, and ends
with `complete(outputs)` (functions.completeSuccess) or `fail(reason)` (functions.completeError) — a reason the
person who built the workflow can act on (unknown project, not allowed, bad input). A step never hangs: past
STEP_SECONDS it fails saying so.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail

from bot.app import Headway
from bot.delivery.outbox import enqueue
from bot.errors import HeadwayError, InvalidInput
from bot.experiments import measurements
from bot.gates.form import validate_request
from bot.gates.service import create_gate, request_context
from bot.ids import ActionId, StepId
from bot.people import service as people
from bot.production.overview import live_projects
from bot.projects import service as projects
from bot.projects.status import project_status
from bot.render.escaping import is_user_id
from bot.steps import CONFIDENCES
from handlers.delivery import channel_problem
from handlers.gates import gate_env

log = logging.getLogger(__name__)

STEP_SECONDS = 30.0  # far inside Slack's limit for a step, so a stuck call still ends in an answer
UNEXPECTED = ("Headway hit an unexpected problem running this step; nothing was changed. Try again, and tell your "
              "Headway admin if it keeps happening (the details are in Headway's log).")
Step = Callable[[Headway, "StepRun"], Awaitable[dict[str, Any]]]


class StepRun:
    """One execution: who runs it (team, the `requested_by` input), its inputs and ids."""

    def __init__(self, body: dict[str, Any], inputs: dict[str, Any]) -> None:
        event = body.get("event") or {}
        self.team_id = str(body.get("team_id") or "")
        self.app_id = str(body.get("api_app_id") or "")
        self.execution_id = str(event.get("function_execution_id") or "")
        self.inputs = inputs or {}

    def text(self, name: str, limit: int, *, required: str = "") -> str:
        value = self.inputs.get(name)
        text = value.strip() if isinstance(value, str) else ""
        if required and not text:
            raise InvalidInput({name: required})
        if len(text) > limit or "\x00" in text:
            raise InvalidInput({name: f"Keep {name} under {limit} characters of plain text."})
        return text

    def user(self, name: str = "requested_by") -> str:
        value = self.inputs.get(name)
        if not isinstance(value, str) or not is_user_id(value):
            raise InvalidInput({name: "Set “On behalf of” to “Person who used this workflow”."})
        return value


def _reason(error: HeadwayError) -> str:
    if isinstance(error, InvalidInput):
        return " ".join(f"{field}: {message}" for field, message in error.errors.items())
    return str(error)


async def request_gate(hw: Headway, run: StepRun) -> dict[str, Any]:
    user = run.user()
    key = run.text("project", 12, required="Give the project key, e.g. FRAUD.")
    summary = run.text("summary", 2000, required="Say in a few lines what the approvers decide on.")
    stage = run.text("stage", 100)
    chosen = run.inputs.get("approvers") or []
    if not isinstance(chosen, list) or not all(isinstance(u, str) and is_user_id(u) for u in chosen):
        raise InvalidInput({"approvers": "Pick people (Slack users) as approvers."})
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, run.team_id, user, hw.gateway.profile)
        details = await projects.get_project(session, run.team_id, key)
        lifecycle = hw.lifecycle(details.project.lifecycle)
        today: date = hw.clock.now().date()
        ctx = await request_context(session, actor, details, lifecycle, stage, today)
        if ctx.slots:
            raise HeadwayError(f"Moving {details.project.key} into {ctx.target.name} needs named sign-offs: run "
                               f"`/gate request {details.project.key} to {ctx.target.key}` in Slack instead.")
        raw = {"to_stage": ctx.target.key, "summary": f"{summary}\n(Requested by a workflow: exit criteria not "
                                                      "assessed yet.)"[:2000],
               "approvers": chosen or list(ctx.defaults.user_ids), "deadline": ctx.default_deadline.isoformat(),
               "rule": "all", **{f"crit_{c.key}": "na" for c in ctx.leaving.exit_criteria}}
        draft = validate_request(raw, lifecycle, ctx.leaving, ctx.slots, today)
        gate = await create_gate(session, gate_env(hw), actor, details, lifecycle, draft, ctx.leaving.key,
                                 hw.gateway.profile)
        gate_id = int(gate.id)  # type: ignore[arg-type]
    hw.deliver()
    # Slack's deep link to Headway's App Home, where open gates wait (api.slack.com/reference/deep-linking).
    return {"gate_id": gate_id, "gate_link": f"https://slack.com/app_redirect?app={run.app_id}&team={run.team_id}"}


async def log_result(hw: Headway, run: StepRun) -> dict[str, Any]:
    user = run.user()
    key = run.text("project", 12, required="Give the project key, e.g. FRAUD.")
    value = run.inputs.get("value")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput({"value": "Give the metric as a number, e.g. 0.84."})
    confidence = run.text("confidence", 8).lower() or None
    if confidence is not None and confidence not in CONFIDENCES:
        raise InvalidInput({"confidence": "Say low, medium or high (or leave it empty)."})
    note = run.text("note", 500)
    now = hw.clock.now()
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, run.team_id, user, hw.gateway.profile)
        project = (await projects.get_project(session, run.team_id, key)).project
        logged = await measurements.log_value(session, actor, key, project.metric_name, float(value), note,
                                              f"step:{run.execution_id}", now, confidence)
        history = (await measurements.series(session, [logged.project.id]))[logged.project.id]  # type: ignore[list-item]
    status = project_status(hw.renderer, logged.project, history, now.date())
    return {"label": status.judgement.label.value}


async def post_status(hw: Headway, run: StepRun) -> dict[str, Any]:
    key = run.text("project", 12, required="Give the project key, e.g. FRAUD.")
    channel = run.text("channel", 32, required="Pick the channel to post in.")
    if channel[:1] not in ("C", "G"):
        raise InvalidInput({"channel": "Pick a channel (not a person)."})
    problem = await channel_problem(hw, channel)
    if problem:
        raise HeadwayError(problem)
    now = hw.clock.now()
    async with hw.db.unit_of_work() as session:
        project = (await projects.get_project(session, run.team_id, key)).project
        history = (await measurements.series(session, [project.id]))[project.id]  # type: ignore[list-item]
        live = await live_projects(session, hw.renderer, [project], lambda p: hw.lifecycle(p.lifecycle), now)
        status = project_status(hw.renderer, project, history, now.date())
        message = hw.renderer.message("projects/status.json.j2", status=status, ids=ActionId,
                                      live=live[0] if live else None)
        await enqueue(session, team_id=run.team_id, kind="step_status", channel=channel,
                      key=f"step-status:{run.execution_id}", message=message)
    hw.deliver()
    return {}


STEPS: dict[StepId, Step] = {StepId.REQUEST_GATE: request_gate, StepId.LOG_RESULT: log_result,
                             StepId.POST_STATUS: post_status}


async def run_step(hw: Headway, step: Step, run: StepRun, complete: AsyncComplete, fail: AsyncFail) -> None:
    """Run the step and answer Slack exactly once: outputs, or a reason a person can act on."""
    try:
        async with asyncio.timeout(STEP_SECONDS):
            outputs = await step(hw, run)
    except HeadwayError as error:
        await _answer(fail, _reason(error)[:1000])
        return
    except TimeoutError:
        await _answer(fail, f"Headway did not finish within {STEP_SECONDS:g} s (Slack or the database was too "
                            "slow); nothing may have changed. Run the workflow again.")
        return
    except Exception:
        log.exception("custom step %s (%s) failed", step.__name__, run.execution_id)
        await _answer(fail, UNEXPECTED)
        return
    await _answer(complete, outputs)


async def _answer(answer: AsyncComplete | AsyncFail, value: Any) -> None:
    try:
        response = await answer(value)
        if not response.get("ok"):
            log.error("Slack refused %s for a custom step: %s", type(answer).__name__, response.get("error"))
    except Exception as error:  # SlackApiError and network errors: logged, never raised into the listener
        log.error("could not answer a custom step: %s", error)


def register_steps(app: AsyncApp, hw: Headway) -> None:
    """Before the router attaches: Bolt runs the first listener that matches, and the router takes every event."""
    for step_id, step in STEPS.items():
        def listener(step: Step = step) -> Callable[..., Awaitable[None]]:
            async def on_step(ack: AsyncAck, body: dict[str, Any], inputs: dict[str, Any],
                              complete: AsyncComplete, fail: AsyncFail) -> None:
                hw.background.spawn(run_step(hw, step, StepRun(body, inputs), complete, fail))

            on_step.__name__ = on_step.__qualname__ = f"step_{step.__name__}"
            return on_step

        app.function(step_id.value)(listener())

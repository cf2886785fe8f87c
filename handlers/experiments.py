"""`/headway log`, `experiment`, `goal`, `token`: where experiment progress comes from, typed into Slack."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.errors import HeadwayError, InvalidInput
from bot.experiments import experiments, measurements, tokens
from bot.gates import timebox
from bot.ids import CallbackId, record_id
from bot.models import Project
from bot.people import service as people
from bot.progress.judgement import MetricSpec, progress_fraction
from bot.projects.service import get_project
from handlers.deferred import acked, nudge_outbox, queued
from handlers.forms import read_state, view_metadata
from handlers.modals import open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import answer_where_asked, confirm_saved, respond
from handlers.requests import CommandRequest
from handlers.router import Router


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("token", "Create an API token for a project's training pipelines (shown once)", issue_token,
                 args="KEY", min_args=1, max_args=1, who="the project's PMs and admins")
    registry.add("log", "Record a metric value, e.g. /headway log FRAUD recall=0.81 tuned thresholds", log_value,
                 args="KEY metric=value [note]", min_args=2, max_args=None, who="the project's people")
    registry.add("experiment new", "Start a timeboxed experiment (opens a form)", open_experiment_form, args="KEY",
                 min_args=1, max_args=1, who="the project's people", opens_modal=True)
    registry.add("experiment close", "Conclude an experiment with what you learned", close_experiment,
                 args="ID [outcome]", min_args=1, max_args=None)
    registry.add("goal", "Set this week's goal, e.g. /headway goal FRAUD try merchant features target=0.8", set_goal,
                 args="KEY text [target=VALUE]", min_args=2, max_args=None, who="the project's people")
    registry.add("token revoke", "Revoke every API token of a project", revoke_tokens, args="KEY", min_args=1,
                 max_args=1, who="the project's PMs and admins")


async def issue_token(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        issued = await tokens.issue(session, actor, req.args[0])
        project = await session.get(Project, issued.token.project_id)
    await respond(hw, req.response_url, "experiments/token.json.j2", key=project.key, plaintext=issued.plaintext,
                  metric=project.metric_name, api_url=hw.settings.base_url, revoked=None)


async def revoke_tokens(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        count = await tokens.revoke_all(session, actor, req.args[0])
    await respond(hw, req.response_url, "experiments/token.json.j2", key=req.args[0].upper()[:12], revoked=count,
                  plaintext="", metric="", api_url="")


async def log_value(hw: Headway, req: CommandRequest) -> None:
    key, assignment, note = req.args[0], req.args[1], " ".join(req.args[2:])
    metric, _, raw = assignment.partition("=")
    try:
        value = float(raw.strip().rstrip("%"))
    except ValueError:
        raise HeadwayError(f"`{assignment[:40]}` is not `metric=value`; try `/headway log {key.upper()[:12]} "
                           "recall=0.81 tuned thresholds`.") from None
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        logged = await measurements.log_value(session, actor, key, metric.strip(), value, note[:500],
                                              f"slack:{req.trigger_id}", hw.clock.now())
    await respond(hw, req.response_url, "experiments/logged.json.j2", **logged_context(logged, value, hw.clock.now()))


def logged_context(logged: Any, value: float, now: Any) -> dict[str, Any]:
    """What experiments/logged.json.j2 shows about a value just logged (a command or a shortcut)."""
    project, previous = logged.project, logged.previous
    spec = MetricSpec.of(project)
    change = value - previous.value if previous else None
    better = None if not change else (change > 0) == (spec.direction == "higher")
    return dict(project=project, value=value, previous=previous, change=change, better=better,
                duplicate=logged.duplicate, progress=progress_fraction(spec, value), now=now)


async def open_experiment_form(hw: Headway, req: CommandRequest) -> None:
    async def build() -> dict[str, Any]:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
            details = await get_project(session, req.team_id, req.args[0])
        if not experiments.on_project(actor, details):
            raise HeadwayError(f"Only people on {details.project.key} (and Headway admins) can add experiments.")
        today = hw.clock.now().date()
        return hw.renderer.view("experiments/form.json.j2", callback_id=CallbackId.EXPERIMENT_FORM,
                                project=details.project, user_id=req.user_id, today=today,
                                default_end=today + timedelta(days=7),
                                metadata={"key": details.project.key, "response_url": req.response_url or None})

    await open_then_fill(hw, req.trigger_id, "New experiment", build)


async def close_experiment(hw: Headway, req: CommandRequest) -> None:
    try:
        experiment_id = record_id(req.args[0], "experiment")
    except ValueError:
        raise HeadwayError("Give the experiment's number, e.g. `/headway experiment close 12 what we learned`.") \
            from None
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        experiment = await experiments.close_experiment(session, actor, experiment_id, " ".join(req.args[1:]),
                                                        hw.clock.now())
        await timebox.settle_prompts(session, hw.renderer, experiment, "Concluded", req.user_id, hw.clock.now())
        project = await session.get(Project, experiment.project_id)
    hw.deliver()
    await respond(hw, req.response_url, "experiments/done.json.j2", what="closed", experiment=experiment,
                  key=project.key)


async def set_goal(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        goal = await experiments.set_weekly_goal(session, actor, req.args[0], " ".join(req.args[1:]),
                                                 hw.clock.now().date())
    await respond(hw, req.response_url, "experiments/done.json.j2", what="goal", goal=goal,
                  key=req.args[0].upper()[:12])


def register(router: Router, hw: Headway) -> None:
    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        key = view_metadata(view).get("key") or ""
        try:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                draft = experiments.validate_experiment(read_state(view), actor, hw.clock.now().date())
                experiment = await experiments.create_experiment(session, actor, key, draft, hw.clock.now().date())
                await confirm_saved(hw, session, body, "experiments/done.json.j2", what="started",
                                    experiment=experiment, key=key)
        except InvalidInput as error:
            await ack(response_action="errors", errors=error.errors)
            return
        except HeadwayError as error:
            await ack(response_action="errors", errors={"hypothesis": str(error)[:2000]})
            return
        queued(context)
        await ack()


    router.view(CallbackId.EXPERIMENT_FORM.value)(acked(hw, submit, nudge_outbox(hw), answer_where_asked(hw)))

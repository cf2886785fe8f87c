"""`/headway token`, `/headway log`: pipelines' API tokens, and metric values typed into Slack."""

from __future__ import annotations

from bot.app import Headway
from bot.errors import HeadwayError
from bot.experiments import measurements, tokens
from bot.models import Project
from bot.people import service as people
from bot.progress.judgement import MetricSpec, progress_fraction
from handlers.registry import CommandRegistry
from handlers.replies import respond
from handlers.requests import CommandRequest


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("token", "Create an API token for a project's training pipelines (shown once)", issue_token,
                 args="KEY", min_args=1, max_args=1, who="the project's PMs and admins")
    registry.add("log", "Record a metric value, e.g. /headway log FRAUD recall=0.81 tuned thresholds", log_value,
                 args="KEY metric=value [note]", min_args=2, max_args=None, who="the project's people")
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
    project, previous = logged.project, logged.previous
    spec = MetricSpec.of(project)
    change = value - previous.value if previous else None
    better = None if not change else (change > 0) == (spec.direction == "higher")
    await respond(hw, req.response_url, "experiments/logged.json.j2", project=project, value=value,
                  previous=previous, change=change, better=better, duplicate=logged.duplicate,
                  progress=progress_fraction(spec, value), now=hw.clock.now())

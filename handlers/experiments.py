"""`/headway token`, `/headway log`: pipelines' API tokens, and metric values typed into Slack."""

from __future__ import annotations

from bot.app import Headway
from bot.experiments import tokens
from bot.models import Project
from bot.people import service as people
from handlers.registry import CommandRegistry
from handlers.replies import respond
from handlers.requests import CommandRequest


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("token", "Create an API token for a project's training pipelines (shown once)", issue_token,
                 args="KEY", min_args=1, max_args=1, who="the project's PMs and admins")
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

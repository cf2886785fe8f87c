"""`/headway project …`: new, list, show, edit, and the project form's submission."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.errors import HeadwayError, InvalidInput
from bot.experiments import experiments, measurements
from bot.ids import CallbackId
from bot.models import ProjectState
from bot.people import service as people
from bot.production.overview import live_projects
from bot.projects import follow_through
from bot.projects import service as projects
from bot.projects.card import describe
from bot.projects.draft import validate_draft
from bot.projects.status import project_status
from handlers.deferred import acked, nudge_outbox, queued
from handlers.forms import read_state, view_metadata
from handlers.modals import open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import confirm_saved, respond
from handlers.requests import CommandRequest
from handlers.router import Router

log = logging.getLogger(__name__)


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("project new", "Set up a new ML project (opens a form)", open_new_form, who="PMs and admins")
    registry.add("project list", "All projects with their stage and state", list_projects)
    registry.add("project show", "A project in plain business language", show_project, args="KEY", min_args=1,
                 max_args=1)
    registry.add("show", "Where a project stands: headline, judgement, trend, outlook", show_status, args="KEY",
                 min_args=1, max_args=1)
    registry.add("project edit", "Change a project's definition, stage or state", open_edit_form, args="KEY",
                 min_args=1, max_args=1, who="the project's PMs and admins")


async def open_new_form(hw: Headway, req: CommandRequest) -> None:
    await _open_form(hw, req, key=None)


async def open_edit_form(hw: Headway, req: CommandRequest) -> None:
    await _open_form(hw, req, key=req.args[0])


async def _open_form(hw: Headway, req: CommandRequest, key: str | None) -> None:
    """Open a placeholder modal at once (the trigger expires in 3 s), then fill it."""
    await open_then_fill(hw, req.trigger_id, "Edit project" if key else "New ML project",
                         lambda: _form_view(hw, req, key))


async def _form_view(hw: Headway, req: CommandRequest, key: str | None) -> dict[str, Any]:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        workspace = await people.ensure_workspace(session, req.team_id)
        details = await projects.get_project(session, req.team_id, key) if key else None
    if details is None and not projects.can_create(actor):
        raise HeadwayError("Only PMs and Headway admins can create projects. An admin can give you the PM role "
                           "with `/headway role @you pm`.")
    if details is not None and not projects.can_edit(actor, details):
        raise HeadwayError(f"Only {details.project.key}'s PMs and Headway admins can edit it.")
    lifecycle = hw.lifecycle(details.project.lifecycle if details else workspace.lifecycle)
    return hw.renderer.view(
        "projects/form.json.j2", callback_id=CallbackId.PROJECT_FORM, project=details.project if details else None,
        pm_ids=list(details.pm_ids) if details else [req.user_id],
        member_ids=list(details.member_ids) if details else [],
        lifecycle=lifecycle, states=[s.value for s in ProjectState], today=hw.clock.now().date(),
        metadata={"key": key.upper() if key else None, "channel": req.channel_id},
    )


async def list_projects(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        workspace = await people.ensure_workspace(session, req.team_id)
        rows = await projects.list_projects(session, req.team_id)
    today = hw.clock.now().date()
    items = [describe(projects.ProjectDetails(p, (), ()), hw.lifecycle(p.lifecycle or workspace.lifecycle), today)
             for p in rows]
    summaries = [
        {"key": c.project.key, "name": c.project.name, "stage_name": c.stage_name, "state_label": c.state_label,
         "expected_date": c.project.expected_date} for c in items
    ]
    await respond(hw, req.response_url, "projects/list.json.j2", projects=summaries)


async def show_project(hw: Headway, req: CommandRequest) -> None:
    today = hw.clock.now().date()
    async with hw.db.unit_of_work() as session:
        details = await projects.get_project(session, req.team_id, req.args[0])
        follow = await follow_through.for_project(session, details.project, today)
    card = describe(details, hw.lifecycle(details.project.lifecycle), today)
    await respond(hw, req.response_url, "projects/card.json.j2", card=card, now=hw.clock.now(), follow=follow)


async def show_status(hw: Headway, req: CommandRequest) -> None:
    today = hw.clock.now().date()
    async with hw.db.unit_of_work() as session:
        project = (await projects.get_project(session, req.team_id, req.args[0])).project
        history = (await measurements.series(session, [project.id]))[project.id]
        bets = await experiments.experiments_of(session, project.id)
        goal = await experiments.goal_for_week(session, project.id, today)
        live = await live_projects(session, hw.renderer, [project], lambda p: hw.lifecycle(p.lifecycle),
                                   hw.clock.now())
    status = project_status(hw.renderer, project, history, today, bets, goal)
    await respond(hw, req.response_url, "projects/status.json.j2", status=status, live=live[0] if live else None)


def register(router: Router, hw: Headway) -> None:
    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        metadata = view_metadata(view)
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        block_ids = {b.get("block_id") for b in view.get("blocks", [])}
        try:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                workspace = await people.ensure_workspace(session, team_id)
                original = metadata.get("key")
                lifecycle = hw.lifecycle(workspace.lifecycle)
                if original:
                    current = await projects.get_project(session, team_id, original)
                    lifecycle = hw.lifecycle(current.project.lifecycle)
                draft = validate_draft(read_state(view), lifecycle, hw.clock.now().date())
                if original:
                    details = await projects.update_project(session, actor, original, draft)
                else:
                    details = await projects.create_project(session, actor, draft, lifecycle.key)
                await confirm_saved(hw, session, body, "projects/saved.json.j2", key=details.project.key,
                                    name=details.project.name, created=not original)
        except InvalidInput as error:
            await ack(response_action="errors", errors=_inline(error.errors, block_ids))
            return
        except HeadwayError as error:
            await ack(response_action="errors", errors={"key": str(error)[:2000]})
            return
        queued(context)
        await ack()


    router.view(CallbackId.PROJECT_FORM.value)(acked(hw, submit, nudge_outbox(hw)))



def _inline(errors: dict[str, str], block_ids: set[str | None]) -> dict[str, str]:
    """Errors for fields missing from the form land on the first field, so none is silently dropped."""
    inline: dict[str, str] = {}
    for field, message in errors.items():
        target = field if field in block_ids else "key"
        inline[target] = f"{inline[target]} {message}" if target in inline else message
    return inline

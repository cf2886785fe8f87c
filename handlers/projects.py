"""`/headway project …`: new, list, show, edit, and the project form's submission."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.canvases.service import canvas_of
from bot.delivery.outbox import enqueue
from bot.digests import listing
from bot.errors import HeadwayError, InvalidInput
from bot.experiments import experiments, measurements
from bot.ids import ActionId, CallbackId
from bot.models import ProjectState
from bot.people import service as people
from bot.production.overview import live_projects
from bot.projects import follow_through, lifecycles
from bot.projects import history as project_history
from bot.projects import service as projects
from bot.projects.card import describe
from bot.projects.saving import save_form
from bot.projects.status import project_status
from bot.standups.schedule import zone
from handlers.deferred import acked, nudge_outbox, queued
from handlers.delivery import channel_problem
from handlers.forms import read_state, view_metadata
from handlers.lifecycles import lifecycle_map_view
from handlers.modals import open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import answer_where_asked, confirm_saved, respond
from handlers.requests import CommandRequest
from handlers.router import Router

log = logging.getLogger(__name__)


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("project new", "Set up a new ML project (opens a form)", open_new_form, who="PMs and admins",
                 opens_modal=True)
    registry.add("project list", "The whole portfolio: active, paused, shipped and stopped projects", list_projects,
                 args="[active|paused|shipped|stopped|all]", max_args=1)
    registry.add("project show", "A project in plain business language", show_project, args="KEY", min_args=1,
                 max_args=1)
    registry.add("show", "Where a project stands: headline, judgement, trend, outlook", show_status, args="KEY",
                 min_args=1, max_args=1)
    registry.add("project edit", "Change a project's definition (moving a goalpost asks why)", open_edit_form,
                 args="KEY", min_args=1, max_args=1, who="the project's PMs and admins", opens_modal=True)
    registry.add("project history", "Everything decided about a project, in order (newest page first)",
                 show_history, args="KEY [page]", min_args=1, max_args=2)


async def open_new_form(hw: Headway, req: CommandRequest) -> None:
    await _open_form(hw, req, key=None)


async def open_edit_form(hw: Headway, req: CommandRequest) -> None:
    await _open_form(hw, req, key=req.args[0])


async def _open_form(hw: Headway, req: CommandRequest, key: str | None) -> None:
    """Open the form within the trigger's 3 s: filled when it is ready at once, else a placeholder, then filled."""
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
    may_move = details is None or projects.can_move_directly(actor)
    return hw.renderer.view(
        "projects/form.json.j2", callback_id=CallbackId.PROJECT_FORM, project=details.project if details else None,
        pm_ids=list(details.pm_ids) if details else [req.user_id],
        member_ids=list(details.member_ids) if details else [],
        lifecycle=lifecycle, states=[s.value for s in ProjectState], today=hw.clock.now().date(),
        may_move=may_move, lifecycles=hw.lifecycle_choices() if may_move else (), ids=ActionId,
        metadata={"key": key.upper() if key else None, "channel": req.channel_id,
                  "response_url": req.response_url or None},
    )


async def list_projects(hw: Headway, req: CommandRequest) -> None:
    try:
        which = listing.parse_which(req.args[0] if req.args else None)
    except InvalidInput as error:
        usage = "Usage: `/headway project list [active|paused|shipped|stopped|all]`."
        raise HeadwayError(f"{usage} {error.errors['state']}") from None
    async with hw.db.unit_of_work() as session:
        person = await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        tz = zone(person.tz)
        groups = await listing.project_groups(session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), req.team_id,
                                              hw.clock.now().astimezone(tz).date(), tz, which)
    await respond(hw, req.response_url, "projects/list.json.j2", groups=groups, which=which)


async def show_project(hw: Headway, req: CommandRequest) -> None:
    today = hw.clock.now().date()
    async with hw.db.unit_of_work() as session:
        details = await projects.get_project(session, req.team_id, req.args[0])
        follow = await follow_through.for_project(session, details.project, today)
        canvas = await canvas_of(session, details.project)
    card = describe(details, hw.lifecycle(details.project.lifecycle), today)
    await respond(hw, req.response_url, "projects/card.json.j2", card=card, now=hw.clock.now(), follow=follow,
                  canvas_url=canvas)


HISTORY_PAGE = 40  # entries per answer: two per section keeps it inside Slack's 50 blocks


async def show_history(hw: Headway, req: CommandRequest) -> None:
    page = req.args[1] if len(req.args) > 1 else "1"
    if not page.isdigit() or int(page) < 1:
        raise HeadwayError(f"`{page[:20]}` is not a page number. Usage: `/headway project history KEY [page]`.")
    async with hw.db.unit_of_work() as session:
        project = (await projects.get_project(session, req.team_id, req.args[0])).project
        entries = await project_history.history(session, project, hw.lifecycle)
    pages = max(1, -(-len(entries) // HISTORY_PAGE))
    number = min(int(page), pages)
    end = len(entries) - (number - 1) * HISTORY_PAGE
    await respond(hw, req.response_url, "projects/history.json.j2", project=project,
                  entries=entries[max(0, end - HISTORY_PAGE):end], total=len(entries), page=number, pages=pages)


async def show_status(hw: Headway, req: CommandRequest) -> None:
    """The project's status as of today in the asker's time zone (their "this week")."""
    async with hw.db.unit_of_work() as session:
        person = await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        tz = zone(person.tz)
        today = hw.clock.now().astimezone(tz).date()
        project = (await projects.get_project(session, req.team_id, req.args[0])).project
        history = (await measurements.series(session, [project.id]))[project.id]
        bets = await experiments.experiments_of(session, project.id)
        goal = await experiments.goal_for_week(session, project.id, today)
        live = await live_projects(session, hw.renderer, [project], lambda p: hw.lifecycle(p.lifecycle),
                                   hw.clock.now())
    status = project_status(hw.renderer, project, history, today, bets, goal, tz=tz)
    await respond(hw, req.response_url, "projects/status.json.j2", status=status, ids=ActionId,
                  live=live[0] if live else None)


async def announce_new(hw: Headway, session: Any, project: Any, user_id: str) -> None:
    """A new project says so where it will report (its channel), once."""
    if project.channel_id:
        await enqueue(session, team_id=project.team_id, key=f"project:{project.id}:created", kind="project_created",
                      channel=project.channel_id,
                      message=hw.renderer.message("projects/announced.json.j2", project=project, by=user_id))


def register(router: Router, hw: Headway) -> None:
    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        metadata = view_metadata(view)
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        block_ids = {b.get("block_id") for b in view.get("blocks", [])}
        problem = await channel_problem(hw, read_state(view).get("channel"))
        if problem:
            await ack(response_action="errors", errors={"channel": problem})
            return
        try:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                workspace = await people.ensure_workspace(session, team_id)
                original = metadata.get("key")
                saved = await save_form(session, hw.renderer, actor, original, read_state(view), hw.lifecycle,
                                        hw.lifecycle_choices(), workspace.lifecycle, hw.clock.now())
                details = saved.details
                await confirm_saved(hw, session, body, "projects/saved.json.j2", key=details.project.key,
                                    name=details.project.name, created=not original)
                if not original:
                    await announce_new(hw, session, details.project, user_id)
        except InvalidInput as error:
            await ack(response_action="errors", errors=_inline(error.errors, block_ids))
            return
        except HeadwayError as error:
            await ack(response_action="errors", errors={"key": str(error)[:2000]})
            return
        queued(context)
        if saved.needs_stage_in is not None:  # the new lifecycle has no stage of the same name: ask for it
            await ack(response_action="update", view=lifecycle_map_view(
                hw, saved.needs_stage_in, [lifecycles.Mapping_(details.project, saved.old_lifecycle, None)],
                scope="project", key=details.project.key))
            return
        await ack()

    router.view(CallbackId.PROJECT_FORM.value)(acked(hw, submit, nudge_outbox(hw), answer_where_asked(hw)))



def _inline(errors: dict[str, str], block_ids: set[str | None]) -> dict[str, str]:
    """Errors for fields missing from the form land on the first field, so none is silently dropped."""
    inline: dict[str, str] = {}
    for field, message in errors.items():
        target = field if field in block_ids else "key"
        inline[target] = f"{inline[target]} {message}" if target in inline else message
    return inline

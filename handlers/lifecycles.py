"""`/headway lifecycle`: the workspace's lifecycle, and (admins) switching to another, with the stages of
projects that have no namesake in the new lifecycle asked for in a modal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.delivery.settle import already
from bot.errors import HeadwayError, InvalidInput
from bot.ids import ActionId, CallbackId
from bot.lifecycle import Lifecycle
from bot.people import service as people
from bot.projects import lifecycles
from bot.projects import service as projects
from handlers.deferred import ack_only, acked, nudge_outbox, queued
from handlers.forms import read_state, view_metadata
from handlers.modals import open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import ack_form_problem, answer_where_asked, confirm_saved, respond
from handlers.requests import CommandRequest
from handlers.router import Router


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("lifecycle", "The workspace's lifecycle stages; admins switch to another set", show_lifecycle,
                 who="everyone sees it; admins switch")


def _choice(hw: Headway, key: str) -> Lifecycle:
    for choice in hw.lifecycle_choices():
        if choice.key == key:
            return choice
    raise HeadwayError("That lifecycle is no longer available; run `/headway lifecycle` again.")


async def show_lifecycle(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        workspace = await people.ensure_workspace(session, req.team_id)
        current = hw.lifecycle(workspace.lifecycle)
        counts: dict[str, int] = {}
        for project in await projects.list_projects(session, req.team_id):
            key = hw.lifecycle(project.lifecycle).key
            counts[key] = counts.get(key, 0) + 1
    await respond(hw, req.response_url, "projects/lifecycle.json.j2", current=current,
                  choices=[c for c in hw.lifecycle_choices() if c.key != current.key], counts=counts,
                  is_admin=actor.is_admin, ids=ActionId)


def lifecycle_map_view(hw: Headway, new: Lifecycle, mappings: Sequence[lifecycles.Mapping_], *, scope: str,
                       key: str | None = None, response_url: str | None = None) -> dict[str, Any]:
    """The modal that confirms a switch and asks for each stage without a namesake in `new`."""
    return hw.renderer.view("projects/lifecycle_map.json.j2", callback_id=CallbackId.LIFECYCLE_MAP, new=new,
                            mapped=[m for m in mappings if m.new_stage],
                            unmapped=[m for m in mappings if not m.new_stage], field=lifecycles.stage_field,
                            scope=scope,
                            metadata={"scope": scope, "key": key, "lifecycle": new.key, "response_url": response_url})


def register(router: Router, hw: Headway) -> None:
    async def open_switch(body: dict[str, Any]) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        wanted = str((body.get("actions") or [{}])[0].get("value") or "")[:64]

        async with hw.db.unit_of_work() as session:
            workspace = await people.ensure_workspace(session, team_id)
        if hw.lifecycle(workspace.lifecycle).key == wanted:
            message = already(hw.renderer, f"this workspace uses the {hw.lifecycle(workspace.lifecycle).name}")
            if body.get("response_url"):
                await hw.gateway.respond_or_dm(body["response_url"], user_id, message)
            else:
                await hw.gateway.post_message(user_id, message)
            return

        async def build() -> dict[str, Any]:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                if not actor.is_admin:
                    raise HeadwayError("Only Headway admins can change the workspace's lifecycle.")
                workspace = await people.ensure_workspace(session, team_id)
                current, new = hw.lifecycle(workspace.lifecycle), _choice(hw, wanted)
                following = await lifecycles.following(session, team_id, current, lambda p: hw.lifecycle(p.lifecycle))
            mappings = lifecycles.plan(following, lambda p: hw.lifecycle(p.lifecycle), new)
            return lifecycle_map_view(hw, new, mappings, scope="workspace", response_url=body.get("response_url"))

        await open_then_fill(hw, body["trigger_id"], "Switch lifecycle", build)

    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        metadata = view_metadata(view)
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        now = hw.clock.now()
        try:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                new = _choice(hw, str(metadata.get("lifecycle") or ""))
                picked = {k: v for k, v in read_state(view).items() if isinstance(v, str)}
                if metadata.get("scope") == "project":
                    details = await projects.get_project(session, team_id, str(metadata.get("key") or ""))
                    if not projects.can_edit(actor, details):
                        raise HeadwayError(f"Only {details.project.key}'s PMs and Headway admins can change it.")
                    await lifecycles.switch_project(session, actor, details.project,
                                                    hw.lifecycle(details.project.lifecycle), new, picked, now)
                    moved = 1
                else:
                    workspace = await people.ensure_workspace(session, team_id)
                    moved = await lifecycles.switch_workspace(session, actor, hw.lifecycle(workspace.lifecycle), new,
                                                              lambda p: hw.lifecycle(p.lifecycle), picked, now)
                await confirm_saved(hw, session, body, "projects/lifecycle_switched.json.j2", new=new, moved=moved,
                                    scope=metadata.get("scope"), key=metadata.get("key"),
                                    replace_original=metadata.get("scope") == "workspace")
        except InvalidInput as error:
            await ack(response_action="errors", errors=error.errors)
            return
        except HeadwayError as error:
            await ack_form_problem(hw, ack, error, "Switch lifecycle")
            return
        queued(context)
        await ack()

    router.action(ActionId.LIFECYCLE_PICK.value)(acked(hw, ack_only, open_switch))
    router.view(CallbackId.LIFECYCLE_MAP.value)(acked(hw, submit, nudge_outbox(hw), answer_where_asked(hw)))

"""First contact in Slack: the Home tab's "Get started" buttons, DMs to the bot, and the two shortcuts.

- Get started: create a project / set up a standup (the same forms as the commands), subscribe to the digest,
  give roles (how, in a notice), what can I do (the grouped help).
- A DM to the bot is answered with help, or with the command it looks like ("did you mean").
- Global shortcut "Log a metric" and message shortcut "Set as weekly goal": a modal on a chosen project.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.delivery.outbox import enqueue
from bot.digests import service as digests
from bot.errors import HeadwayError, InvalidInput
from bot.experiments import experiments, measurements
from bot.ids import ActionId, CallbackId
from bot.models import DigestKind, ProjectState
from bot.people import service as people
from bot.projects.service import get_project, list_projects
from handlers import gates, headway, projects, standups
from handlers.commands import help_message
from handlers.deferred import ack_only, acked, nudge_outbox, queued
from handlers.experiments import logged_context
from handlers.forms import read_state
from handlers.home import publish_home
from handlers.modals import notice, open_then_fill
from handlers.registry import HelpTopic, Resolved
from handlers.replies import confirm_saved
from handlers.requests import CommandRequest
from handlers.router import Router

ROLES_HOW = ("Give someone a role with `/headway role @person pm` (or `exec`, `admin`; `member` clears them). "
             "`/headway role @person` shows their roles. PMs create projects and standups; executives get the "
             "weekly digest and approve gates; admins give roles.")


def _request(body: dict[str, Any]) -> CommandRequest:
    """A Home button or shortcut as the command it stands for (no channel: confirmations come by DM)."""
    return CommandRequest(team_id=body["team"]["id"], user_id=body["user"]["id"], channel_id="", command="/headway",
                          text="", args=(), trigger_id=body.get("trigger_id", ""), response_url="")


def answer_to_dm(hw: Headway, text: str) -> Any:
    """Help for "help" (or nothing), the command a message names, or the closest one."""
    words = text.strip().removeprefix("/").split()
    registries = {r.command.lstrip("/"): r for r in (headway.build_registry(), standups.build_registry(),
                                                    gates.build_registry())}
    registry = registries["headway"]
    if words and words[0].lower() in registries:
        registry, words = registries[words[0].lower()], words[1:]
    resolved = registry.resolve(" ".join(words))
    if isinstance(resolved, HelpTopic):
        return help_message(hw, registry, resolved)
    if isinstance(resolved, Resolved):
        if resolved.sub.run is None:
            return help_message(hw, registry)
        usage = f"{registry.command} {' '.join(words)}".strip()
        return hw.renderer.message("errors/problem.json.j2",
                                   problem=f"Type `{usage}` as a command (in the message box, starting with /): "
                                           "I only answer commands, not messages.")
    if not resolved.suggestions and "Did you mean" not in resolved.problem:
        return help_message(hw, registry)  # "hi", "thanks"…: what Headway can do is the useful answer
    return hw.renderer.message("commands/usage.json.j2", command=registry.command, problem=resolved.problem,
                               suggestions=resolved.suggestions)


def register(router: Router, hw: Headway) -> None:
    _register_get_started(router, hw)
    _register_dm(router, hw)
    _register_shortcuts(router, hw)


def _register_get_started(router: Router, hw: Headway) -> None:
    async def new_project(body: dict[str, Any]) -> None:
        await projects.open_new_form(hw, _request(body))

    async def new_standup(body: dict[str, Any]) -> None:
        await standups.open_new_form(hw, _request(body))

    async def subscribe(body: dict[str, Any]) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        async with hw.db.unit_of_work() as session:
            await people.ensure_person(session, team_id, user_id, hw.gateway.profile)
            await digests.subscribe(session, team_id, user_id, DigestKind.EXEC, None)
            await enqueue(session, team_id=team_id, key=f"subscribed:{team_id}:{user_id}:{body.get('trigger_id')}",
                          kind="form_saved", channel=user_id,
                          message=hw.renderer.message("digests/subscribed.json.j2", what="subscribed", kind="exec",
                                                      channel_id=None, count=1))
        hw.deliver()
        await publish_home(hw, team_id, user_id)

    async def give_roles(body: dict[str, Any]) -> None:
        await hw.gateway.open_view(body["trigger_id"], notice(hw, "Give roles", ROLES_HOW))

    async def show_help(body: dict[str, Any]) -> None:
        await hw.gateway.post_message(body["user"]["id"], help_message(hw, headway.build_registry()))

    for action, work in ((ActionId.HOME_NEW_PROJECT, new_project), (ActionId.HOME_NEW_STANDUP, new_standup),
                         (ActionId.HOME_SUBSCRIBE_DIGEST, subscribe), (ActionId.HOME_GIVE_ROLES, give_roles),
                         (ActionId.HOME_HELP, show_help)):
        router.action(action.value)(acked(hw, ack_only, work))


def _register_dm(router: Router, hw: Headway) -> None:
    async def answer(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return  # our own messages, edits, joins: nothing to answer
        team_id = body.get("team_id", "")
        async with hw.db.unit_of_work() as session:
            await people.ensure_person(session, team_id, event["user"], hw.gateway.profile)
            await enqueue(session, team_id=team_id, key=f"dm-answer:{team_id}:{event['channel']}:{event.get('ts')}",
                          kind="dm_answer", channel=event["channel"],
                          message=answer_to_dm(hw, str(event.get("text") or "")[:500]))
        hw.deliver()

    router.event("message")(acked(hw, ack_only, answer))


def _register_shortcuts(router: Router, hw: Headway) -> None:
    def opener(callback_id: CallbackId, title: str, submit: str) -> Any:
        async def open_form(body: dict[str, Any]) -> None:
            team_id = body["team"]["id"]

            async def build() -> dict[str, Any]:
                async with hw.db.unit_of_work() as session:
                    active = [p for p in await list_projects(session, team_id) if p.state == ProjectState.ACTIVE]
                if not active:
                    raise HeadwayError("There are no active projects yet. A PM creates one with "
                                       "`/headway project new`.")
                goal = None
                if callback_id == CallbackId.SHORTCUT_WEEKLY_GOAL:
                    goal = str((body.get("message") or {}).get("text") or "")
                return hw.renderer.view("onboarding/shortcut_form.json.j2", callback_id=callback_id, title=title,
                                        submit=submit, projects=active, goal=goal)

            await open_then_fill(hw, body["trigger_id"], title, build)

        return open_form

    router.shortcut(CallbackId.SHORTCUT_LOG_METRIC.value)(
        acked(hw, ack_only, opener(CallbackId.SHORTCUT_LOG_METRIC, "Log a metric", "Log")))
    router.shortcut(CallbackId.SHORTCUT_WEEKLY_GOAL.value)(
        acked(hw, ack_only, opener(CallbackId.SHORTCUT_WEEKLY_GOAL, "Set as weekly goal", "Set goal")))

    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        values = read_state(view)
        key = str(values.get("project") or "")
        is_goal = view.get("callback_id") == CallbackId.SHORTCUT_WEEKLY_GOAL
        if not is_goal:
            try:
                value = float(values.get("value") or "")
            except ValueError:
                await ack(response_action="errors", errors={"value": "Please enter a number, such as 0.81."})
                return
        try:
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                today = hw.clock.now()
                if is_goal:
                    goal = await experiments.set_weekly_goal(session, actor, key, str(values.get("goal") or ""),
                                                             today.date())
                    await confirm_saved(hw, session, body, "experiments/done.json.j2", what="goal", goal=goal,
                                        key=key)
                else:
                    project = (await get_project(session, team_id, key)).project
                    logged = await measurements.log_value(session, actor, key, project.metric_name, value,
                                                          str(values.get("note") or "")[:500],
                                                          f"shortcut:{body.get('trigger_id')}", today)
                    await confirm_saved(hw, session, body, "experiments/logged.json.j2",
                                        **logged_context(logged, value, today))
        except (InvalidInput, HeadwayError) as error:
            message = " ".join(error.errors.values()) if isinstance(error, InvalidInput) else str(error)
            await ack(response_action="errors", errors={"goal" if is_goal else "value": message[:2000]})
            return
        queued(context)
        await ack()

    for callback in (CallbackId.SHORTCUT_LOG_METRIC, CallbackId.SHORTCUT_WEEKLY_GOAL):
        router.view(callback.value)(acked(hw, submit, nudge_outbox(hw)))

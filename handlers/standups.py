"""`/standup …`: set up, list, edit, pause, resume, delete, run now, skip, away, back, stats."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.app import Headway
from bot.errors import HeadwayError, InvalidInput
from bot.ids import CallbackId
from bot.models import AbsenceKind
from bot.people import service as people
from bot.people.fill import fill_unfilled
from bot.standups import absence, planner
from bot.standups import service as standups
from bot.standups.draft import DEFAULT_QUESTIONS, validate_standup
from bot.standups.schedule import zone
from bot.standups.stats import standup_stats
from handlers import time_off
from handlers.commands import register_command
from handlers.deferred import acked, nudge_outbox, queued
from handlers.delivery import channel_problem
from handlers.forms import read_state, view_metadata
from handlers.modals import open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import answer_where_asked, confirm_saved, respond
from handlers.requests import CommandRequest
from handlers.router import Router


def build_registry() -> CommandRegistry:
    registry = CommandRegistry("/standup", "Async standups for ML teams, in everyone's own time zone. Nobody is "
                               "prompted on a day off: when they said so, on a public holiday they follow, while "
                               "their Slack status says :palm_tree: vacation, OOO, sick or leave "
                               "(`/standup away-rules` lists the rules), or when their calendar says so.")
    registry.add("help", "This list", None)
    registry.add("new", "Set up a standup (opens a form)", open_new_form, who="PMs and admins", opens_modal=True)
    registry.add("list", "All standups", list_standups)
    registry.add("edit", "Change a standup", open_edit_form, args="NAME", min_args=1, max_args=1, opens_modal=True)
    registry.add("pause", "Pause a standup", pause, args="NAME", min_args=1, max_args=1)
    registry.add("resume", "Resume a paused standup", resume, args="NAME", min_args=1, max_args=1)
    registry.add("delete", "Delete a standup (measurements stay)", delete, args="NAME", min_args=1, max_args=1)
    registry.add("run", "Prompt everyone now", run_now, args="NAME now", min_args=2, max_args=2)
    registry.add("skip", "No prompts today, or until a date", skip, args="[NAME] [until YYYY-MM-DD]", max_args=3)
    registry.add("away", "No prompts between two dates", away, args="FROM TO", min_args=2, max_args=2)
    registry.add("back", "End your away time now", back)
    registry.add("stats", "Response rates and streaks, last 4 weeks", stats, args="[NAME]", max_args=1)
    time_off.add_commands(registry)
    return registry


def _today(hw: Headway, tz: str) -> date:
    return hw.clock.now().astimezone(zone(tz)).date()


async def _done(hw: Headway, req: CommandRequest, what: str, **values: Any) -> None:
    context = {"name": "", "count": 0, "until": None, "start": None} | values
    await respond(hw, req.response_url, "standups/done.json.j2", what=what, **context)


async def open_new_form(hw: Headway, req: CommandRequest) -> None:
    await _open_form(hw, req, None)


async def open_edit_form(hw: Headway, req: CommandRequest) -> None:
    await _open_form(hw, req, req.args[0])


async def _open_form(hw: Headway, req: CommandRequest, name: str | None) -> None:
    async def build() -> dict[str, Any]:
        async with hw.db.unit_of_work() as session:
            actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
            details = await standups.get_standup(session, req.team_id, name) if name else None
        if not standups.can_manage(actor, details.standup if details else None):
            raise HeadwayError("Only PMs, Headway admins and whoever set up a standup can change standups.")
        return hw.renderer.view(
            "standups/form.json.j2", callback_id=CallbackId.STANDUP_FORM, standup=details.standup if details else None,
            participant_ids=list(details.participant_ids) if details else [req.user_id],
            channel_id=req.channel_id if req.channel_id.startswith(("C", "G")) else None,
            questions=details.questions if details else list(DEFAULT_QUESTIONS),
            holidays=[d.isoformat() for d in details.holidays] if details else [],
            metadata={"name": details.standup.name if details else None, "response_url": req.response_url or None},
        )

    await open_then_fill(hw, req.trigger_id, "Edit standup" if name else "New standup", build)


async def list_standups(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        rows = await standups.list_standups(session, req.team_id)
    await respond(hw, req.response_url, "standups/list.json.j2", standups=rows)


async def _set_paused(hw: Headway, req: CommandRequest, paused: bool) -> None:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        details = await standups.set_paused(session, actor, req.args[0], paused)
    await _done(hw, req, "paused" if paused else "resumed", name=details.standup.name)


async def pause(hw: Headway, req: CommandRequest) -> None:
    await _set_paused(hw, req, True)


async def resume(hw: Headway, req: CommandRequest) -> None:
    await _set_paused(hw, req, False)


async def delete(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        name = await standups.delete_standup(session, actor, req.args[0])
    await _done(hw, req, "deleted", name=name)


async def run_now(hw: Headway, req: CommandRequest) -> None:
    if req.args[1].lower() != "now":
        raise HeadwayError("Usage: `/standup run NAME now`")
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        details = await standups.get_standup(session, req.team_id, req.args[0])
        if not standups.can_manage(actor, details.standup):
            raise HeadwayError(f"Only PMs, admins and whoever set up {details.standup.name} can run it now.")
        count = await planner.run_now(session, hw.renderer, details, hw.clock.now())
    hw.deliver()
    await _done(hw, req, "run", name=details.standup.name, count=count)


def _date(word: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise HeadwayError(f"“{word[:20]}” is not a date; use YYYY-MM-DD, e.g. 2026-12-24.") from None


async def skip(hw: Headway, req: CommandRequest) -> None:
    words = list(req.args)
    until: date | None = None
    if len(words) >= 2 and words[-2].lower() == "until":
        until = _date(words[-1])
        words = words[:-2]
    if len(words) > 1:
        raise HeadwayError("Usage: `/standup skip [NAME] [until YYYY-MM-DD]`")
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        today = _today(hw, actor.person.tz)
        standup_id = (await standups.get_standup(session, req.team_id, words[0])).standup.id if words else None
        if until is not None and until < today:
            raise HeadwayError("That date has passed; pick today or a later date.")
        await absence.add_absence(session, req.team_id, req.user_id, AbsenceKind.SKIP, today, until or today,
                                  standup_id)
    await _done(hw, req, "skip", name=words[0].lower() if words else "", until=until)


async def away(hw: Headway, req: CommandRequest) -> None:
    start, end = _date(req.args[0]), _date(req.args[1])
    async with hw.db.unit_of_work() as session:
        await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        try:
            await absence.add_absence(session, req.team_id, req.user_id, AbsenceKind.AWAY, start, end)
        except InvalidInput as error:
            raise HeadwayError(" ".join(error.errors.values())) from None
    await _done(hw, req, "away", start=start, until=end)


async def back(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        person = await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        await absence.come_back(session, req.team_id, req.user_id, _today(hw, person.tz))
    await _done(hw, req, "back")


async def stats(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        person = await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        today = _today(hw, person.tz)
        if req.args:
            chosen = [(await standups.get_standup(session, req.team_id, req.args[0])).standup]
        else:
            chosen = [d.standup for d in await standups.list_standups(session, req.team_id)]
        results = [await standup_stats(session, s, today) for s in chosen]
    await respond(hw, req.response_url, "standups/stats.json.j2", stats=results)


def register(router: Router, hw: Headway) -> None:
    register_command(router, hw, build_registry())

    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext) -> None:
        original = view_metadata(view).get("name")
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        try:
            draft = validate_standup(read_state(view))
            problem = await channel_problem(hw, draft.channel_id)
            if problem:
                raise InvalidInput({"channel": problem})
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                details = await standups.save_standup(session, actor, draft, original)
                await confirm_saved(hw, session, body, "standups/done.json.j2",
                                    what="created" if original is None else "updated", name=details.standup.name,
                                    count=0, until=None, start=None)
        except InvalidInput as error:
            await ack(response_action="errors", errors=error.errors)
            return
        except HeadwayError as error:
            await ack(response_action="errors", errors={"name": str(error)[:2000]})
            return
        queued(context)
        await ack()


    async def fill_profiles(body: dict[str, Any]) -> None:
        """The participants new to Headway: their time zones, read from Slack after the modal closed."""
        await fill_unfilled(hw.db, body["team"]["id"], hw.gateway.profiles)

    router.view(CallbackId.STANDUP_FORM.value)(acked(hw, submit, nudge_outbox(hw), answer_where_asked(hw),
                                                     fill_profiles))




"""The standup DM's buttons (Answer, Skip today, I'm away, Edit) and the answer and away modals."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from sqlmodel import select

from bot.app import Headway
from bot.delivery.settle import already
from bot.errors import HeadwayError, InvalidInput
from bot.ids import ActionId, CallbackId, record_id
from bot.models import AbsenceKind, PromptStatus, StandupAnswer
from bot.people import service as people
from bot.standups import absence, answers, settled
from bot.standups.schedule import zone
from handlers.deferred import ack_only, acked, nudge_outbox, queued
from handlers.forms import read_state, view_metadata
from handlers.modals import open_then_fill
from handlers.replies import FORM_PROBLEMS, ack_form_problem
from handlers.router import Router

log = logging.getLogger(__name__)


def _clicked(body: dict[str, Any]) -> str:
    try:
        return str(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return ""


async def closed_already(hw: Headway, body: dict[str, Any]) -> bool:
    """A click on an old copy of a prompt whose answer can no longer change: say so, change nothing."""
    try:
        async with hw.db.unit_of_work() as session:
            context = await answers.load_clicked(session, body["team"]["id"], _clicked(body), body["user"]["id"])
    except HeadwayError:
        return False  # the modal says what is wrong
    if context.prompt.status != PromptStatus.ANSWERED or answers.editable(context):
        return False
    message = already(hw.renderer, "your answer is in", by=context.prompt.user_id, at=context.prompt.answered_at,
                      detail=answers.closed_text(context.run))
    await answer_privately(hw, body, message)
    return True


async def answer_privately(hw: Headway, body: dict[str, Any], message: Any) -> None:
    if body.get("response_url"):
        await hw.gateway.respond_or_dm(body["response_url"], body["user"]["id"], message, replace_original=False)
    else:
        await hw.gateway.post_message(body["user"]["id"], message)


async def open_answer_form(hw: Headway, body: dict[str, Any]) -> None:
    """Open at once (the trigger expires in 3 s), then fill with the questions and the person's projects."""
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    if await closed_already(hw, body):
        return

    async def build() -> dict[str, Any]:
        async with hw.db.unit_of_work() as session:
            context = await answers.load_clicked(session, team_id, _clicked(body), user_id)
            projects = await answers.projects_for(session, team_id, user_id)
            previous = (await session.exec(select(StandupAnswer).where(
                StandupAnswer.prompt_id == context.prompt.id))).first()
        questions = json.loads(context.standup.questions)
        earlier = {i["question"]: i["answer"] for i in json.loads(previous.answers)} if previous else {}
        return hw.renderer.view(
            "standups/answer_form.json.j2", callback_id=CallbackId.STANDUP_ANSWER, standup=context.standup,
            questions=questions, previous=[earlier.get(q, "") for q in questions], projects=projects,
            answer=previous, metadata={"prompt": context.prompt.id},
        )

    await open_then_fill(hw, body["trigger_id"], "Standup", build)


def register(router: Router, hw: Headway) -> None:

    async def answer(body: dict[str, Any]) -> None:
        await open_answer_form(hw, body)

    router.action(ActionId.STANDUP_ANSWER.value)(acked(hw, ack_only, answer))
    router.action(ActionId.STANDUP_EDIT.value)(acked(hw, ack_only, answer))

    async def skip(body: dict[str, Any]) -> None:
        try:
            async with hw.db.unit_of_work() as session:
                context = await answers.load_clicked(session, body["team"]["id"], _clicked(body), body["user"]["id"])
                skipped = await answers.skip_prompt(session, context)
                if skipped:
                    await settled.skipped(session, hw.renderer, context.standup, context.run, context.prompt,
                                          hw.clock.now())
            message = hw.renderer.message("standups/skipped.json.j2", standup_name=context.standup.name,
                                          away_until=None) if skipped else already(
                hw.renderer, _status_words(context.prompt.status),
                by=context.prompt.user_id if context.prompt.status == PromptStatus.ANSWERED else None,
                at=context.prompt.answered_at)
            if skipped:
                hw.deliver()
        except HeadwayError as error:
            message = hw.renderer.message("errors/problem.json.j2", problem=str(error))
        await answer_privately(hw, body, message)

    router.action(ActionId.STANDUP_SKIP.value)(acked(hw, ack_only, skip))

    async def open_away(body: dict[str, Any]) -> None:
        async with hw.db.unit_of_work() as session:
            person = await people.ensure_person(session, body["team"]["id"], body["user"]["id"], hw.gateway.profile)
        today = hw.clock.now().astimezone(zone(person.tz)).date()  # the person's own date, not UTC's
        view = hw.renderer.view("standups/away_form.json.j2", callback_id=CallbackId.STANDUP_AWAY,
                                default_end=today + timedelta(days=7),
                                metadata={"response_url": body.get("response_url")})
        await hw.gateway.open_view(body["trigger_id"], view)

    router.action(ActionId.STANDUP_AWAY.value)(acked(hw, ack_only, open_away))

    async def submit_answer(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                            context: AsyncBoltContext) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        try:
            prompt_id = record_id(view_metadata(view).get("prompt"))
            async with hw.db.unit_of_work() as session:
                prompt = await answers.load_prompt(session, team_id, prompt_id, user_id)
                projects = await answers.projects_for(session, team_id, user_id)
                form = answers.validate_answer(read_state(view), json.loads(prompt.standup.questions), projects)
                await answers.record_answer(session, hw.renderer, prompt, form, hw.clock.now())
        except FORM_PROBLEMS as error:
            await ack_form_problem(hw, ack, error, "Standup")
            return
        queued(context)
        await ack()


    router.view(CallbackId.STANDUP_ANSWER.value)(acked(hw, submit_answer, nudge_outbox(hw)))

    async def submit_away(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                          context: AsyncBoltContext) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        metadata = view_metadata(view)
        try:
            async with hw.db.unit_of_work() as session:
                person = await people.ensure_person(session, team_id, user_id, hw.gateway.profile)
                today = hw.clock.now().astimezone(zone(person.tz)).date()
                end = _day(read_state(view).get("end"))
                if end is None or end <= today:
                    raise InvalidInput({"end": "Pick a day after today."})
                await absence.add_absence(session, team_id, user_id, AbsenceKind.AWAY, today,
                                          end - timedelta(days=1))
        except InvalidInput as error:
            await ack(response_action="errors", errors={"end": " ".join(error.errors.values())})
            return
        context["headway_away"] = {"until": end.isoformat(), "response_url": metadata.get("response_url"),
                                   "user_id": user_id}
        await ack()

    async def confirm_away(context: AsyncBoltContext) -> None:
        outcome = context.get("headway_away")
        if outcome and outcome.get("response_url"):
            message = hw.renderer.message("standups/skipped.json.j2", standup_name="",
                                          away_until=date.fromisoformat(outcome["until"]))
            await hw.gateway.respond_or_dm(outcome["response_url"], outcome["user_id"], message)

    router.view(CallbackId.STANDUP_AWAY.value)(acked(hw, submit_away, confirm_away))


def _status_words(status: str) -> str:
    return {PromptStatus.ANSWERED: "answered", PromptStatus.SKIPPED: "skipped today",
            PromptStatus.MISSED: "closed without an answer"}.get(status, "settled")  # type: ignore[call-overload]


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None

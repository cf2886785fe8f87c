"""The standup act of `headway demo`: one round in three time zones, on a clock the story moves.

The demo runs Headway with a `ManualClock` (and no scheduler): this act sets the clock to each moment of the
story — 09:30 in Tokyo, São Paulo and New York, the reminder, the cutoff — and runs the standup tick there, as
the every-minute scheduler would. Everyone else is played through Slack like in the other acts.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.clock import ManualClock
from bot.demo.cast import ADA, CHANNEL, KENJI, LUCAS, PRIYA, Person
from bot.demo.stage import Stage
from bot.jobs import standup_tick
from bot.models import Measurement, MeasurementSource
from bot.slack_emulator import RecordedCall, render_message
from bot.standups.planner import TickResult

STANDUP = "fraud-team"
AT, REMINDER_MINUTES, CUTOFF_MINUTES = time(9, 30), 60, 240
ROUND = (KENJI, LUCAS, PRIYA)  # Tokyo, São Paulo, New York: the order in which 09:30 comes round
ON_VACATION = ADA  # in the standup too, but her Slack status says she is on vacation: away, never "no answer"
CITIES = {"Asia/Tokyo": "Tokyo", "America/Sao_Paulo": "São Paulo", "America/New_York": "New York",
          "Europe/London": "London"}

ANSWERS: dict[str, dict[str, Any]] = {
    KENJI.id: {"q0": "Added merchant velocity features to the gradient-boosted model: recall went from 0.66 to "
                     "0.71 on last month's holdout.",
               "q1": "Tune the decision threshold with Lucas so we don't block more good payments.",
               "project": "FRAUD", "experiment": "GBM + merchant velocity features", "metric_value": "0.71",
               "confidence": "medium"},
    LUCAS.id: {"q0": "Trained the same model on six months of data: recall 0.74, but March looks too good.",
               "q1": "Re-run as soon as the March labels are fixed.",
               "project": "FRAUD", "experiment": "GBM, six months of training data", "metric_value": "0.74",
               "confidence": "low", "blocked": ["yes"],
               "blocker": "March chargeback labels are incomplete: we need the payments team to re-export them."},
    PRIYA.id: {"q0": "Walked Elena through the FRAUD numbers; asked payments for the March chargeback export.",
               "q1": "Chase the label fix, then plan the feasibility gate."},
}
LABELS = {"q0": "Tried / happened", "q1": "Next", "project": "Project", "experiment": "Experiment",
          "metric_value": "Metric value", "confidence": "Confidence", "blocked": "Blocked", "blocker": "Blocker"}


def city(person: Person) -> str:
    return CITIES.get(person.user.tz, person.user.tz)


def first_standup_day(now: datetime) -> date:
    """The first weekday whose 09:30 in Tokyo (the round's first prompt) is still ahead of `now`."""
    day = now.astimezone(ZoneInfo(KENJI.user.tz)).date()
    while day.weekday() >= 5 or datetime.combine(day, AT, tzinfo=ZoneInfo(KENJI.user.tz)) <= now:
        day += timedelta(days=1)
    return day


def _blocks(call: RecordedCall) -> dict[str, Any]:
    blocks = call.params.get("blocks")
    return {"blocks": json.loads(blocks) if isinstance(blocks, str) else blocks, "text": call.params.get("text")}


class StandupRound:
    """Plays the act for a `Scenario`, using its helpers (commands, modals, waits, checks, printing)."""

    def __init__(self, story: Stage) -> None:
        self.story, self.emu, self.out = story, story.emu, story.out
        clock = story.server.hw.clock
        if not isinstance(clock, ManualClock):
            raise story.failure("the standup act needs Headway to run on a ManualClock")
        self.clock = clock
        self.day = first_standup_day(clock.now())
        self.prompts: dict[str, RecordedCall] = {}
        self.parent: RecordedCall | None = None

    async def play(self) -> None:
        await self.set_up()
        await self.morning_in(KENJI, first=True)
        await self.answer(KENJI, "09:42", "He presses Send and the modal closes. Headway replies in the report's "
                          "thread and thanks him in a DM, with a button to edit his answer.", show_form=True)
        tick = await self.tick(KENJI, "10:30", "the scheduler ticks again")
        self.check_tick(tick, "10:30 in Tokyo", prompted=0, reminded=0, closed=0)
        self.out.say("Kenji has answered, so he gets no reminder.")
        await self.on_vacation(ON_VACATION)
        await self.morning_in(LUCAS)
        await self.answer(LUCAS, "09:51", "Lucas is blocked: besides his reply in the thread, Headway edits the "
                          "report message so the blocker is visible without opening the thread.")
        await self.morning_in(PRIYA)
        await self.remind(PRIYA)
        await self.cutoff()
        await self.answer(PRIYA, "14:10", "Answers after the cutoff still go to the thread, marked late, and the "
                          "report message now lists her as late instead of missing.", late=True)
        await self.show_report()
        await self.measurements()
        await self.stats()

    # ----------------------------------------------------------------- steps
    async def set_up(self) -> None:
        self.out.step(f"{ON_VACATION.first_name} sets her Slack status: :palm_tree: On vacation")
        self.out.say("Headway reads statuses people already set (the user_change event, or their profile when it "
                     "first plans for them): a status that matches the workspace's away rules is time off.")
        self.emu.set_status(ON_VACATION.id, "On vacation", ":palm_tree:")  # no expiry: away while it is set
        self.out.step(f"{PRIYA.first_name} runs /standup new")
        self.out.say("An async standup for the fraud team: everyone is asked at 09:30 in their own time zone and "
                     "reminded once after an hour; 4 hours after the last 09:30 (New York's) the report is summed up.")
        view_id = await self.story.open_modal(PRIYA, "new", command="/standup")
        values = {"name": STANDUP, "participants": [p.id for p in (*ROUND, ON_VACATION)], "channel": CHANNEL.id,
                  "weekdays": ["mon", "tue", "wed", "thu", "fri"], "local_time": AT.strftime("%H:%M"),
                  "reminder_minutes": str(REMINDER_MINUTES), "cutoff_minutes": str(CUTOFF_MINUTES)}
        self.out.fields(PRIYA.first_name, [
            ("Name", STANDUP), ("Participants", ", ".join(f"@{p.handle} ({city(p)})" for p in (*ROUND, ON_VACATION))),
            ("Report channel", f"#{CHANNEL.name}"), ("Days", "Monday to Friday"),
            ("Time", f"{values['local_time']} (each person's own time zone)"),
            ("Reminder after", f"{REMINDER_MINUTES} minutes"), ("Cutoff after", f"{CUTOFF_MINUTES} minutes"),
            ("Questions", "the two default ones (the experiment block is always asked)")])
        answers = len(self.emu.responses)
        result = await self.story.slack.view_submission(PRIYA.id, view_id, values)
        if result.status != 200 or result.response_action == "errors":
            problems = "; ".join(f"{k}: {v}" for k, v in result.errors.items()) or f"HTTP {result.status}"
            raise self.story.failure(f"Headway refused the standup form: {problems}")
        answer = await self.story.private_answer(answers, PRIYA, STANDUP, f"the confirmation of the {STANDUP} standup")
        self.story.out.ephemeral(PRIYA.first_name, answer)
        self.story.show_new_posts()

    async def morning_in(self, person: Person, first: bool = False) -> None:
        mark = len(self.emu.calls)
        tick = await self.tick(person, "09:30", "the scheduler ticks", utc=True)
        self.check_tick(tick, f"09:30 in {city(person)}", prompted=1, reminded=0, closed=0)
        if first:
            others = ", ".join(f"{p.first_name} {self.clock.now().astimezone(ZoneInfo(p.user.tz)):%a %H:%M}"
                               for p in ROUND if p is not person)
            self.out.say("Headway posts the day's report message in #ml-projects (answers go in its thread) and "
                         f"asks {person.first_name}. For the others it is still the evening before ({others}).")
            self.parent = await self.post(mark, "the report message", CHANNEL.id, f"{STANDUP} standup")
        self.prompts[person.id] = await self.post(mark, f"{person.first_name}'s standup prompt", person.id, "Answer")
        self.story.show_new_posts()

    async def on_vacation(self, person: Person) -> None:
        tick = await self.tick(person, "09:30", "the scheduler ticks", utc=True)
        self.check_tick(tick, f"09:30 in {city(person)}", prompted=0, reminded=0, closed=0)
        if tick.away != 1:
            raise self.story.failure(f"{person.first_name}, on vacation by her Slack status, was not noted as away")
        self.out.say(f"{person.first_name}'s status says she is on vacation: no prompt and no reminder; the report "
                     "will list her as away (Slack status), not as someone who did not answer.")

    async def answer(self, person: Person, local: str, narration: str, show_form: bool = False,
                     late: bool = False) -> None:
        self.set_clock(person, local)
        self.out.step(f"{local} in {city(person)}: {person.first_name} clicks Answer"
                      + (" — after the cutoff" if late else ""))
        prompt = self.prompts[person.id]
        since = self.story.modal_mark()
        clicked = await self.story.slack.block_action(person.id, "standup_answer",
                                                      message=(prompt.response["channel"], prompt.response["ts"]))
        self.story.check_ack(clicked, f"{person.first_name}'s Answer button")
        view_id = await self.story.filled_modal(since, f"{person.first_name}'s answer form")
        view = self.emu.views.get(view_id) or {}
        if view.get("callback_id") is None:
            shown = render_message(view.get("blocks"), users=self.out.users).strip().splitlines() or ["(empty)"]
            raise self.story.failure(f"{person.first_name}'s answer form shows no form: {shown[0][:200]}")
        if show_form:
            self.out.say("The form asks the standup's questions, then the experiment block: the project, what "
                         "was tried, the metric value reached, how sure they are, and any blocker.")
            self.out.view(person.first_name, view)
        values = dict(ANSWERS[person.id])
        if "project" in values:
            values["project"] = self.project_option(view, values["project"], person)
        self.out.fields(person.first_name, [(LABELS[k], "yes" if k == "blocked" else ANSWERS[person.id][k])
                                            for k in values])
        mark = len(self.emu.calls)
        result = await self.story.slack.view_submission(person.id, view_id, values)
        if result.status != 200 or result.response_action == "errors":
            problems = "; ".join(f"{k}: {v}" for k, v in result.errors.items()) or f"HTTP {result.status}"
            raise self.story.failure(f"Headway refused {person.first_name}'s standup answer: {problems}")
        self.out.say(narration)
        reply = await self.post(mark, f"{person.first_name}'s answer in the thread", CHANNEL.id,
                                thread=self.parent_ts())
        wanted = [f"@{person.handle}"] + (["(late)"] if late else [])
        if "metric_value" in values:
            wanted += [f"recall reached *{values['metric_value']}* (target 0.9)", f"confidence: {values['confidence']}"]
        if values.get("confidence") == "low":  # evidence with confidence: shown, not counted until confirmed
            wanted.append("Unconfirmed (low confidence)")
        if "blocker" in values:
            wanted.append("Blocked:")
        for text in wanted:
            self.story.expect(_blocks(reply), text, f"{person.first_name}'s answer in the thread")
        confirmation = await self.post(mark, f"the DM thanking {person.first_name}", person.id, "Thanks")
        self.story.expect(_blocks(confirmation), "stands as given" if late else "Edit my answer",
                          f"the DM thanking {person.first_name}")  # a closed round's answer is not edited
        if "blocker" in values or late:
            await self.story.wait_for(lambda: self.updates(mark), "the report message to be updated")
        self.story.show_new_posts()

    async def remind(self, person: Person) -> None:
        mark = len(self.emu.calls)
        tick = await self.tick(person, "10:30", "the scheduler ticks: one reminder")
        self.check_tick(tick, f"10:30 in {city(person)}", prompted=0, reminded=1, closed=0)
        self.out.say(f"{person.first_name} has not answered after {REMINDER_MINUTES} minutes; Kenji and Lucas "
                     "have, so only she is reminded (once).")
        reminder = await self.post(mark, f"the reminder to {person.first_name}", person.id, "Reminder")
        self.story.expect(_blocks(reminder), "Answer", f"the reminder to {person.first_name}")
        self.story.show_new_posts()

    async def cutoff(self) -> None:
        mark = len(self.emu.calls)
        tick = await self.tick(PRIYA, "13:30", "the cutoff", utc=True)
        self.check_tick(tick, "the cutoff", prompted=0, reminded=0, closed=1)
        self.out.say(f"{CUTOFF_MINUTES} minutes after the last 09:30 the run closes: Headway edits the report "
                     "message in place with who answered, who did not and what blocks people. The channel gets no "
                     "new message.")
        update = await self.story.wait_for(lambda: self.updates(mark), "the report message to be summed up")
        message = _blocks(update[-1])
        for wanted in ("No answer (1)", "@priya", "Blocked (1)", "March chargeback labels", "Away (1)",
                       f"@{ON_VACATION.handle} (Slack status"):
            self.story.expect(message, wanted, "the report message at the cutoff")
        self.story.show_new_posts()
        self.out.message_as(f"The report message in #{CHANNEL.name} now reads:", message)

    async def show_report(self) -> None:
        self.out.step(f"#{CHANNEL.name}: the report message and its thread, as everyone sees them")
        thread = self.emu.thread(CHANNEL.id, self.parent_ts())
        if len(thread) != 4:
            raise self.story.failure(f"the report thread has {len(thread) - 1} replies instead of 3")
        for message, wanted in zip(thread, ("Late: @priya", "@kenji", "@lucas", "(late)"), strict=True):
            self.story.expect(message, wanted, "the report thread")
        self.story.expect(thread[0], "No answer (0)", "the report message after the late answer")
        self.out.thread(CHANNEL.name, thread)

    async def measurements(self) -> None:
        """The experiment blocks became FRAUD measurements: read them back from Headway's database."""
        async with self.story.server.hw.db.unit_of_work() as session:
            rows = (await session.exec(select(Measurement).where(
                Measurement.source == MeasurementSource.STANDUP).order_by(Measurement.id))).all()
        values = [(m.metric, m.value, m.confidence) for m in rows]
        if values != [("recall", 0.71, "medium"), ("recall", 0.74, "low")] or rows[1].confirmed_at is not None:
            raise self.story.failure(f"the standup answers stored {values} instead of recall 0.71 (medium) and "
                                     "0.74 (low, unconfirmed)")
        self.out.line()
        self.out.note("Kenji's and Lucas's experiment blocks are stored as FRAUD measurements (recall 0.71 and "
                      "0.74, source: standup): Headway judges the project's progress from them. Lucas said his "
                      "0.74 has low confidence (\"March looks too good\"), so it is unconfirmed: shown, but not "
                      "counted until Lucas or Priya clicks Confirm or a later result reaches it.")

    async def stats(self) -> None:
        self.out.step(f"{PRIYA.first_name} runs /standup stats")
        answer = await self.story.command(PRIYA, "stats", command="/standup")
        self.out.say(f"Priya's late answer counts as answered; {ON_VACATION.first_name} was away, so her day counts "
                     "neither way.")
        self.out.ephemeral(PRIYA.first_name, answer)
        for wanted in (STANDUP, "response rate 100%", "@kenji", "@lucas", "@priya", "1 away"):
            self.story.expect(answer, wanted, f"{PRIYA.first_name}'s `/standup stats`")

    # --------------------------------------------------------------- helpers
    def set_clock(self, person: Person, local: str) -> datetime:
        hours, minutes = (int(part) for part in local.split(":"))
        moment = datetime.combine(self.day, time(hours, minutes), tzinfo=ZoneInfo(person.user.tz)).astimezone(UTC)
        if moment < self.clock.now():
            raise self.story.failure(f"the story runs backwards at {local} in {city(person)}")
        self.clock.set(moment)
        return moment

    def parent_ts(self) -> str:
        if self.parent is None:
            raise self.story.failure("the standup round has no report message")
        return str(self.parent.response["ts"])

    async def tick(self, person: Person, local: str, what: str, utc: bool = False) -> TickResult:
        moment = self.set_clock(person, local)
        day = f"{self.day:%a} {self.day.day} {self.day:%b}, " if self.parent is None else ""
        in_utc = f" ({moment:%H:%M} UTC)" if utc else ""
        self.out.step(f"{day}{local} in {city(person)}{in_utc}: {what}")
        result = await standup_tick(self.story.server.hw)
        if result.failed:
            raise self.story.failure(f"the standup tick at {local} in {city(person)} failed")
        return result

    def check_tick(self, result: TickResult, when: str, **expected: int) -> None:
        for name, count in expected.items():
            if getattr(result, name) != count:
                raise self.story.failure(f"the standup tick at {when} {name} {getattr(result, name)} "
                                         f"instead of {count}")

    def project_option(self, view: dict[str, Any], key: str, person: Person) -> str:
        """The value of the project option a person picks by its label (`FRAUD · …`)."""
        for block in view.get("blocks", []):
            if block.get("block_id") == "project":
                for option in block.get("element", {}).get("options", []):
                    if option["text"]["text"].startswith(f"{key} ·"):
                        return str(option["value"])
        raise self.story.failure(f"{person.first_name}'s answer form does not offer the {key} project")

    async def post(self, since: int, what: str, channel: str, contains: str = "", thread: str = "") -> RecordedCall:
        """Wait for Headway to post a message to `channel` (a user id: their DM) after call number `since`."""
        def found() -> RecordedCall | None:
            for call in self.emu.calls[since:]:
                if (call.method == "chat.postMessage" and call.ok and call.params.get("channel") == channel
                        and str(call.params.get("thread_ts") or "") == thread
                        and contains in json.dumps(call.params, ensure_ascii=False)):
                    return call
            return None
        await self.story.wait_for(found, what)
        return found()  # type: ignore[return-value]

    def updates(self, since: int) -> list[RecordedCall]:
        """Edits of the report in the channel (not the prompts in people's DMs, which stop asking once answered)."""
        return [c for c in self.emu.calls[since:] if c.method == "chat.update" and c.ok
                and c.params.get("channel") == CHANNEL.id]

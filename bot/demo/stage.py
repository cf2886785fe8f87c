"""What every act of the demo stands on: the running Headway, the emulator, the driver and the printer, with
helpers to type commands, open modals, wait for Slack calls and print what people see.

Acts (`bot.demo.standups`, `bot.demo.portfolio`, `bot.demo.scenario`) take a `Stage`; none imports another act.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.demo.cast import CAST, CHANNEL, TEAM_ID, Person, sample_projects
from bot.demo.printer import Printer
from bot.projects import service as projects
from bot.server import HeadwayServer
from bot.slack_emulator import DriverResult, SlackDriver, SlackEmulator, render_message
from handlers.modals import is_loading

ANSWER_TIMEOUT = 5.0

class DemoError(Exception):
    """The story could not go on; the message says what went wrong, in one line."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Stage:
    """The running pieces and the helpers every act uses."""


    def __init__(self, server: HeadwayServer, emulator: SlackEmulator, driver: SlackDriver, printer: Printer) -> None:
        self.server = server
        self.emu = emulator
        self.slack = driver
        self.out = printer
        self.out.users = {p.id: p.handle for p in CAST} | emulator.user_names() | {
            emulator.config.bot_user_id: emulator.config.bot_name}
        self.out.channels = {c.id: c.name for c in emulator.state.channels.values()}
        self.today = server.hw.clock.now().date()
        self.projects = sample_projects(self.today)
        self.stage_names = {stage.key: stage.name for stage in server.hw.lifecycle().stages}
        self._calls_shown = 0
        self._calls_checked = 0

    # ---------------------------------------------------------------- helpers
    async def command(self, person: Person, text: str, command: str = "/headway") -> dict[str, Any]:
        """`/headway text` (or another command) typed by person in #ml-projects; returns Headway's private answer."""
        result = await self.slack.slash_command(person.id, command, text, channel_id=CHANNEL.id)
        self.check_ack(result, f"{command} {text}")
        if isinstance(result.body, dict) and (result.body.get("blocks") or result.body.get("text")):
            return result.body  # answered right in the acknowledgement
        try:
            return await result.wait_for_response(timeout=ANSWER_TIMEOUT)
        except TimeoutError:
            raise DemoError(f"Headway did not answer `{command} {text}` within {ANSWER_TIMEOUT:.0f} s") from None

    async def private_answer(self, since: int, person: Person, contains: str, what: str) -> dict[str, Any]:
        """Wait for Headway's private answer to `person` (through a response_url) after answer number `since`:
        a form confirms in the conversation it was opened from, not by DM."""
        def found() -> dict[str, Any] | None:
            return next((r for r in self.emu.responses[since:] if r.get("user_id") == person.id
                         and contains in str(r.get("text") or "") + str(r.get("blocks") or "")), None)
        await self.wait_for(found, what)
        return found()  # type: ignore[return-value]

    async def open_modal(self, person: Person, text: str, command: str = "/headway") -> str:
        """Run a command that opens a modal; return the modal's id once Headway has filled it."""
        since = self.modal_mark()
        result = await self.slack.slash_command(person.id, command, text, channel_id=CHANNEL.id)
        self.check_ack(result, f"{command} {text}")
        view_id = await self.filled_modal(since, f"the `{command} {text}` modal")
        view = self.emu.views.get(view_id) or {}
        if view.get("callback_id") is None:  # a notice: not allowed, not found
            text_shown = render_message(view.get("blocks"), users=self.out.users).strip()
            raise DemoError(f"the `{command} {text}` modal shows no form: {text_shown.splitlines()[0][:200]}")
        return view_id

    def modal_mark(self) -> int:
        """Where the record of Slack calls stands, before a click or command that opens a modal."""
        return len(self.emu.calls)

    async def filled_modal(self, since: int, what: str) -> str:
        """The id of the modal opened since `since`, once Headway has filled it: opened with its view at once, or
        opened loading and then updated (handlers/modals.py). Slack refusing to open it fails the story."""
        def shown() -> dict[str, Any] | None:
            calls = [c for c in self.emu.calls[since:] if c.method in ("views.open", "views.update")]
            refused = next((c for c in calls if c.method == "views.open" and not c.ok), None)
            if refused is not None:
                raise DemoError(f"Slack refused {what}: {refused.error}")
            return next((c.response["view"] for c in reversed(calls)
                         if c.ok and not is_loading(c.response["view"])), None)
        await self.wait_for(shown, what)
        return str(shown()["id"])  # type: ignore[index]

    async def wait_for(self, condition: Any, what: str) -> Any:
        """Wait until `condition()` is truthy and return it."""
        try:
            return await self.emu.wait_until(condition, timeout=ANSWER_TIMEOUT)
        except TimeoutError:
            raise DemoError(f"gave up waiting for {what} after {ANSWER_TIMEOUT:.0f} s") from None

    async def wait_for_posts(self, count: int, what: str) -> None:
        await self.wait_for(lambda: len(self.emu.calls_to("chat.postMessage")) >= count, what)

    def expect(self, answer: dict[str, Any], wanted: str, what: str) -> None:
        shown = render_message(answer.get("blocks"), answer.get("text"), users=self.out.users, width=10_000)
        if wanted not in shown:  # unwrapped: a phrase is found wherever the terminal would break its line
            first = next((line for line in shown.splitlines() if line.strip()), "(empty)")
            raise DemoError(f"unexpected answer to {what}: {first.strip()[:200]}")

    def show_new_posts(self) -> None:
        """Print what Headway posted (DMs, channel posts) since the last time we looked; replies in a thread and
        edits of a message are one line each (the standup act shows the whole thread at the end)."""
        for call in self.emu.calls[self._calls_shown:]:
            if call.method not in ("chat.postMessage", "chat.update") or not call.ok:
                continue
            channel = str(call.params.get("channel", ""))
            message = {"blocks": call.params.get("blocks"), "text": call.params.get("text")}
            owner = self._dm_owner(channel)
            if owner is not None and call.method == "chat.postMessage":
                self.out.dm(owner, message)
                continue
            where = f"DM to {owner}" if owner else "#" + self.emu.state.channel_name(channel)
            if call.method == "chat.update":
                self.out.activity(f"Headway → {where}: edits its earlier message in place")
            elif call.params.get("thread_ts"):
                self.out.activity(f"Headway → {where}, a reply in the thread: {self._gist(message)}")
            else:
                self.out.channel_post(where.removeprefix("#"), message)
        self._calls_shown = len(self.emu.calls)

    def _gist(self, message: dict[str, Any]) -> str:
        """The first line of a message, for the one-line mention of a thread reply."""
        shown = render_message(message.get("blocks"), message.get("text"), users=self.out.users, width=200)
        first = next((line for line in shown.splitlines() if line.strip()), "")
        first = first.replace("*", "").replace("_", "").strip()
        return first if len(first) <= 70 else first[:69] + "…"

    def _dm_owner(self, channel: str) -> str | None:
        members = self.emu.state.dm_channels.get(channel) or ([channel] if channel in self.emu.users else None)
        if not members:
            return None
        by_id = {p.id: p.first_name for p in CAST}
        return ", ".join(by_id.get(m, self.out.users.get(m, m)) for m in members)

    def failure(self, message: str) -> DemoError:
        """The error to raise when the story cannot go on (for acts in other modules)."""
        return DemoError(message)

    def check_ack(self, result: DriverResult, what: str) -> None:
        if result.timed_out or result.status != 200:
            raise DemoError(f"Headway answered `{what}` with HTTP {result.status}: {result.text[:200]}")

    def _check_calls(self) -> None:
        """Slack (the emulator) validates every call: a refused one means Headway sent something wrong.

        A 429 is Slack asking to slow down (the story squeezes a day into seconds): Headway waits and sends again,
        and the act's own checks fail if the message never arrives."""
        for call in self.emu.calls[self._calls_checked:]:
            if not call.ok and call.error != "ratelimited":
                raise DemoError(f"Slack refused Headway's {call.method} call: {call.error}")
        self._calls_checked = len(self.emu.calls)

    # ---------------------------------------------------------------- summary
    async def stored_projects(self) -> list[tuple[str, str]]:
        """The projects as Headway stored them (read back from its database, not from the script)."""
        async with self.server.hw.db.unit_of_work() as session:
            rows = await projects.list_projects(session, TEAM_ID)
        return [(p.key, f"{p.name} · {self.stage_names.get(p.stage, p.stage)} · "
                         f"{p.metric_name} {_number(p.baseline)} → {_number(p.target)}"
                         f"{' ' + p.metric_unit if p.metric_unit else ''}") for p in rows]

    def api_calls(self) -> Counter[str]:
        counts = Counter(call.method for call in self.emu.calls)
        answers = len(self.emu.responses)
        if answers:
            counts["response_url (private answers)"] = answers
        return counts



def _number(value: float | None) -> str:
    return "not measured yet" if value is None else f"{value:g}"

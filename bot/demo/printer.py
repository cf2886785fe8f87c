"""Terminal output for `headway demo`: step headers, what each person sees in Slack, the summary.

Slack content is drawn with the emulator's renderers (never raw JSON). Colors only on a TTY (and not with NO_COLOR).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from bot.slack_emulator import render_channel, render_message, render_view

BOLD, DIM, CYAN, GREEN, YELLOW, RED, RESET = "\033[1m", "\033[2m", "\033[36m", "\033[32m", "\033[33m", "\033[31m", \
    "\033[0m"


EMOJI = {":white_check_mark:": "✅", ":warning:": "⚠️", ":hourglass_flowing_sand:": "⏳", ":tada:": "🎉",
         ":rocket:": "🚀", ":chart_with_upwards_trend:": "📈", ":chart_with_downwards_trend:": "📉", ":wave:": "👋",
         ":bell:": "🔔", ":test_tube:": "🧪", ":rotating_light:": "🚨", ":fire:": "🔥", ":grey_question:": "❔",
         ":bulb:": "💡"}
_EMOJI = re.compile(r":[a-z0-9_+-]+:")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)>")


def wants_color(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


class Printer:
    """Writes the demo's narrative; `users` maps Slack ids to the names people see."""

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None, width: int | None = None) -> None:
        self.stream = stream or sys.stdout
        self.color = wants_color(self.stream) if color is None else color
        columns = shutil.get_terminal_size((80, 24)).columns if self.color else 80
        self.width = width or max(60, min(columns, 100) - 4)
        self.users: Mapping[str, str] = {}
        self.channels: Mapping[str, str] = {}
        self._after_activity = False

    # ------------------------------------------------------------ basics
    def _paint(self, text: str, *codes: str) -> str:
        return "".join(codes) + text + RESET if self.color and codes else text

    def line(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)
        self._after_activity = False

    def block(self, text: str, indent: str = "  ") -> None:
        for row in text.split("\n"):
            self.line(indent + row if row else "")

    def title(self, text: str) -> None:
        rule = "═" * self.width
        self.line(self._paint(rule, CYAN))
        self.line(self._paint(f"  {text}", BOLD))
        self.line(self._paint(rule, CYAN))

    def step(self, text: str) -> None:
        head = f"── {text} "
        self.line()
        self.line(self._paint(head + "─" * max(3, self.width - len(head)), BOLD, CYAN))

    def say(self, text: str) -> None:
        """Narration: what happens, in the voice of the demo."""
        for row in textwrap.wrap(text, self.width):
            self.line(self._paint(row, DIM))

    def note(self, text: str) -> None:
        for row in textwrap.wrap(f"✓ {text}", self.width, subsequent_indent="  "):
            self.line(self._paint(row, GREEN))

    def warn(self, text: str) -> None:
        self.line(self._paint(f"! {text}", YELLOW))

    # --------------------------------------------------- what Slack shows
    def _seen_by(self, label: str) -> None:
        self.line()
        self.line(self._paint(label, YELLOW))

    def view(self, who: str, view: dict[str, Any]) -> None:
        self._seen_by(f"{who} sees a modal:")
        self.block(render_view(view, users=self.users, width=self.width - 2, color=self.color))

    def ephemeral(self, who: str, message: Mapping[str, Any]) -> None:
        self._seen_by(f"Only visible to {who} (Headway's private answer):")
        self._message(message)

    def dm(self, who: str, message: Mapping[str, Any]) -> None:
        self._seen_by(f"Headway → DM to {who}:")
        self._message(message)

    def channel_post(self, channel: str, message: Mapping[str, Any]) -> None:
        self.message_as(f"Headway → #{channel}:", message)

    def message_as(self, label: str, message: Mapping[str, Any]) -> None:
        self._seen_by(label)
        self._message(message)

    def activity(self, text: str) -> None:
        """One line for something Headway did in Slack that is not worth showing in full here."""
        if not self._after_activity:
            self.line()
        self.line(self._paint(text, YELLOW))
        self._after_activity = True

    def thread(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """A message and its thread replies (indented), as the channel shows them."""
        replies = len(messages) - 1
        self._seen_by(f"#{channel}: the message and its {replies} {'reply' if replies == 1 else 'replies'}:")
        readable = [self._readable(m) for m in messages]
        self._bar(render_channel(readable, users=self.users, width=self.width - 4, color=self.color))

    def _message(self, message: Mapping[str, Any]) -> None:
        readable = self._readable(dict(message))
        self._bar(render_message(readable.get("blocks"), readable.get("text"), users=self.users,
                                 width=self.width - 4, color=self.color))

    def _bar(self, body: str) -> None:
        bar = self._paint("│", DIM)
        if self.color:
            body = _BOLD.sub(lambda m: BOLD + m[1] + RESET, body)
        for row in body.split("\n"):
            self.line(f"  {bar} {row}")

    def _readable(self, node: Any) -> Any:
        """Channel ids → names and emoji codes → emoji, as Slack's client shows them."""
        if isinstance(node, str):
            node = _CHANNEL.sub(lambda m: f"<#{m[1]}|{self.channels[m[1]]}>" if m[1] in self.channels else m[0], node)
            return _EMOJI.sub(lambda m: EMOJI.get(m[0], m[0]), node)
        if isinstance(node, list):
            return [self._readable(item) for item in node]
        if isinstance(node, dict):
            return {key: self._readable(value) for key, value in node.items()}
        return node

    def fields(self, who: str, values: Iterable[tuple[str, str]]) -> None:
        self._seen_by(f"{who} fills in:")
        pairs = list(values)
        pad = max((len(label) for label, _ in pairs), default=0)
        room = max(20, self.width - pad - 6)
        for label, value in pairs:
            rows = textwrap.wrap(value, room) or [""]
            self.line(f"    {label:<{pad}}  {self._paint(rows[0], BOLD)}")
            for row in rows[1:]:
                self.line(f"    {'':<{pad}}  {self._paint(row, BOLD)}")

    # ------------------------------------------------------------ the end
    def summary(self, rows: list[tuple[str, str]], api_calls: Mapping[str, int], database: str | None,
                seconds: float) -> None:
        self.step("Summary")
        self.line(f"  Projects created: {len(rows)}")
        pad = max((len(key) for key, _ in rows), default=0)
        for key, description in rows:
            self.line(f"    {self._paint(key.ljust(pad), BOLD)}  {description}")
        total = sum(api_calls.values())
        self.line(f"  Slack calls made by Headway: {total}")
        pad = max((len(method) for method in api_calls), default=0)
        for method, count in sorted(api_calls.items(), key=lambda item: (-item[1], item[0])):
            self.line(f"    {method:<{pad}}  {count:>3}")
        if database:
            self.line(f"  Demo database kept at: {database}")
        else:
            self.line("  The demo database was temporary and is gone.")
        self.line(self._paint(f"  Done in {seconds:.1f} s. Connect Headway to a real workspace: "
                              "`headway manifest --url https://your.host`.", DIM))

    def failure(self, text: str) -> None:
        message = f"headway demo failed: {text}"
        print(self._paint(message, RED) if wants_color(sys.stderr) else message, file=sys.stderr, flush=True)

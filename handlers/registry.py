"""A slash command's subcommands, from which both dispatch and help text are generated."""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Headway
    from handlers.requests import CommandRequest

Runner = Callable[["Headway", "CommandRequest"], Awaitable[None]]

_MENTION = re.compile(r"<([@#!][^>]*)>")


@dataclass(frozen=True)
class Subcommand:
    words: tuple[str, ...]
    args: str
    summary: str
    run: Runner | None
    min_args: int = 0
    max_args: int | None = 0
    who: str = ""

    @property
    def usage(self) -> str:
        return " ".join((*self.words, self.args)).strip()


@dataclass(frozen=True)
class Resolved:
    sub: Subcommand
    args: tuple[str, ...]


@dataclass(frozen=True)
class UsageProblem:
    problem: str
    suggestions: tuple[Subcommand, ...]


def split_args(text: str) -> list[str]:
    """Words, honouring quotes when they balance; Slack's <@U…|name> mentions stay one word."""
    text = _MENTION.sub(lambda m: "<" + m.group(1).replace(" ", "\u00a0") + ">", text.strip())
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return [w.replace("\u00a0", " ") for w in words]


class CommandRegistry:
    def __init__(self, command: str, about: str) -> None:
        self.command = command
        self.about = about
        self._subcommands: list[Subcommand] = []

    def add(
        self, words: str, summary: str, run: Runner | None, *, args: str = "", min_args: int = 0,
        max_args: int | None = 0, who: str = "",
    ) -> None:
        self._subcommands.append(Subcommand(tuple(words.split()), args, summary, run, min_args, max_args, who))

    @property
    def subcommands(self) -> tuple[Subcommand, ...]:
        return tuple(self._subcommands)

    def resolve(self, text: str) -> Resolved | UsageProblem:
        words = split_args(text)
        lowered = [w.lower() for w in words]
        if not words:
            words, lowered = ["help"], ["help"]
        matches = [s for s in self._subcommands if tuple(lowered[: len(s.words)]) == s.words]
        if not matches:
            return UsageProblem(f"I don't know `{self.command} {text.strip()[:60]}`.", self._similar(lowered))
        sub = max(matches, key=lambda s: len(s.words))
        args = tuple(words[len(sub.words):])
        if len(args) < sub.min_args or (sub.max_args is not None and len(args) > sub.max_args):
            return UsageProblem(f"That's not quite it. Usage: `{self.command} {sub.usage}`", (sub,))
        return Resolved(sub, args)

    def _similar(self, words: list[str]) -> tuple[Subcommand, ...]:
        first = words[0] if words else ""
        same_group = [s for s in self._subcommands if s.words[0] == first]
        if same_group:
            return tuple(same_group)
        names = {s.words[0] for s in self._subcommands}
        close = set(difflib.get_close_matches(first, names, n=2, cutoff=0.6))
        return tuple(s for s in self._subcommands if s.words[0] in close)

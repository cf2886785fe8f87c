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
    opens_modal: bool = False  # its work opens a modal: it starts first, while the trigger_id (3 s) lives

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


@dataclass(frozen=True)
class HelpTopic:
    """`help` after some command words (`/headway project help`): the subcommands under those words."""

    words: tuple[str, ...]
    subcommands: tuple[Subcommand, ...]


@dataclass(frozen=True)
class Audience:
    """A group of the help list, by what people do: the subcommands (their words) that group shows."""

    title: str
    words: tuple[str, ...]


HELP_WORDS = ("help", "?", "-h", "--help")


def split_args(text: str) -> list[str]:
    """Words, honouring quotes when they balance; Slack's <@U…|name> mentions stay one word."""
    text = _MENTION.sub(lambda m: "<" + m.group(1).replace(" ", "\u00a0") + ">", text.strip())
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return [w.replace("\u00a0", " ") for w in words]


class CommandRegistry:
    def __init__(self, command: str, about: str, *, audiences: tuple[Audience, ...] = (),
                 see_also: tuple[tuple[str, str], ...] = ()) -> None:
        self.command = command
        self.about = about
        self.audiences = audiences
        self.see_also = see_also  # (other command, what it is for): the help points there
        self._subcommands: list[Subcommand] = []

    def add(
        self, words: str, summary: str, run: Runner | None, *, args: str = "", min_args: int = 0,
        max_args: int | None = 0, who: str = "", opens_modal: bool = False,
    ) -> None:
        self._subcommands.append(Subcommand(tuple(words.split()), args, summary, run, min_args, max_args, who,
                                            opens_modal))

    @property
    def subcommands(self) -> tuple[Subcommand, ...]:
        return tuple(self._subcommands)

    def groups(self) -> list[tuple[str, tuple[Subcommand, ...]]]:
        """The help list by audience; subcommands no audience names are listed last, so none is ever hidden."""
        if not self.audiences:
            return [("", tuple(s for s in self._subcommands if s.run is not None))]
        by_words = {" ".join(s.words): s for s in self._subcommands}
        shown: set[str] = set()
        groups = []
        for audience in self.audiences:
            subs = tuple(by_words[w] for w in audience.words if w in by_words)
            shown.update(audience.words)
            if subs:
                groups.append((audience.title, subs))
        rest = tuple(s for w, s in by_words.items() if w not in shown and s.run is not None)
        if rest:
            groups.append(("More", rest))
        return groups

    def resolve(self, text: str) -> Resolved | UsageProblem | HelpTopic:
        words = split_args(text)
        lowered = [w.lower() for w in words]
        if not words:
            words, lowered = ["help"], ["help"]
        if len(lowered) > 1 and lowered[-1] in HELP_WORDS:
            topic = tuple(lowered[:-1])
            under = tuple(s for s in self._subcommands if s.words[: len(topic)] == topic)
            if under:
                return HelpTopic(topic, under)
        matches = [s for s in self._subcommands if tuple(lowered[: len(s.words)]) == s.words]
        if not matches:
            guess = self._did_you_mean(lowered)
            problem = f"I don't know `{self.command} {text.strip()[:60]}`."
            if guess is not None:
                return UsageProblem(f"{problem} Did you mean `{self.command} {guess.usage}`?", ())
            return UsageProblem(problem, self._similar(lowered))
        sub = max(matches, key=lambda s: len(s.words))
        args = tuple(words[len(sub.words):])
        if len(args) < sub.min_args or (sub.max_args is not None and len(args) > sub.max_args):
            return UsageProblem(f"That's not quite it. Usage: `{self.command} {sub.usage}`", (sub,))
        return Resolved(sub, args)

    def _did_you_mean(self, words: list[str]) -> Subcommand | None:
        """The one subcommand whose words are closest to what was typed (a typo in any of them), if close."""
        best, best_score = None, 0.0
        for sub in self._subcommands:
            typed = " ".join(words[: len(sub.words)])
            score = difflib.SequenceMatcher(None, typed, " ".join(sub.words)).ratio()
            if score > best_score:
                best, best_score = sub, score
        return best if best_score >= 0.75 else None

    def _similar(self, words: list[str]) -> tuple[Subcommand, ...]:
        first = words[0] if words else ""
        same_group = [s for s in self._subcommands if s.words[0] == first]
        if same_group:
            return tuple(same_group)
        names = {s.words[0] for s in self._subcommands}
        close = set(difflib.get_close_matches(first, names, n=2, cutoff=0.6))
        return tuple(s for s in self._subcommands if s.words[0] in close)

"""Loading lifecycles: the built-in sets shipped in `bot/lifecycle/builtin/`, or a team's own YAML file.

A team file (pointed to by HEADWAY_LIFECYCLE) replaces the built-ins. Its shape, also shown in
`bot/lifecycle/example.yaml`::

    key: lean-ml                  # optional; derived from `name` when left out
    name: Lean ML lifecycle       # required
    description: ...              # optional
    stages:                       # required, in order, at least one
      - key: explore              # optional; derived from `name` ("Data Collection" -> data-collection)
        name: Explore             # required, unique
        goal: One sentence.       # required
        inputs: [...]             # optional list of text
        outputs: [...]            # optional list of text
        timebox_weeks: 2          # optional whole number >= 1 (typical duration); leave out or null if open-ended
        approver_roles: [pm]      # required: who signs off the gate leaving this stage (see APPROVER_ROLES)
        launch: false             # optional; true on (at most) one stage, not the first: a Go into it ships
        exit_criteria:            # required, at least one; keys unique within the stage
          - key: problem-agreed
            text: Problem agreed with the business owner
            required: true        # optional, default true; false = shown at the gate but not blocking

Unknown fields and repeated keys are rejected, and every problem is reported as `file:line: field.path: message`
so a typo is found without guessing.
"""

from __future__ import annotations

import difflib
import os
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ValidationError

from bot.errors import HeadwayError
from bot.lifecycle.model import ExitCriterion, Lifecycle, Stage

if TYPE_CHECKING:
    import yaml

    from bot.lifecycle._yaml import Loc, Located

_BUILTIN_DIR = files("bot.lifecycle") / "builtin"

_MESSAGES = {
    "missing": "field required",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "tuple_type": "must be a list",
    "model_type": "must be a mapping of fields",
}


class Problem(NamedTuple):
    """One thing wrong with a lifecycle file; `line` is 1-based, or None when no line applies."""

    line: int | None
    path: str
    message: str

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class LifecycleError(HeadwayError):
    """A lifecycle definition that cannot be used; the message lists every problem with its line and field."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(set(problems), key=lambda p: (p.line or 0, p.path, p.message))
        rendered = [problem.render(source) for problem in self.problems]
        if len(rendered) == 1:
            message = rendered[0]
        else:
            message = f"{source}: {len(rendered)} problems in the lifecycle definition:\n" + "\n".join(
                f"  {line}" for line in rendered
            )
        super().__init__(message)


def format_loc(loc: Loc) -> str:
    """('stages', 2, 'exit_criteria', 0, 'text') -> 'stages[2].exit_criteria[0].text'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def builtin_keys() -> tuple[str, ...]:
    """Keys of the lifecycle sets shipped with Headway, e.g. ('default', 'research')."""
    return tuple(sorted(e.name.removesuffix(".yaml") for e in _BUILTIN_DIR.iterdir() if e.name.endswith(".yaml")))


@cache
def builtin(key: str = "default") -> Lifecycle:
    """A shipped lifecycle; cached, which is safe because lifecycles are frozen."""
    if key not in builtin_keys():
        raise KeyError(f"no built-in lifecycle {key!r}; choose one of: {', '.join(builtin_keys())}")
    text = (_BUILTIN_DIR / f"{key}.yaml").read_text(encoding="utf-8")
    return load_lifecycle_text(text, source=f"bot/lifecycle/builtin/{key}.yaml")


def load_lifecycle_file(path: str | os.PathLike[str]) -> Lifecycle:
    """Read a team's lifecycle file; LifecycleError if it is unreadable or invalid."""
    source = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise LifecycleError(source, [Problem(None, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LifecycleError(source, [Problem(line, "", "the file is not UTF-8 text")]) from None
    return load_lifecycle_text(text, source=source)


def load_lifecycle_text(text: str, source: str = "<string>") -> Lifecycle:
    """Parse and validate a lifecycle definition; LifecycleError lists every problem found.

    PyYAML loads here, on first use: a server reads lifecycles only when a request shows one (bench.memory)."""
    import yaml

    from bot.lifecycle._yaml import TooLarge, read

    try:
        located = read(text)
    except yaml.YAMLError as exc:
        raise LifecycleError(source, [_syntax_problem(exc, text)]) from None
    except RecursionError:
        raise LifecycleError(source, [Problem(None, "", "the YAML is nested too deeply")]) from None
    except TooLarge:
        raise LifecycleError(source, [Problem(None, "", "the YAML expands to too many values")]) from None
    if located is None or located.data is None:
        raise LifecycleError(source, [Problem(1, "", "the file is empty; expected a mapping with 'name' and 'stages'")])
    problems = [Problem(line, format_loc(loc), message) for line, loc, message in located.problems]
    if not isinstance(located.data, dict):
        kind = "a list" if isinstance(located.data, list) else "a single value"
        problems.append(Problem(located.lines[()], "", f"expected a mapping with 'name' and 'stages', found {kind}"))
        raise LifecycleError(source, problems)
    try:
        lifecycle = Lifecycle.model_validate(located.data)
    except ValidationError as exc:
        problems += _validation_problems(exc, located)
        raise LifecycleError(source, problems) from None
    if problems:
        raise LifecycleError(source, problems)
    return lifecycle


def _syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line: int | None = mark.line + 1
    elif isinstance(getattr(exc, "position", None), int):  # ReaderError: a character YAML does not allow
        line = text[: exc.position].count("\n") + 1  # type: ignore[attr-defined]
    else:
        line = None
    detail = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    return Problem(line, "", f"YAML syntax error: {detail}")


def _validation_problems(exc: ValidationError, located: Located) -> list[Problem]:
    """One Problem per pydantic error (duplicates expand to one per repeat), each placed on its line."""
    lines = located.lines
    found: list[tuple[Loc, str]] = []
    errors = exc.errors()
    bad_names = {tuple(e["loc"][:-1]) for e in errors if e["loc"] and e["loc"][-1] == "name"}
    for error in errors:
        loc: Loc = tuple(error["loc"])
        derived_key = bool(loc) and loc[-1] == "key" and loc not in lines
        if any(loc[: len(broken)] == broken for broken in located.broken):
            continue  # already reported while reading the YAML
        if derived_key and loc[:-1] in bad_names:
            continue  # the key was to come from the name, whose own error says what to fix
        if derived_key and error["type"] == "slug":
            found.append((loc, "cannot derive a key from the name; add a 'key'"))
        elif error["type"] == "duplicate" and (error.get("ctx") or {}).get("problems"):
            found += [((*loc, *sub_loc), message) for sub_loc, message in error["ctx"]["problems"]]
        else:
            found.append((loc, _message(error)))
    return [Problem(_closest_line(lines, loc), format_loc(loc), message) for loc, message in found]


def _closest_line(lines: dict[Loc, int], loc: Loc) -> int:
    """Line of `loc`, or of its nearest ancestor that exists (a missing field points at its parent mapping)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "literal_error":
        given = f"{error['input']!r} is not allowed; " if isinstance(error["input"], str) else ""
        return f"{given}use one of {ctx['expected']}"
    if kind == "extra_forbidden":
        return _unknown_field(error["loc"])
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def _unknown_field(loc: tuple[Any, ...]) -> str:
    """Name the allowed fields, and the likely intended one for a typo."""
    model: type[BaseModel] | None = {0: Lifecycle, 2: Stage, 4: ExitCriterion}.get(len(loc) - 1)
    name = str(loc[-1])
    if model is None:
        return f"unknown field {name!r}"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed fields: {', '.join(allowed)}"
    return f"unknown field {name!r}; {hint}"

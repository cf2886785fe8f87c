"""Checking a team's template overrides (HEADWAY_TEMPLATES_DIR) before Slack sees them.

Each override is parsed, rendered with sample data and validated as Block Kit with the emulator's validator
(the same rules Slack applies). Sample data cannot fit every template: where the built-in template of the same
name does not render with it either, only the syntax is checked. A file whose name matches no built-in template
would be silently ignored, so it is flagged with the closest name.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, TemplateError
from markupsafe import Markup

from bot.render.environment import Renderer
from bot.render.escaping import strip_trailing_commas
from bot.resources import templates_dir
from bot.slack_emulator.blocks import validate_blocks, validate_view

SAMPLE = "sample"


@dataclass(frozen=True)
class OverrideProblem:
    name: str
    problem: str


class _Sample(ChainableUndefined):
    """Any missing value: prints as a short sample text, has any attribute, iterates as nothing."""

    def __str__(self) -> str:
        return SAMPLE

    def __html__(self) -> str:
        return SAMPLE

    def __call__(self, *_: Any, **__: Any) -> _Sample:
        return self

    def _same(self, *_: Any) -> _Sample:
        return self

    def _no(self, *_: Any) -> bool:
        return False

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _same
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __neg__ = __pos__ = __pow__ = __rpow__ = _same
    __lt__ = __le__ = __gt__ = __ge__ = _no

    def __int__(self) -> int:
        return 0

    def __float__(self) -> float:
        return 0.0


def _tolerant(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception:
            return Markup(json.dumps(SAMPLE)) if name == "tojson" else SAMPLE

    return call


def builtin_names() -> set[str]:
    root = templates_dir()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _sample_environment(renderer: Renderer) -> Environment:
    env = renderer.env.overlay(undefined=_Sample)
    env.filters = {name: _tolerant(name, f) for name, f in renderer.env.filters.items()}
    return env


def _render(env: Environment, name: str) -> Any:
    output = env.get_template(name).render()
    return json.loads(strip_trailing_commas(output))


def _block_kit_errors(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the template must render a JSON object"]
    if data.get("type") in ("modal", "home"):
        return validate_view(data)
    if "blocks" in data:
        return validate_blocks(data["blocks"])
    return []


def check_overrides(override_dir: Path) -> tuple[list[str], list[OverrideProblem]]:
    """The override names that are fine, and one problem per override that is not."""
    known = builtin_names()
    override_env = _sample_environment(Renderer(override_dir))
    builtin_env = _sample_environment(Renderer(None))
    good: list[str] = []
    problems: list[OverrideProblem] = []
    for path in sorted(p for p in override_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = path.relative_to(override_dir).as_posix()
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else "no built-in template has this name"
            problems.append(OverrideProblem(name, f"is not a Headway template and would be ignored: {hint}"))
            continue
        problem = _check_one(override_env, builtin_env, name)
        if problem:
            problems.append(OverrideProblem(name, problem))
        else:
            good.append(name)
    return good, problems


def _check_one(override_env: Environment, builtin_env: Environment, name: str) -> str | None:
    try:
        override_env.parse(override_env.loader.get_source(override_env, name)[0], name)  # type: ignore[union-attr]
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        return f"line {line}: {error.message}" if line else str(error)
    if not name.endswith(".json.j2"):
        return None  # a partial or macro file: used by others, not rendered on its own
    try:
        expected = set(_block_kit_errors(_render(builtin_env, name)))
    except Exception:
        return None  # sample data does not fit this template: the syntax check above is all we can do
    try:
        data = _render(override_env, name)
    except json.JSONDecodeError as error:
        return f"renders invalid JSON (line {error.lineno}: {error.msg})"
    except Exception as error:
        line = getattr(error, "lineno", None)
        return f"fails to render{f' at line {line}' if line else ''}: {error}"
    errors = [e for e in _block_kit_errors(data) if e not in expected]  # sample data's own artefacts aside
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"invalid Block Kit: {errors[0]}{more}"
    return None

"""What a lifecycle is: ordered stages, each with a goal, exit criteria and the roles that sign off its gate.

The models are frozen (tuples, not lists) so one loaded lifecycle can be cached and shared by every handler.
Validation errors raised here carry precise locations so the loader can point at the offending line.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

SLUG_MAX = 64  # stage and lifecycle keys are stored in 64-character columns
_SLUG_RE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")

ApproverRole = Literal[
    "business_owner",
    "executive_sponsor",
    "pm",
    "tech_lead",
    "privacy",
    "legal_compliance",
    "model_validation",
    "data_owner",
    "operations",
]
APPROVER_ROLES: tuple[str, ...] = get_args(ApproverRole)


def slugify(name: str) -> str:
    """A key derived from a display name, so custom files may leave `key` out ("Data Collection" -> data-collection)."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0] if "-" in slug[:SLUG_MAX] else slug[:SLUG_MAX]
    return slug


def _normalize(text: str) -> str:
    """Loose form for matching what people type: case, punctuation and '&' vs 'and' don't matter."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold().replace("&", " and ")).split())


def _check_slug(value: str) -> str:
    if len(value) > SLUG_MAX or not _SLUG_RE.fullmatch(value):
        raise PydanticCustomError(
            "slug",
            "must be a short lowercase key such as 'data-collection' (letters, digits, '-' or '_', at most {max})",
            {"max": SLUG_MAX},
        )
    return value


Slug = Annotated[str, AfterValidator(_check_slug)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _with_derived_key(data: Any) -> Any:
    """Fill a missing `key` from `name`; leaves anything odd for field validation to report."""
    if isinstance(data, dict) and "key" not in data and isinstance(data.get("name"), str):
        return {**data, "key": slugify(data["name"])}
    return data


def _duplicates(items: tuple[BaseModel, ...], field: str, where: str) -> list[tuple[tuple[int | str, ...], str]]:
    """(location, message) for every item whose `field` repeats an earlier one, relative to the list checked."""
    first: dict[str, int] = {}
    found: list[tuple[tuple[int | str, ...], str]] = []
    for index, item in enumerate(items):
        value = getattr(item, field)
        seen = _normalize(value) if field == "name" else value
        if seen in first:
            found.append(((index, field), f"duplicate {field} {value!r}, already used by {where}[{first[seen]}]"))
        else:
            first[seen] = index
    return found


def _require_items(items: tuple[Any, ...], what: str) -> None:
    # Checked after item validation: pydantic's own min_length also fires, confusingly, when an item is invalid.
    if not items:
        raise PydanticCustomError("empty", "must list at least one {what}", {"what": what})


def _raise_duplicates(problems: list[tuple[tuple[int | str, ...], str]]) -> None:
    """One error for pydantic, with each problem's own location in ctx so the loader can report them all."""
    if problems:
        summary = "; ".join(f"[{loc[0]}].{loc[1]}: {message}" for loc, message in problems)
        raise PydanticCustomError("duplicate", "{summary}", {"summary": summary, "problems": problems})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExitCriterion(_Frozen):
    """One checklist item of a go/no-go gate; optional items are shown but do not block the gate."""

    key: Slug
    text: Text
    required: Annotated[bool, Field(strict=True)] = True


class Stage(_Frozen):
    """A lifecycle stage; its exit criteria and approver roles define the gate that leaves it."""

    key: Slug
    name: Text
    goal: Text
    inputs: tuple[Text, ...] = ()
    outputs: tuple[Text, ...] = ()
    exit_criteria: tuple[ExitCriterion, ...]
    timebox_weeks: Annotated[int, Field(strict=True, ge=1)] | None = None
    approver_roles: tuple[ApproverRole, ...]
    launch: Annotated[bool, Field(strict=True)] = False  # a Go into this stage ships the project

    @model_validator(mode="before")
    @classmethod
    def _derive_key(cls, data: Any) -> Any:
        return _with_derived_key(data)

    @field_validator("exit_criteria")
    @classmethod
    def _unique_criteria(cls, criteria: tuple[ExitCriterion, ...]) -> tuple[ExitCriterion, ...]:
        _require_items(criteria, "exit criterion")
        _raise_duplicates(_duplicates(criteria, "key", "exit_criteria"))
        return criteria

    @field_validator("approver_roles")
    @classmethod
    def _unique_roles(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        _require_items(roles, "approver role")
        repeated = sorted({role for role in roles if roles.count(role) > 1})
        if repeated:
            raise PydanticCustomError("duplicate", "lists {roles} more than once", {"roles": ", ".join(repeated)})
        return roles

    @property
    def required_criteria(self) -> tuple[ExitCriterion, ...]:
        return tuple(c for c in self.exit_criteria if c.required)


class Lifecycle(_Frozen):
    """An ordered set of stages with helpers for moving a project along it."""

    key: Slug
    name: Text
    description: str = ""
    stages: tuple[Stage, ...]

    @model_validator(mode="before")
    @classmethod
    def _derive_key(cls, data: Any) -> Any:
        return _with_derived_key(data)

    @field_validator("stages")
    @classmethod
    def _unique_stages(cls, stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
        # Names must differ too: `find` matches names, and two stages called "Review" would be ambiguous.
        _require_items(stages, "stage")
        problems = _duplicates(stages, "key", "stages") + _duplicates(stages, "name", "stages")
        _raise_duplicates(sorted(problems))
        launches = [index for index, stage in enumerate(stages) if stage.launch]
        if len(launches) > 1:
            raise PydanticCustomError("duplicate", "{summary}", {"summary": "more than one launch stage", "problems": [
                ((index, "launch"), f"only one stage may be the launch stage; stages[{launches[0]}] already is")
                for index in launches[1:]]})
        if launches and launches[0] == 0:
            raise PydanticCustomError("duplicate", "{summary}", {"summary": "launch stage first", "problems": [
                ((0, "launch"), "the first stage cannot be the launch stage: a project is shipped by a Go into it")]})
        return stages

    @property
    def launch_stage(self) -> Stage | None:
        """The stage a Go into ships the project (Production, Tech Transfer), if the lifecycle marks one."""
        return next((stage for stage in self.stages if stage.launch), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(stage.key for stage in self.stages)

    @property
    def first_stage(self) -> Stage:
        return self.stages[0]

    def index(self, key: str) -> int:
        """Position of the stage `key`; KeyError naming the valid keys otherwise."""
        for position, stage in enumerate(self.stages):
            if stage.key == key:
                return position
        raise KeyError(f"lifecycle {self.key!r} has no stage {key!r}; its stages are: {', '.join(self.keys)}")

    def stage(self, key: str) -> Stage:
        return self.stages[self.index(key)]

    def next_stage(self, key: str) -> Stage | None:
        """The stage after `key`, or None when `key` is the last one."""
        position = self.index(key) + 1
        return self.stages[position] if position < len(self.stages) else None

    def previous_stages(self, key: str) -> tuple[Stage, ...]:
        """Stages before `key`, earliest first: where a project can be sent back to."""
        return self.stages[: self.index(key)]

    def find(self, name_or_key: str) -> Stage | None:
        """The stage someone meant ("production", "Model & Product Development", "data collection"), or None."""
        wanted = name_or_key.strip()
        for stage in self.stages:
            if stage.key == wanted.lower():
                return stage
        loose = _normalize(wanted)
        if not loose:
            return None
        for stage in self.stages:
            if loose in (_normalize(stage.key), _normalize(stage.name)):
                return stage
        return None

"""Validating what someone typed into the project form, field by field, before anything is stored."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.errors import InvalidInput
from bot.lifecycle import Lifecycle
from bot.models import MetricDirection, ProjectState

KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
# The built-in business lenses (templates/lenses/); a team's own lens templates are chosen the same way.
LENS_CHOICES = ("precision", "recall", "accuracy", "false_positive_rate", "error", "latency", "generic")


@dataclass(frozen=True)
class ProjectDraft:
    key: str
    name: str
    problem_statement: str
    business_owner_id: str | None
    success_criteria: str
    metric_name: str
    metric_direction: MetricDirection
    metric_unit: str
    baseline: float | None
    target: float | None
    start_date: date
    expected_date: date | None
    kill_date: date | None
    stage: str
    channel_id: str | None
    pm_ids: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()
    state: ProjectState = ProjectState.ACTIVE
    change_reason: str = ""
    lens: str | None = None
    lens_subject: str = ""
    monthly_volume: float | None = None
    value_per_catch: float | None = None
    cost_per_false_alarm: float | None = None


def validate_draft(raw: Mapping[str, Any], lifecycle: Lifecycle, today: date) -> ProjectDraft:
    """Turn raw form values into a draft, or raise InvalidInput with a message per field."""
    errors: dict[str, str] = {}

    def text(name: str, *, required: bool = False, limit: int = 3000) -> str:
        value = (raw.get(name) or "").strip()
        if required and not value:
            errors[name] = "Please fill this in."
        elif len(value) > limit:
            errors[name] = f"Please keep this under {limit} characters (it has {len(value)})."
        return value

    def number(name: str) -> float | None:
        value = raw.get(name)
        if value is None or str(value).strip() == "":
            return None
        try:
            parsed = float(str(value).replace(",", "").strip())
        except ValueError:
            errors[name] = "Please enter a number, such as 0.82 or 12.5."
            return None
        if not math.isfinite(parsed):
            errors[name] = "Please enter a finite number."
            return None
        return parsed

    def day(name: str, *, required: bool = False) -> date | None:
        value = raw.get(name)
        if not value:
            if required:
                errors[name] = "Please pick a date."
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            errors[name] = "Please pick a date (YYYY-MM-DD)."
            return None

    key = text("key", required=True, limit=12).upper()
    if key and "key" not in errors and not KEY_PATTERN.match(key):
        errors["key"] = "Use 2–12 letters or digits starting with a letter, e.g. FRAUD or CHURN2."
    name = text("name", required=True, limit=120)
    metric_name = text("metric_name", required=True, limit=80)
    metric_unit = text("metric_unit", limit=32)
    direction_raw = raw.get("metric_direction") or MetricDirection.HIGHER
    try:
        direction = MetricDirection(direction_raw)
    except ValueError:
        errors["metric_direction"] = "Choose whether higher or lower values are better."
        direction = MetricDirection.HIGHER
    baseline, target = number("baseline"), number("target")
    if baseline is not None and target is not None:
        if baseline == target:
            errors["target"] = "The target must differ from the baseline."
        elif direction is MetricDirection.HIGHER and target < baseline:
            errors["target"] = "Higher is better for this metric, so the target must be above the baseline."
        elif direction is MetricDirection.LOWER and target > baseline:
            errors["target"] = "Lower is better for this metric, so the target must be below the baseline."
    start = day("start_date") or today
    expected, kill = day("expected_date"), day("kill_date")
    if expected and expected < start:
        errors["expected_date"] = "The expected delivery date cannot be before the start date."
    if kill and kill < (expected or start):
        errors["kill_date"] = "The worst-case date cannot be before the expected delivery date."
    stage = raw.get("stage") or lifecycle.first_stage.key
    if stage not in lifecycle.keys:
        errors["stage"] = "Choose one of the lifecycle's stages."
    state_raw = raw.get("state") or ProjectState.ACTIVE
    try:
        state = ProjectState(state_raw)
    except ValueError:
        errors["state"] = "Choose active, paused, shipped or stopped."
        state = ProjectState.ACTIVE
    lens = raw.get("lens") or None
    if lens == "auto":
        lens = None
    if lens is not None and lens not in LENS_CHOICES:
        errors["lens"] = "Choose one of the listed lenses."
    amounts = {}
    for amount in ("monthly_volume", "value_per_catch", "cost_per_false_alarm"):
        amounts[amount] = number(amount)
        if amounts[amount] is not None and amounts[amount] < 0 and amount not in errors:
            errors[amount] = "Please enter zero or more."
    subject = text("lens_subject", limit=80)
    problem = text("problem_statement")
    criteria = text("success_criteria")
    reason = text("change_reason", limit=1000)
    if errors:
        raise InvalidInput(errors)
    return ProjectDraft(
        key=key, name=name, problem_statement=problem, business_owner_id=raw.get("business_owner") or None,
        success_criteria=criteria, metric_name=metric_name, metric_direction=direction, metric_unit=metric_unit,
        baseline=baseline, target=target, start_date=start, expected_date=expected, kill_date=kill, stage=stage,
        channel_id=raw.get("channel") or None, pm_ids=tuple(raw.get("pms") or ()),
        member_ids=tuple(raw.get("members") or ()), state=state, change_reason=reason, lens=lens,
        lens_subject=subject, **amounts,
    )

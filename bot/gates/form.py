"""Reading the gate forms (request and vote) into checked drafts; problems are keyed by block id.

Pure functions: the handlers pass what Slack sent, the services store what comes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlparse

from bot.errors import InvalidInput
from bot.gates.approvers import ROLE_LABELS, signoff_roles
from bot.lifecycle import Lifecycle, Stage
from bot.models.gates import GateDecision, GateRule
from bot.render.escaping import is_user_id
from bot.standups.schedule import zone

CRITERION_STATUSES = {"met": "Met", "not_met": "Not met", "na": "Not applicable"}
RULE_LABELS = {GateRule.ALL: "All approvers", GateRule.MAJORITY: "A majority", GateRule.ANY: "Any one approver"}
MAX_APPROVERS = 15
MAX_DEADLINE_DAYS = 90
MAX_HOLD_DAYS = 366


@dataclass(frozen=True)
class CriterionCheck:
    key: str
    text: str
    required: bool
    status: str  # met / not_met / na
    evidence: str

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "required": self.required, "status": self.status,
                "evidence": self.evidence}


@dataclass(frozen=True)
class GateDraft:
    to_stage: str
    criteria: tuple[CriterionCheck, ...]
    summary: str
    approvers: tuple[str, ...]  # everyone who votes, sign-off holders included
    signoffs: dict[str, str]  # sign-off role → user id
    deadline: date
    rule: GateRule


@dataclass(frozen=True)
class VoteDraft:
    decision: GateDecision
    rationale: str = ""
    conditions: str = ""
    pivot_stage: str | None = None
    problem_statement: str = ""
    hold_until: date | None = None
    condition_items: tuple[tuple[str, str, date], ...] = ()  # (what, owner, due) of a Go with conditions


MAX_CONDITIONS = 3


def _condition_items(raw: Mapping[str, Any], today: date, errors: dict[str, str]) -> tuple[tuple[str, str, date], ...]:
    """Condition 1 is the `conditions` text with its owner and due date; 2 and 3 are optional, all or nothing."""
    items = []
    for n in range(1, MAX_CONDITIONS + 1):
        text_field = "conditions" if n == 1 else f"condition_{n}"
        owner_field, due_field = f"condition_{n}_owner", f"condition_{n}_due"
        text = str(raw.get(text_field) or "").strip()
        owner, due = raw.get(owner_field), _day(raw.get(due_field))
        if n > 1 and not text:
            continue
        if n == 1 and owner_field not in raw and due_field not in raw:
            continue  # an older form without owner and date: the text alone, as before
        if not owner:
            errors[owner_field] = "Name who makes sure this condition is met."
        if due is None or due < today:
            errors[due_field] = "Pick today or a later day."
        if n > 1 and len(text) > 500:
            errors[text_field] = "Please keep each condition under 500 characters."
        if owner and due is not None:
            items.append((text, str(owner), due))
    return tuple(items)


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def end_of_day(day: date, tz: str) -> datetime:
    """The first instant after `day` in the time zone `tz`, in UTC: a deadline "on Friday" lasts all Friday."""
    return datetime.combine(day + timedelta(days=1), time(0), zone(tz)).astimezone(UTC)


def valid_link(text: str) -> bool:
    if len(text) > 500 or any(c in text for c in "<>| \t\n\"'"):
        return False
    parsed = urlparse(text)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and "." in parsed.netloc.split(":")[0]


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _text(raw: Mapping[str, Any], field: str, limit: int, errors: dict[str, str], *, required: str = "") -> str:
    text = str(raw.get(field) or "").strip()
    if not text and required:
        errors[field] = required
    elif len(text) > limit:
        errors[field] = f"Please keep this under {limit:,} characters."
    return text


def validate_request(raw: Mapping[str, Any], lifecycle: Lifecycle, leaving: Stage, slots: tuple[str, ...],
                     today: date) -> GateDraft:
    """Check the request form; `slots` are the sign-off fields the form showed."""
    errors: dict[str, str] = {}
    later = lifecycle.stages[lifecycle.index(leaving.key) + 1:]
    target = next((s for s in later if s.key == raw.get("to_stage")), None)
    if target is None:
        errors["to_stage"] = "Pick one of the stages after this one."
    elif missing := [r for r in signoff_roles(leaving, target) if r not in slots]:
        names = ", ".join(ROLE_LABELS[r] for r in missing)
        errors["to_stage"] = (f"Moving into {target.name} needs named sign-offs ({names}). Close this form and "
                              f"run `/gate request KEY to {target.key}` to get those fields.")
    criteria = []
    for criterion in leaving.exit_criteria:
        status = raw.get(f"crit_{criterion.key}")
        if status not in CRITERION_STATUSES:
            errors[f"crit_{criterion.key}"] = "Say whether this is met, not met or not applicable."
        evidence = str(raw.get(f"ev_{criterion.key}") or "").strip()
        if evidence and not valid_link(evidence):
            errors[f"ev_{criterion.key}"] = "Give a full http(s) link, e.g. https://wiki.example.com/eval-report."
        criteria.append(CriterionCheck(criterion.key, criterion.text, criterion.required, str(status), evidence))
    summary = _text(raw, "summary", 2000, errors, required="Say in a few lines what the approvers decide on.")
    signoffs: dict[str, str] = {}
    for role in slots:
        user_id = raw.get(f"signoff_{role}")
        if not user_id or not is_user_id(str(user_id)):
            errors[f"signoff_{role}"] = f"Name the person who signs off for {ROLE_LABELS[role].lower()}."
        else:
            signoffs[role] = str(user_id)
    chosen = [u for u in raw.get("approvers") or [] if isinstance(u, str)]
    approvers = tuple(dict.fromkeys([*chosen, *signoffs.values()]))
    if any(not is_user_id(u) for u in approvers):
        errors["approvers"] = "Pick people from the list."
    elif not approvers:
        errors["approvers"] = "Name at least one approver."
    elif len(approvers) > MAX_APPROVERS:
        errors["approvers"] = f"Keep it to {MAX_APPROVERS} approvers at most: gates need decisions, not crowds."
    deadline = _day(raw.get("deadline"))
    if deadline is None:
        errors["deadline"] = "Pick a date."
    elif deadline < today:
        errors["deadline"] = "That date has passed; pick today or later."
    elif (deadline - today).days > MAX_DEADLINE_DAYS:
        errors["deadline"] = f"Pick a date within {MAX_DEADLINE_DAYS} days."
    rule = raw.get("rule")
    if rule not in {r.value for r in GateRule}:
        errors["rule"] = "Choose all, majority or any one."
    if errors:
        raise InvalidInput(errors)
    return GateDraft(target.key, tuple(criteria), summary, approvers, signoffs, deadline,  # type: ignore[union-attr,arg-type]
                     GateRule(rule))


def validate_vote(decision: GateDecision, raw: Mapping[str, Any], lifecycle: Lifecycle, leaving: str,
                  today: date) -> VoteDraft:
    """Everything but Go comes with words: conditions, a reframed problem and where to return, a date, a why."""
    errors: dict[str, str] = {}
    if decision == GateDecision.GO:
        return VoteDraft(decision)
    if decision == GateDecision.GO_CONDITIONS:
        conditions = _text(raw, "conditions", 2000, errors, required="Say what must be true, and by when.")
        rationale = _text(raw, "rationale", 2000, errors)
        items = _condition_items(raw, today, errors)
        _raise(errors)
        if len(items) > 1:
            conditions = "\n".join(f"• {what}" for what, _, _ in items)
        return VoteDraft(decision, rationale=rationale, conditions=conditions, condition_items=items)
    if decision == GateDecision.PIVOT:
        allowed = {s.key for s in lifecycle.stages[: lifecycle.index(leaving) + 1]}
        stage = raw.get("pivot_stage")
        if stage not in allowed:
            errors["pivot_stage"] = "Pick this stage or an earlier one."
        problem = _text(raw, "problem_statement", 3000, errors, required="Write the reframed problem statement.")
        rationale = _text(raw, "rationale", 2000, errors)
        _raise(errors)
        return VoteDraft(decision, rationale=rationale, pivot_stage=str(stage), problem_statement=problem)
    if decision == GateDecision.HOLD:
        until = _day(raw.get("hold_until"))
        if until is None or until <= today:
            errors["hold_until"] = "Pick a day after today."
        elif (until - today).days > MAX_HOLD_DAYS:
            errors["hold_until"] = "Hold for a year at most; a longer pause is a No-go."
        rationale = _text(raw, "rationale", 2000, errors, required="Say why the project should wait.")
        _raise(errors)
        return VoteDraft(decision, rationale=rationale, hold_until=until)
    rationale = _text(raw, "rationale", 2000, errors, required="Say why the project should stop.")
    _raise(errors)
    return VoteDraft(decision, rationale=rationale)


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(errors)

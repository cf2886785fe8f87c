"""Every callback_id and action_id Headway puts into Slack, in one place.

Templates (rendered by domain code) and handlers (which listen for them) both read these.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import NotFound


class CallbackId(StrEnum):
    PROJECT_FORM = "project_form"
    STANDUP_FORM = "standup_form"
    STANDUP_ANSWER = "standup_answer"
    STANDUP_AWAY = "standup_away"
    EXPERIMENT_FORM = "experiment_form"
    GATE_REQUEST = "gate_request"
    GATE_VOTE = "gate_vote"
    GATE_EXTEND = "gate_extend"
    GATE_EXPERIMENT_CONCLUDE = "gate_experiment_conclude"
    LOG_METRIC = "log_metric"
    SHORTCUT_LOG_METRIC = "shortcut_log_metric"  # the global shortcut, and its modal
    SHORTCUT_WEEKLY_GOAL = "shortcut_weekly_goal"  # the message shortcut, and its modal
    LIFECYCLE_MAP = "lifecycle_map"
    PRODUCTION_DECISION = "production_decision"
    AWAY_RULES = "away_rules"


class StepId(StrEnum):
    """Callback ids of Headway's custom steps for Workflow Builder (manifest `functions`, bot.steps)."""

    REQUEST_GATE = "request_gate"
    LOG_RESULT = "log_result"
    POST_STATUS = "post_status"


class ActionId(StrEnum):
    STANDUP_ANSWER = "standup_answer"
    STANDUP_SKIP = "standup_skip"
    STANDUP_AWAY = "standup_away"
    STANDUP_EDIT = "standup_edit"
    GATE_GO = "gate_go"
    GATE_GO_CONDITIONS = "gate_go_conditions"
    GATE_PIVOT = "gate_pivot"
    GATE_HOLD = "gate_hold"
    GATE_NO_GO = "gate_no_go"
    GATE_EXTEND = "gate_extend"
    GATE_CLOSE_AS_IS = "gate_close_as_is"
    GATE_REQUEST_OPEN = "gate_request_open"
    GATE_EXPERIMENT_EXTEND = "gate_experiment_extend"
    GATE_EXPERIMENT_PIVOT = "gate_experiment_pivot"
    GATE_EXPERIMENT_CONCLUDE = "gate_experiment_conclude"
    DIGEST_OPEN_GATE = "digest_open_gate"
    HOME_LOG_METRIC = "home_log_metric"
    OUTBOX_RETRY = "outbox_retry"
    HOME_NEW_PROJECT = "home_new_project"
    HOME_NEW_STANDUP = "home_new_standup"
    HOME_SUBSCRIBE_DIGEST = "home_subscribe_digest"
    HOME_GIVE_ROLES = "home_give_roles"
    HOME_HELP = "home_help"
    LIFECYCLE_PICK = "lifecycle_pick"
    MEASUREMENT_CONFIRM = "measurement_confirm"  # "-<measurement id>" follows: one button per unconfirmed result
    PRODUCTION_KEEP = "production_keep"
    PRODUCTION_RETRAIN = "production_retrain"
    PRODUCTION_ROLL_BACK = "production_roll_back"
    PRODUCTION_RETIRE = "production_retire"
    BLOCKER_RESOLVED = "blocker_resolved"
    BLOCKER_STILL = "blocker_still"
    CONDITION_MET = "condition_met"


RECORD_ID_MAX = 2**31 - 1  # PostgreSQL's INTEGER; the primary keys of every table
NO_RECORD = 0  # ids start at 1: a lookup of 0 finds nothing, and says so


def record_id(value: object, what: str | None = None) -> int:
    """A record number people type (`#12`) or a button/metadata carries, for a database lookup.

    Not a number → ValueError (callers say what they expected). A number no row can have (≤ 0, or past the
    database's integer range, e.g. 99999999999999999999) is "not found" like any other missing record instead of
    overflowing the query: NotFound naming it when `what` says what was typed ("gate"), else NO_RECORD, which
    every lookup answers as missing.
    """
    text = str(value if value is not None else "").strip().lstrip("#")
    if not text.isascii() or not text.lstrip("-").isdigit():
        raise ValueError(f"not a record number: {text[:20]!r}")
    number = int(text)
    if 1 <= number <= RECORD_ID_MAX:
        return number
    if what:
        raise NotFound(f"There is no {what} #{text[:24]}.")
    return NO_RECORD

"""Every callback_id and action_id Headway puts into Slack, in one place.

Templates (rendered by domain code) and handlers (which listen for them) both read these.
"""

from __future__ import annotations

from enum import StrEnum


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
    PRODUCTION_DECISION = "production_decision"


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
    PRODUCTION_KEEP = "production_keep"
    PRODUCTION_RETRAIN = "production_retrain"
    PRODUCTION_ROLL_BACK = "production_roll_back"
    PRODUCTION_RETIRE = "production_retire"
    BLOCKER_RESOLVED = "blocker_resolved"
    BLOCKER_STILL = "blocker_still"
    CONDITION_MET = "condition_met"

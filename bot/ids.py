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


class ActionId(StrEnum):
    STANDUP_ANSWER = "standup_answer"
    STANDUP_SKIP = "standup_skip"
    STANDUP_AWAY = "standup_away"
    STANDUP_EDIT = "standup_edit"
    DIGEST_OPEN_GATE = "digest_open_gate"

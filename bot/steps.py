"""Headway's custom steps for Slack's Workflow Builder, as the app manifest declares them (`functions`).

Slack's format (docs.slack.dev/tools/bolt-python/concepts/custom-steps, …/reference/methods/functions.completeSuccess):
each function has a title, a description and `input_parameters` / `output_parameters` of the form
{"properties": {name: {"type", "title", "description", "hint"…}}, "required": [names]} — the manifest schema's
version 2 shape (`_metadata.major_version: 2`). Types are Slack's: string, number, integer, array,
slack#/types/user_id, slack#/types/channel_id. The handlers in handlers/steps.py run them through the same
services as the slash commands.
"""

from __future__ import annotations

from typing import Any

from bot.ids import StepId

CONFIDENCES = ("low", "medium", "high")


def _text(title: str, description: str, hint: str = "") -> dict[str, Any]:
    return {"type": "string", "title": title, "description": description, **({"hint": hint} if hint else {})}


PROJECT = _text("Project", "The Headway project key", "e.g. FRAUD")
REQUESTED_BY = {"type": "slack#/types/user_id", "title": "On behalf of",
                "description": "Who asks: pick “Person who used this workflow” (Headway checks what they may do)"}

STEPS: dict[str, dict[str, Any]] = {
    StepId.REQUEST_GATE.value: {
        "title": "Request a go/no-go gate",
        "description": "Ask a project's approvers whether it moves on to the next stage",
        "input_parameters": {
            "properties": {
                "project": PROJECT,
                "stage": _text("Into stage", "The stage to move into (empty: the next one)", "e.g. Production"),
                "summary": _text("Summary", "What the approvers decide on, in a few lines"),
                "approvers": {"type": "array", "items": {"type": "slack#/types/user_id"}, "title": "Approvers",
                              "description": "Who votes (empty: the stage's default approvers)"},
                "requested_by": REQUESTED_BY,
            },
            "required": ["project", "summary", "requested_by"],
        },
        "output_parameters": {
            "properties": {
                "gate_id": {"type": "integer", "title": "Gate number", "description": "The gate's number (#)"},
                "gate_link": _text("Gate link", "Where the gate's card and votes are"),
            },
            "required": ["gate_id", "gate_link"],
        },
    },
    StepId.LOG_RESULT.value: {
        "title": "Log a result",
        "description": "Record the metric a project reached; outputs how Headway judges the project now",
        "input_parameters": {
            "properties": {
                "project": PROJECT,
                "value": {"type": "number", "title": "Value", "description": "The project's metric, e.g. 0.84"},
                "confidence": _text("Confidence", "low, medium or high (low waits for a confirmation)", "medium"),
                "note": _text("Note", "What was tried"),
                "requested_by": REQUESTED_BY,
            },
            "required": ["project", "value", "requested_by"],
        },
        "output_parameters": {
            "properties": {"label": _text("Judgement", "On track, Stalled, Breakthrough… after this result")},
            "required": ["label"],
        },
    },
    StepId.POST_STATUS.value: {
        "title": "Post the project status",
        "description": "Post where a project stands, in business language, to a channel",
        "input_parameters": {
            "properties": {
                "project": PROJECT,
                "channel": {"type": "slack#/types/channel_id", "title": "Channel",
                            "description": "Where to post (Headway must be a member)"},
            },
            "required": ["project", "channel"],
        },
        "output_parameters": {"properties": {}, "required": []},
    },
}

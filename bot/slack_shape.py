"""What a Slack payload must look like before Bolt matches listeners on it, over HTTP and Socket Mode alike.

Bolt's matchers index straight into the payload (`body["actions"][i]["action_id"]`, `body["view"]["callback_id"]`,
`body["event"]["type"]`…), so a payload without those fields would end in a KeyError and a traceback. Sources:
https://docs.slack.dev/reference/interaction-payloads/block_actions-payload, …/view-interactions-payload,
…/shortcuts-interaction-payload, https://docs.slack.dev/apis/events-api/ (the `event` wrapper), and
https://docs.slack.dev/apis/events-api/using-socket-mode (the envelope).
"""

from __future__ import annotations

from typing import Any

ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})


def _text(container: Any, key: str) -> bool:
    return isinstance(container, dict) and isinstance(container.get(key), str)


def payload_problem(body: Any) -> str | None:
    """None when Bolt can match the payload safely; otherwise what is missing, in a few words for the log."""
    if not isinstance(body, dict):
        return "the payload is not an object"
    kind = body.get("type")
    if "command" in body and not isinstance(body["command"], str):
        return "command is not text"
    if kind == "event_callback" and not _text(body.get("event"), "type"):
        return "event_callback without event.type"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not all(_text(action, "action_id") for action in actions):
            return "block_actions with an action without action_id"
    if kind == "block_suggestion" and not _text(body, "action_id"):
        return "block_suggestion without action_id"
    if kind in ("view_submission", "view_closed") and not _text(body.get("view"), "callback_id"):
        return f"{kind} without view.callback_id"
    if kind in ("shortcut", "message_action", "interactive_message", "dialog_submission", "dialog_cancellation",
                "workflow_step_edit") and not _text(body, "callback_id"):
        return f"{kind} without callback_id"
    return None


def envelope_problem(message: Any) -> str | None:
    """None for a Socket Mode frame slack_sdk can turn into a request (or one that is not an envelope at all:
    hello, disconnect); otherwise what is wrong with the envelope."""
    if not isinstance(message, dict):
        return "the frame is not a JSON object"
    if "envelope_id" not in message and message.get("type") not in ENVELOPE_TYPES:
        return None
    if not isinstance(message.get("envelope_id"), str) or not message["envelope_id"]:
        return "the envelope has no envelope_id"
    if not isinstance(message.get("payload"), dict):
        return "the envelope's payload is not an object"
    return payload_problem(message["payload"])

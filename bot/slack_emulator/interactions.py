"""What happens in Slack after the app answers an interaction.

response_url posts become messages/ephemerals, view_submission answers close,
update or push modals, and user input is remembered as view state. The driver
calls these (directly or over the control API) so the emulator's picture of the
workspace matches what a person would see.
"""

from __future__ import annotations

import time
from typing import Any

from .blocks import MAX_MESSAGE_BLOCKS, validate_blocks, validate_view
from .methods_chat import bot_message
from .methods_views import MAX_STACK, build_view, replace_view
from .state import ResponseUrl, WorkspaceState

MAX_RESPONSE_URL_USES = 5


def new_response_url(
    state: WorkspaceState,
    base_url: str,
    *,
    channel_id: str | None,
    user_id: str | None,
    message_ts: str | None = None,
    is_ephemeral: bool = False,
) -> dict[str, str]:
    """Register a response_url that captures what the app posts to it."""
    response_id = state.new_id("R", 12)
    state.response_urls[response_id] = ResponseUrl(
        id=response_id, channel_id=channel_id, user_id=user_id, message_ts=message_ts, is_ephemeral=is_ephemeral
    )
    return {"id": response_id, "url": f"{base_url}/_emulator/response/{response_id}"}


def capture_response(state: WorkspaceState, response_id: str, body: dict[str, Any]) -> tuple[int, str]:
    """Handle a POST to a response_url; return (HTTP status, text body) like Slack's webhooks."""
    target = state.response_urls.get(response_id)
    if target is None:
        return 404, "no_service"
    if len(target.posts) >= MAX_RESPONSE_URL_USES:
        return 404, "used_url"
    blocks = body.get("blocks")
    if blocks is not None and validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS):
        return 400, "invalid_blocks"
    if not body.get("text") and not blocks and not body.get("delete_original"):
        return 400, "no_text"
    record = {"response_id": response_id, "channel_id": target.channel_id, "user_id": target.user_id, **body}
    record["at"] = time.time()
    target.posts.append(record)
    state.responses.append(record)
    _apply_response(state, target, body)
    return 200, "ok"


def _apply_response(state: WorkspaceState, target: ResponseUrl, body: dict[str, Any]) -> None:
    channel_id = target.channel_id
    if channel_id is None:
        return
    original = state.get_message(channel_id, target.message_ts) if target.message_ts else None
    if body.get("delete_original"):
        if original is not None:
            state.delete_message(channel_id, original["ts"])
        return
    if body.get("replace_original") and original is not None:
        original["text"] = body.get("text", "")
        if body.get("blocks") is not None:
            original["blocks"] = body["blocks"]
        return
    message = bot_message(state, body.get("text"), body.get("blocks"), thread_ts=body.get("thread_ts"))
    if body.get("response_type") == "in_channel":
        state.store_message(channel_id, message)
    else:
        state.ephemerals.append({**message, "channel": channel_id, "visible_to": target.user_id})


def set_view_value(state: WorkspaceState, view_id: str, block_id: str, action_id: str, value: dict) -> None:
    """Remember a user's input in a view (Slack sends it back in view.state)."""
    state.view_state.setdefault(view_id, {}).setdefault(block_id, {})[action_id] = value


def close_view(state: WorkspaceState, view_id: str, *, clear: bool = False) -> list[str]:
    """Close one view (or its whole stack); return the ids that closed."""
    user_id = state.view_owner.get(view_id)
    if clear and user_id is not None:
        closed = list(state.modal_stacks.get(user_id, []))
        state.close_stack(user_id)
        return closed
    state.drop_view(view_id)
    return [view_id]


def apply_view_response(state: WorkspaceState, view_id: str, body: Any) -> dict[str, Any]:
    """Apply the app's answer to a view_submission (ack, errors, update, push, clear)."""
    action = body.get("response_action") if isinstance(body, dict) else None
    if action is None:
        return {"closed": close_view(state, view_id)}
    if action == "clear":
        return {"closed": close_view(state, view_id, clear=True)}
    if action == "errors":
        return {"errors": body.get("errors", {})}
    if action not in ("update", "push"):
        return {"invalid": f"unknown response_action {action!r}"}
    problems = validate_view(body.get("view"), expected_type="modal")
    if problems:
        return {"invalid": problems}
    old = state.views.get(view_id)
    if old is None:
        return {"invalid": "view is not open"}
    if action == "update":
        return {"view": replace_view(state, old, body["view"])}
    user_id = state.view_owner.get(view_id, "")
    stack = state.modal_stacks.setdefault(user_id, [])
    if len(stack) >= MAX_STACK:
        return {"invalid": "push_limit_reached"}
    new = build_view(state, body["view"], root_view_id=old["root_view_id"], previous_view_id=view_id)
    state.views[new["id"]] = new
    state.view_owner[new["id"]] = user_id
    stack.append(new["id"])
    return {"view": new}

"""views.* methods: modals (open/push/update) and the App Home tab (publish).

Modals need a fresh, unused trigger_id issued by the driver; each user has a
stack of at most three modals, as in Slack.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .api import ApiRequest, SlackError, slack_method
from .blocks import assign_ids, validate_view
from .state import WorkspaceState

MAX_STACK = 3


def checked_view(req: ApiRequest, expected_type: str) -> dict[str, Any]:
    """Decode and validate the `view` argument (Slack answers invalid_arguments)."""
    view = req.json_value("view")
    if view is None:
        raise SlackError("invalid_arguments", ["[ERROR] missing required field: view"])
    errors = validate_view(view, expected_type=expected_type)
    if errors:
        raise SlackError("invalid_arguments", errors)
    return view


def _hash() -> str:
    return f"{int(time.time())}.{uuid.uuid4().hex[:8]}"


def build_view(
    state: WorkspaceState,
    raw: dict[str, Any],
    *,
    view_id: str | None = None,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
) -> dict[str, Any]:
    """The stored/returned view object, with ids, hash and an empty state."""
    config = state.config
    view_id = view_id or state.new_id("V")
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": config.team_id,
        "type": raw["type"],
        "blocks": assign_ids(raw.get("blocks")),
        "private_metadata": raw.get("private_metadata") or "",
        "callback_id": raw.get("callback_id") or "",
        "state": {"values": {}},
        "hash": _hash(),
        "clear_on_close": bool(raw.get("clear_on_close", False)),
        "notify_on_close": bool(raw.get("notify_on_close", False)),
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": config.app_id,
        "external_id": raw.get("external_id") or "",
        "app_installed_team_id": config.team_id,
        "bot_id": config.bot_id,
    }
    for key in ("title", "submit", "close"):
        if raw.get(key) is not None:
            view[key] = raw[key]
    return view


def element_keys(view: dict[str, Any]) -> set[tuple[str, str]]:
    """(block_id, action_id) pairs of every element in a view."""
    keys: set[tuple[str, str]] = set()
    for block in view.get("blocks", []):
        elements = list(block.get("elements") or []) + [block.get("element"), block.get("accessory")]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id"):
                keys.add((block["block_id"], element["action_id"]))
    return keys


def replace_view(state: WorkspaceState, old: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """Swap a view's content in place, keeping its id/stack and surviving input state."""
    new = build_view(
        state, raw, view_id=old["id"], root_view_id=old["root_view_id"], previous_view_id=old["previous_view_id"]
    )
    if not new["external_id"]:
        new["external_id"] = old.get("external_id", "")
    keys = element_keys(new)
    values = state.view_state.get(old["id"], {})
    state.view_state[old["id"]] = {
        block_id: {a: v for a, v in actions.items() if (block_id, a) in keys}
        for block_id, actions in values.items()
        if any(k[0] == block_id for k in keys)
    }
    state.views[old["id"]] = new
    return new


def _use_trigger(req: ApiRequest) -> str:
    trigger, error = req.state.check_trigger(req.get("trigger_id") or req.get("interactivity_pointer"))
    if trigger is None:
        raise SlackError(error or "invalid_trigger_id")
    trigger.used = True
    return trigger.user_id


def _check_external_id(state: WorkspaceState, raw: dict[str, Any]) -> None:
    if raw.get("external_id") and state.view_by_external_id(raw["external_id"]) is not None:
        raise SlackError("duplicate_external_id")


@slack_method("views.open")
def views_open(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    trigger, error = state.check_trigger(req.get("trigger_id") or req.get("interactivity_pointer"))
    if trigger is None:
        raise SlackError(error or "invalid_trigger_id")
    raw = checked_view(req, "modal")  # trigger problems are reported before view problems
    _check_external_id(state, raw)
    user_id = _use_trigger(req)
    state.close_stack(user_id)
    view = build_view(state, raw)
    state.views[view["id"]] = view
    state.view_owner[view["id"]] = user_id
    state.modal_stacks[user_id] = [view["id"]]
    return {"view": view}


@slack_method("views.push")
def views_push(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    trigger, error = state.check_trigger(req.get("trigger_id") or req.get("interactivity_pointer"))
    if trigger is None:
        raise SlackError(error or "invalid_trigger_id")
    raw = checked_view(req, "modal")
    _check_external_id(state, raw)
    stack = state.modal_stacks.get(trigger.user_id, [])
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    user_id = _use_trigger(req)
    previous = stack[-1] if stack else None
    view = build_view(state, raw, root_view_id=stack[0] if stack else None, previous_view_id=previous)
    state.views[view["id"]] = view
    state.view_owner[view["id"]] = user_id
    state.modal_stacks.setdefault(user_id, []).append(view["id"])
    return {"view": view}


@slack_method("views.update")
def views_update(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    view_id, external_id = req.get("view_id"), req.get("external_id")
    if not view_id and not external_id:
        raise SlackError("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
    old = state.views.get(str(view_id)) if view_id else state.view_by_external_id(str(external_id))
    if old is None:
        raise SlackError("not_found")
    raw = checked_view(req, old["type"])
    if req.get("hash") and req.get("hash") != old["hash"]:
        raise SlackError("hash_conflict")
    return {"view": replace_view(state, old, raw)}


@slack_method("views.publish")
def views_publish(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    user_id = str(req.require("user_id"))
    if user_id not in state.users:
        raise SlackError("user_not_found")
    raw = checked_view(req, "home")
    old_id = state.home_views.get(user_id)
    old = state.views.get(old_id) if old_id else None
    if old is not None:
        if req.get("hash") and req.get("hash") != old["hash"]:
            raise SlackError("hash_conflict")
        return {"view": replace_view(state, old, raw)}
    view = build_view(state, raw)
    state.views[view["id"]] = view
    state.home_views[user_id] = view["id"]
    state.view_owner[view["id"]] = user_id
    return {"view": view}

"""Interaction payload pieces shaped exactly like Slack sends them.

The hard part is `view.state.values`: each element type reports its value under
a different key (value, selected_option, selected_users, …), untouched inputs
report their `initial_*` value, and tests want to write `{"goal": "ship it"}`
instead of the full nested structure. This module does that translation.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any


class DriverError(ValueError):
    """The test asked for something a real Slack user could not do."""


# element type -> (state key, initial_* key)
SHAPES: dict[str, tuple[str, str | None]] = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "rich_text_input": ("rich_text_value", "initial_value"),
    "file_input": ("files", None),
}
_LIST_KEYS = {"selected_options", "selected_users", "selected_conversations", "selected_channels", "files"}


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        found.extend(group.get("options") or [])
    return found


def option_for(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    """Find the option object for a value (or accept a full option dict)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    for option in _options(element):
        if option.get("value") == str(value):
            return option
    if "external" in element.get("type", ""):
        return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": str(value)}
    raise DriverError(f"option {value!r} is not offered by element {element.get('action_id')!r}")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def _convert(element: dict[str, Any], key: str, value: Any) -> Any:
    if key == "selected_option":
        return option_for(element, value)
    if key == "selected_options":
        return [option_for(element, v) for v in _as_list(value)]
    if key in _LIST_KEYS:
        return [str(v) if not isinstance(v, dict) else v for v in _as_list(value)]
    if value is None:
        return None
    if key == "selected_date" and isinstance(value, date):
        return value.isoformat()
    if key == "selected_time" and isinstance(value, time):
        return value.strftime("%H:%M")
    if key == "selected_date_time":
        return int(value.timestamp()) if isinstance(value, datetime) else int(value)
    if key == "rich_text_value" and isinstance(value, str):
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": value}]}
        return {"type": "rich_text", "elements": [section]}
    return value if isinstance(value, dict) else str(value)


def state_value(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The view.state entry for an element set to `value` (Slack's shape per type)."""
    kind = element.get("type", "")
    key = SHAPES.get(kind, ("value", None))[0]
    out = {"type": kind, key: _convert(element, key, value)}
    if kind == "timepicker" and element.get("timezone"):
        out["timezone"] = element["timezone"]
    return out


def initial_state_value(element: dict[str, Any]) -> dict[str, Any]:
    """What Slack sends for an input the user never touched: its initial value, or null."""
    kind = element.get("type", "")
    key, initial_key = SHAPES.get(kind, ("value", None))
    initial = element.get(initial_key) if initial_key else None
    if key == "selected_option":
        return {"type": kind, key: initial}
    if key in _LIST_KEYS:
        return {"type": kind, key: list(initial or [])}
    return state_value(element, initial)


def stateful_elements(view: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) pairs that carry state in view.state.values."""
    found = []
    for block in view.get("blocks", []):
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        candidates += [block[k] for k in ("element", "accessory") if isinstance(block.get(k), dict)]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in SHAPES:
                found.append((block, element))
    return found


def resolve_values(view: dict[str, Any], values: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Map convenient keys ({block_id: v}, {block_id: {action_id: v}}, {action_id: v}) to elements."""
    by_block: dict[str, list[str]] = {}
    by_action: dict[str, list[tuple[str, str]]] = {}
    for block, element in stateful_elements(view):
        by_block.setdefault(block["block_id"], []).append(element["action_id"])
        by_action.setdefault(element["action_id"], []).append((block["block_id"], element["action_id"]))
    targets: dict[tuple[str, str], Any] = {}
    for key, value in values.items():
        if key in by_block:
            actions = by_block[key]
            if isinstance(value, dict) and value and all(k in actions for k in value):
                targets.update({(key, a): v for a, v in value.items()})
            elif len(actions) == 1:
                targets[(key, actions[0])] = value
            else:
                raise DriverError(f"block {key!r} has several elements {actions}; use {{block_id: {{action_id: v}}}}")
        elif len(by_action.get(key, [])) == 1:
            targets[by_action[key][0]] = value
        else:
            raise DriverError(f"no single input with block_id/action_id {key!r} in view {view.get('id')}")
    return targets


def _is_empty(entry: dict[str, Any]) -> bool:
    return all(v in (None, "", []) for k, v in entry.items() if k not in ("type", "timezone"))


def check_input(block: dict[str, Any], element: dict[str, Any], entry: dict[str, Any]) -> None:
    """Refuse what Slack's client would refuse: empty required inputs, bad lengths/numbers."""
    label = block.get("label", {}).get("text", block["block_id"])
    if _is_empty(entry):
        if block.get("type") == "input" and not block.get("optional"):
            raise DriverError(f"required input {label!r} is empty")
        return
    value = entry.get("value")
    too_short = isinstance(value, str) and len(value) < int(element.get("min_length", 0))
    too_long = isinstance(value, str) and len(value) > int(element.get("max_length", 3000))
    if element["type"] == "plain_text_input" and (too_short or too_long):
        raise DriverError(f"input {label!r} length {len(value)} outside Slack's allowed range")
    if element["type"] == "number_input" and isinstance(value, str):
        try:
            number = float(value) if element.get("is_decimal_allowed") else int(value)
        except ValueError:
            raise DriverError(f"input {label!r} is not a valid number: {value!r}") from None
        low, high = element.get("min_value"), element.get("max_value")
        if (low is not None and number < float(low)) or (high is not None and number > float(high)):
            raise DriverError(f"input {label!r} value {value} outside [{low}, {high}]")


def build_state_values(
    view: dict[str, Any],
    remembered: dict[str, dict[str, Any]],
    given: dict[str, Any],
    *,
    client_checks: bool = True,
) -> dict[str, dict[str, Any]]:
    """view.state.values: given values, else what the user entered earlier, else initial values."""
    targets = resolve_values(view, given)
    state: dict[str, dict[str, Any]] = {}
    for block, element in stateful_elements(view):
        block_id, action_id = block["block_id"], element["action_id"]
        if (block_id, action_id) in targets:
            entry = state_value(element, targets[(block_id, action_id)])
        elif action_id in remembered.get(block_id, {}):
            entry = remembered[block_id][action_id]
        else:
            entry = initial_state_value(element)
        if client_checks and block.get("type") == "input":
            check_input(block, element, entry)
        state.setdefault(block_id, {})[action_id] = entry
    return state


def find_element(blocks: list[dict[str, Any]], action_id: str, block_id: str | None = None) -> tuple[str, dict] | None:
    """Locate an interactive element by action_id (and block_id) in a block list."""
    for block in blocks or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements") or []) + [block.get("accessory"), block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id", ""), element
    return None


def action_entry(element: dict[str, Any], block_id: str, value: Any, action_ts: str) -> dict[str, Any]:
    """One item of block_actions `actions[]`, per element type."""
    kind = element.get("type", "button")
    base = {"action_id": element.get("action_id"), "block_id": block_id, "type": kind, "action_ts": action_ts}
    if kind in ("button", "workflow_button"):
        base["text"] = element.get("text", {"type": "plain_text", "text": str(element.get("action_id"))})
        chosen = value if value is not None else element.get("value")
        if chosen is not None:
            base["value"] = str(chosen)
        if element.get("style"):
            base["style"] = element["style"]
        return base
    if kind == "overflow":
        base["selected_option"] = option_for(element, value)
        return base
    entry = state_value(element, value)
    base.update({k: v for k, v in entry.items() if k != "type"})
    if element.get("placeholder"):
        base["placeholder"] = element["placeholder"]
    return base

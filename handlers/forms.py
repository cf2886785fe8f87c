"""Reading Slack view state into plain values keyed by block_id (one element per input block)."""

from __future__ import annotations

import json
from typing import Any


def element_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        return element.get("value")
    if kind in ("static_select", "external_select", "radio_buttons"):
        option = element.get("selected_option")
        return option.get("value") if option else None
    if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        return [o.get("value") for o in element.get("selected_options") or []]
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "multi_users_select":
        return list(element.get("selected_users") or [])
    if kind in ("conversations_select", "channels_select"):
        return element.get("selected_conversation") or element.get("selected_channel")
    if kind in ("multi_conversations_select", "multi_channels_select"):
        return list(element.get("selected_conversations") or element.get("selected_channels") or [])
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    return None


def read_state(view: dict[str, Any]) -> dict[str, Any]:
    """{block_id: value}; blocks Slack sent without a value read as None."""
    values: dict[str, Any] = {}
    for block_id, elements in ((view.get("state") or {}).get("values") or {}).items():
        for element in elements.values():
            values[block_id] = element_value(element)
    return values


def view_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The JSON object we put in private_metadata; {} when it is missing or was tampered with."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

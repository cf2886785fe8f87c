"""Context of a block_actions payload: where the clicked element lives.

An action in a view carries the view (with current state) and updates what the
emulator remembers the user typed; an action on a message carries the channel,
the message and a fresh response_url, like Slack's payloads.
"""

from __future__ import annotations

from typing import Any

from . import payloads
from .link import EmulatorLink
from .payloads import DriverError


async def view_action(
    link: EmulatorLink,
    payload: dict,
    view: str | dict,
    action_id: str,
    block_id: str | None,
    value: Any,
    action_ts: str,
    element_type: str,
) -> tuple[dict[str, Any], None]:
    """Fill container/view for an action inside a modal or App Home; remember the input."""
    view_id = view if isinstance(view, str) else view["id"]
    held = await link.call("get_view", view_id=view_id)
    if held is None:
        raise DriverError(f"view {view_id} is not open")
    block_id, element = pick_element(held.get("blocks", []), action_id, block_id, element_type)
    if element.get("type") in payloads.SHAPES:
        entry = payloads.state_value(element, value)
        await link.call("set_view_value", view_id=view_id, block_id=block_id, action_id=action_id, value=entry)
    remembered = await link.call("view_values", view_id=view_id)
    held["state"] = {"values": payloads.build_state_values(held, remembered, {}, client_checks=False)}
    payload.update(container={"type": "view", "view_id": view_id}, view=held)
    return payloads.action_entry(element, block_id, value, action_ts), None


async def message_action(
    link: EmulatorLink,
    payload: dict,
    user_id: str,
    message: Any,
    action_id: str,
    block_id: str | None,
    value: Any,
    action_ts: str,
    element_type: str,
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """Fill container/channel/message/response_url for an action on a (possibly ephemeral) message."""
    channel_id, ts = (message["channel"], message["ts"]) if isinstance(message, dict) else (message or (None, None))
    held = await link.call("get_message", channel=channel_id, ts=ts) if channel_id else None
    if message is not None and held is None:
        raise DriverError(f"message {ts} not found in {channel_id}")
    blocks = (held or {}).get("blocks", [])
    block_id, element = pick_element(blocks, action_id, block_id, element_type)
    action = payloads.action_entry(element, block_id, value, action_ts)
    if held is None:
        return action, None
    is_ephemeral = bool(held.get("is_ephemeral"))
    response = await link.call(
        "new_response_url", channel_id=channel_id, user_id=user_id, message_ts=ts, is_ephemeral=is_ephemeral
    )
    payload["container"] = {
        "type": "message",
        "message_ts": ts,
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    payload["channel"] = {"id": channel_id, "name": await link.call("channel_name", channel_id=channel_id)}
    if not is_ephemeral:
        payload["message"] = held
    payload["state"] = {"values": payloads.build_state_values({"blocks": blocks}, {}, {}, client_checks=False)}
    payload["response_url"] = response["url"]
    return action, response


def pick_element(blocks: list, action_id: str, block_id: str | None, element_type: str) -> tuple[str, dict]:
    found = payloads.find_element(blocks, action_id, block_id)
    if found is not None:
        return found
    if blocks:
        raise DriverError(f"no element with action_id {action_id!r} (block {block_id!r})")
    return block_id or "", {"type": element_type, "action_id": action_id}

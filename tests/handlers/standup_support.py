"""Driving standups through Slack in tests: set one up, tick the scheduler, answer a prompt."""

from __future__ import annotations

import json
from typing import Any

from bot.jobs import standup_tick
from tests.conftest import CHANNEL
from tests.handlers.test_projects import make_pm
from tests.support import eventually, filled_view

STANDUP = {"name": "fraud-team", "channel": CHANNEL, "weekdays": ["mon", "tue", "wed", "thu", "fri"],
           "local_time": "09:30", "reminder_minutes": "60", "cutoff_minutes": "600"}


async def create_standup(slack, emulator, participants: list[str], user: str, **overrides: Any):
    from tests.handlers.test_projects import open_form

    await make_pm(slack, user)
    view_id = await open_form(slack, emulator, user, "new", command="/standup")
    result = await slack.view_submission(user, view_id, dict(STANDUP, participants=participants, **overrides))
    assert result.status == 200 and not result.body, result.body
    return result


async def tick(headway, clock, **advance: float):
    if advance:
        clock.advance(**advance)
    return await standup_tick(headway.hw)


def outbox_key(call) -> str:
    metadata = call.params.get("metadata") or {}
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    return (metadata.get("event_payload") or {}).get("key", "")


def outbox_keys(call) -> list[str]:
    """Every outbox key a posted message carries: one, or each reply of a bundle (bot.delivery.bundles)."""
    metadata = call.params.get("metadata") or {}
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    payload = metadata.get("event_payload") or {}
    return list(payload.get("keys") or ([payload["key"]] if payload.get("key") else []))


def dms_to(emulator, user_id: str, kind: str = "") -> list:
    """Messages Headway posted to a person (by user id: Slack opens the DM), optionally of one kind:
    "prompt" (prompts and reminders), "confirm", or any text the message contains."""
    calls = [c for c in emulator.calls_to("chat.postMessage")
             if c.params.get("channel") == user_id and c.response.get("ok")]
    if kind == "prompt":
        return [c for c in calls if outbox_key(c).endswith((":prompt", ":reminder"))]
    if kind == "confirm":
        return [c for c in calls if ":confirm:" in outbox_key(c)]
    return [c for c in calls if kind in json.dumps(c.params)]


def prompt_id_in(call) -> int:
    blocks = call.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "standup_answer":
                return int(element["value"])
    raise AssertionError("no Answer button in that message")


async def wait_prompt(emulator, user_id: str, count: int = 1):
    calls = await eventually(lambda: dms_to(emulator, user_id, "prompt") if len(
        dms_to(emulator, user_id, "prompt")) >= count else None)
    return calls[count - 1]


def where(call) -> tuple[str, str]:
    """(channel, ts) of a posted message, to click its buttons."""
    return call.response["channel"], call.response["ts"]


async def answer(slack, emulator, user_id: str, dm, values: dict[str, Any], action="standup_answer"):
    """Click Answer (or Edit) on the DM `dm` (a recorded chat.postMessage call) and submit the modal."""
    shown = len(emulator.calls)
    clicked = await slack.block_action(user_id, action, message=where(dm))
    assert clicked.status == 200
    view_id = (await filled_view(emulator, shown))["id"]
    return await slack.view_submission(user_id, view_id, values)

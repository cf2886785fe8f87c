"""Driving gates through Slack in tests: request one, find its cards, vote with or without a rationale."""

from __future__ import annotations

import json
from typing import Any

from bot.models import Gate, OutboxMessage
from tests.conftest import CHANNEL, EXEC, PM
from tests.handlers.standup_support import outbox_key, where
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, eventually, filled_view, rows

FEASIBILITY_CRITERIA = ("data-available", "data-quality", "baseline", "evaluation-pipeline", "gap-and-risks",
                        "value-estimate")
FORM_ACTIONS = {"go_conditions": "gate_go_conditions", "pivot": "gate_pivot", "hold": "gate_hold",
                "no_go": "gate_no_go"}


async def fraud_project(slack, emulator, **overrides: Any) -> None:
    """FRAUD in Feasibility: business owner EXEC, PM as its PM, MEMBER on the team, cards in CHANNEL."""
    await make_pm(slack)
    result = await create(slack, emulator, dict(FRAUD, **overrides))
    assert result.status == 200 and not result.body, result.body


async def gate_command(slack, user: str, text: str) -> dict[str, Any]:
    """`/gate text`; the private answer (in the ack or through response_url)."""
    result = await slack.slash_command(user, "/gate", text, channel_id=CHANNEL)
    if result.body:
        return result.body
    return await result.wait_for_response(timeout=10)


def answer_text(answer: dict[str, Any]) -> str:
    return all_text(answer.get("blocks") or []) or answer.get("text", "")


async def open_request(slack, emulator, user: str = PM, text: str = "request FRAUD") -> str:
    """Run `/gate request …`; the id of the modal once Headway filled it."""
    shown = len(emulator.calls)
    result = await slack.slash_command(user, "/gate", text, channel_id=CHANNEL)
    assert result.status == 200 and not result.body
    return (await filled_view(emulator, shown))["id"]


def request_values(approvers: list[str] | None = None, rule: str = "majority", view: dict[str, Any] | None = None,
                   **overrides: Any) -> dict[str, Any]:
    """The request form filled in: every criterion met (Feasibility's value estimate not), EXEC and PM approve."""
    keys = [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("crit_")] if view else [
        f"crit_{key}" for key in FEASIBILITY_CRITERIA]
    values: dict[str, Any] = dict.fromkeys(keys, "met")
    if "crit_value-estimate" in values:
        values["crit_value-estimate"] = "not_met"
    values.update({"summary": "Baseline beaten on held-out data; go to design?",
                   "rule": rule, "approvers": approvers if approvers is not None else [EXEC, PM]})
    values.update(overrides)
    return values


async def request_gate(slack, emulator, database_url: str, approvers: list[str] | None = None,
                       rule: str = "majority", user: str = PM, text: str = "request FRAUD", **overrides: Any) -> Gate:
    view_id = await open_request(slack, emulator, user, text)
    values = request_values(approvers, rule, emulator.views[view_id], **overrides)
    result = await slack.view_submission(user, view_id, values)
    assert result.status == 200 and not result.body, result.body
    return (await ordered(database_url, Gate))[-1]


async def ordered(database_url: str, model: type, *where: Any) -> list:
    """Rows in id order (PostgreSQL returns updated rows in no particular order)."""
    return sorted(await rows(database_url, model, *where), key=lambda row: row.id)


def posted(emulator, key: str) -> list:
    return [c for c in emulator.calls_to("chat.postMessage") if outbox_key(c) == key and c.response.get("ok")]


async def card(emulator, gate_id: int, where_to: str):
    """The posted card (a recorded chat.postMessage) in the channel ("channel") or a person's DM."""
    return (await eventually(lambda: posted(emulator, f"gate:{gate_id}:card:{where_to}"), timeout=10))[0]


def blocks_of(call) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks or []


def text_of(call) -> str:
    return all_text(blocks_of(call))


async def latest_card_text(emulator, database_url: str, gate_id: int, where_to: str, wanted: str) -> str:
    """Wait until the card at `where_to` shows `wanted` (after chat.update); its text."""
    target = (await eventually(lambda: posted(emulator, f"gate:{gate_id}:card:{where_to}"), timeout=10))[0]
    channel, ts = target.response["channel"], target.response["ts"]

    def current() -> str | None:
        updates = [c for c in emulator.calls_to("chat.update") if c.params.get("ts") == ts
                   and c.params.get("channel") == channel and c.response.get("ok")]
        text = text_of(updates[-1]) if updates else text_of(target)
        return text if wanted in text else None

    return await eventually(current, timeout=10)


async def go(slack, user: str, dm, timeout: float = 10) -> str:
    """Click Go on a card; Headway's private answer."""
    clicked = await slack.block_action(user, "gate_go", message=where(dm))
    assert clicked.status == 200
    return answer_text(await clicked.wait_for_response(timeout=timeout))


async def open_vote(slack, emulator, user: str, decision: str, dm) -> str:
    """Click a rationale button; the id of the modal once Headway filled it (or put a notice in it)."""
    shown = len(emulator.calls)
    clicked = await slack.block_action(user, FORM_ACTIONS[decision], message=where(dm))
    assert clicked.status == 200
    return (await filled_view(emulator, shown))["id"]


VOTE_VALUES = {
    "go_conditions": {"conditions": "Retrain monthly", "rationale": "Good enough with guard rails"},
    "pivot": {"pivot_stage": "discovery", "problem_statement": "Flag risky merchants, not single payments"},
    "hold": {"hold_until": "2026-12-14", "rationale": "Wait for the Q1 labels"},
    "no_go": {"rationale": "Labels are too sparse to learn from"},
}


async def vote(slack, emulator, user: str, decision: str, dm, values: dict[str, Any] | None = None):
    """Vote `decision` on the card `dm`: Go by button, the others through their modal."""
    if decision == "go":
        return await go(slack, user, dm)
    view_id = await open_vote(slack, emulator, user, decision, dm)
    return await slack.view_submission(user, view_id, values or VOTE_VALUES[decision])


async def settled(database_url: str) -> bool:
    return all(r.status in ("sent", "dead", "cancelled") for r in await rows(database_url, OutboxMessage))

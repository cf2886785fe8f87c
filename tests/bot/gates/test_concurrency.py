"""Everyone clicks Go at the same moment: the gate closes once, with one stage change, on either database."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import Gate, GateVote, StageTransition
from tests.conftest import ADMIN, EXEC, MEMBER, OTHER, PM
from tests.handlers.gate_support import answer_text, card, fraud_project, ordered, posted, request_gate
from tests.handlers.standup_support import where
from tests.support import eventually, rows

EVERYONE = [EXEC, PM, MEMBER, ADMIN, OTHER]


@pytest.mark.parametrize(("rule", "stored"), [("all", 5), ("majority", 3), ("any", 1)])
async def test_five_simultaneous_go_clicks_close_the_gate_exactly_once(slack, emulator, clean_database, rule, stored):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, EVERYONE, rule=rule)
    cards = [await card(emulator, gate.id, user) for user in EVERYONE]
    clicks = await asyncio.gather(*(slack.block_action(user, "gate_go", message=where(dm))
                                    for user, dm in zip(EVERYONE, cards, strict=True)))
    answers = [answer_text(await c.wait_for_response(timeout=30)) for c in clicks]
    assert sum("The gate is now closed: Go" in a for a in answers) == 1
    assert sum("has already closed" in a for a in answers) == 5 - stored  # votes after the close: refused
    assert len(await ordered(clean_database, GateVote)) == stored
    [gate] = await rows(clean_database, Gate)
    assert (gate.status, gate.outcome) == ("closed", "go")
    assert [t.to_stage for t in await ordered(clean_database, StageTransition)] == ["feasibility", "design"]
    await eventually(lambda: posted(emulator, f"gate:{gate.id}:closed:channel"))
    assert len(posted(emulator, f"gate:{gate.id}:closed:channel")) == 1

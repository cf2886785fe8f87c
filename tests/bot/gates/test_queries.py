"""What other features read about gates: the decisions waiting for one approver (digests, App Home)."""

from __future__ import annotations

from datetime import date

from bot.gates.queries import pending_for
from tests.conftest import EXEC, MEMBER, PM, TEAM_ID
from tests.handlers.gate_support import card, fraud_project, go, request_gate


async def test_pending_decisions_are_open_gates_without_the_readers_vote(slack, emulator, headway, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM], rule="all")

    async def pending(user_id: str) -> list:
        async with headway.hw.db.unit_of_work() as session:
            return await pending_for(session, TEAM_ID, user_id)

    [waiting] = await pending(EXEC)
    assert (waiting.gate_id, waiting.title, waiting.deadline) == (gate.id, "FRAUD: gate #1", date(2026, 11, 30))
    assert await pending(MEMBER) == []
    await go(slack, EXEC, await card(emulator, gate.id, EXEC))
    assert await pending(EXEC) == [] and len(await pending(PM)) == 1
    await go(slack, PM, await card(emulator, gate.id, PM))
    assert await pending(PM) == []  # closed

"""Getting a project into production through Slack, as people would: a gate from development closes with Go."""

from __future__ import annotations

import httpx

from bot.models import Gate, ProductionHealth
from tests.bot.test_api import auth, new_token
from tests.conftest import CHANNEL, EXEC, PM
from tests.handlers.gate_support import card, fraud_project, go, open_request, request_values
from tests.support import eventually, rows

LAUNCH_VALUE = 0.81


async def launched(slack, emulator, database_url: str, headway) -> str:
    """FRAUD (recall, fraud cases) launched into Production with recall 0.81 frozen; its API token."""
    await fraud_project(slack, emulator, stage="development", lens_subject="fraud cases")
    result = await slack.slash_command(PM, "/headway", f"log FRAUD recall={LAUNCH_VALUE} release candidate",
                                       channel_id=CHANNEL)
    await result.wait_for_response()
    view_id = await open_request(slack, emulator, PM)
    view = emulator.views[view_id]
    signoffs = {b["block_id"]: EXEC for b in view["blocks"] if b.get("block_id", "").startswith("signoff_")}
    values = request_values([EXEC, PM], "all", view, **signoffs)
    submitted = await slack.view_submission(PM, view_id, values)
    assert submitted.status == 200 and not submitted.body, submitted.body
    [gate] = await rows(database_url, Gate)
    assert (gate.from_stage, gate.to_stage) == ("development", "production")
    for user in (EXEC, PM):
        await go(slack, user, await card(emulator, gate.id, user))
    await eventually(lambda: True)
    [closed] = await rows(database_url, Gate)
    assert closed.outcome == "go", closed
    return await new_token(slack)


async def post_live(headway, token: str, *values: float, ref: str = "live") -> httpx.Response:
    body = [{"metric": "recall", "value": v, "kind": "production", "client_id": f"{ref}-{i}"}
            for i, v in enumerate(values)]
    async with httpx.AsyncClient(base_url=headway.url) as client:
        return await client.post("/api/v1/projects/FRAUD/measurements", json=body, headers=auth(token))


async def health_row(database_url: str) -> ProductionHealth:
    [row] = await rows(database_url, ProductionHealth)
    return row

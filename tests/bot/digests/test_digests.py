"""Digests: bounded queries, Block Kit limits, business wording, and exactly-once weekly delivery."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from bot.digests.service import build_digest
from bot.jobs import send_due_digests
from bot.models import DigestKind, Measurement, MeasurementSource, Project, Workspace
from tests.conftest import CHANNEL, EXEC, MEMBER, PM, TEAM_ID
from tests.handlers.test_experiments import run
from tests.handlers.test_projects import make_pm
from tests.support import all_text, eventually

TODAY = date(2026, 11, 23)


async def seed(hw, count: int, *, weeks: int = 8) -> None:
    """`count` projects with a weekly measurement each for `weeks` weeks, straight into the database."""
    async with hw.db.unit_of_work() as session:
        if await session.get(Workspace, TEAM_ID) is None:
            session.add(Workspace(team_id=TEAM_ID))
            await session.flush()
        for n in range(count):
            project = Project(team_id=TEAM_ID, key=f"P{n:04d}", name=f"Model {n} <!here>", metric_name="recall",
                              baseline=0.5, target=0.9, start_date=TODAY - timedelta(weeks=10),
                              expected_date=TODAY + timedelta(weeks=10), kill_date=TODAY + timedelta(weeks=20),
                              stage=["feasibility", "development", "design"][n % 3])  # still being built: not live
            session.add(project)
            await session.flush()
            for w in range(weeks):
                session.add(Measurement(team_id=TEAM_ID, project_id=project.id, metric="recall",
                                        value=0.5 + 0.02 * w + (0.1 if n % 4 == 0 and w == weeks - 1 else 0),
                                        measured_at=datetime(2026, 11, 23, tzinfo=UTC) - timedelta(weeks=weeks - w - 1),
                                        source=MeasurementSource.API, source_ref=f"{n}:{w}"))


async def count_queries(hw, count: int) -> tuple[int, dict]:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(hw.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with hw.db.unit_of_work() as session:
            digest, message = await build_digest(session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), TEAM_ID,
                                                 EXEC, DigestKind.EXEC, TODAY)
    finally:
        event.remove(hw.db.engine.sync_engine, "before_cursor_execute", record)
    assert digest.active == count
    return len(statements), {"text": message.text, "blocks": message.blocks}


async def test_query_count_does_not_grow_with_the_portfolio(headway):
    await seed(headway.hw, 3)
    small, _ = await count_queries(headway.hw, 3)
    await seed_more(headway.hw)
    large, message = await count_queries(headway.hw, 40)
    # The same number of statements at 3 and at 40 projects is the property; the cap is what the digest honestly
    # needs: the portfolio's 8 reads, plus one for goalpost flags (bot/projects/goalposts.py: recent_flags) and one
    # for the live projects' health (bot/production/overview.py: live_projects).
    assert small == large <= 10
    assert len(message["blocks"]) <= 50
    assert "…and 32 more active projects, on the App Home." in all_text(message["blocks"])


async def seed_more(hw) -> None:
    async with hw.db.unit_of_work() as session:
        for n in range(3, 40):
            project = Project(team_id=TEAM_ID, key=f"Q{n:04d}", name=f"Extra {n}", metric_name="precision",
                              baseline=0.6, target=0.8, start_date=TODAY - timedelta(weeks=4), stage="discovery")
            session.add(project)


async def test_exec_digest_in_business_language_through_preview(slack, emulator, headway):
    await make_pm(slack)
    await seed(headway.hw, 5)
    text = await run(slack, EXEC, "digest preview")
    assert "5 active projects" in text
    assert "Model 0 &lt;!here&gt; catches 7 of every 10 cases (target 9)" in text
    assert "Pipeline: Feasibility 2 → Design &amp; Requirements 1 → Model &amp; Product Development 2" in text
    assert "We stop in April 2027 without real progress." in text
    assert "*Breakthrough*" in text and "A big step this week" in text
    assert "<!here>" not in text.split("\n", 1)[1]
    team = await run(slack, MEMBER, "digest preview team")
    assert "Team digest" in team and "recall 0.74" in team
    only = await run(slack, EXEC, "digest preview P0001")
    assert "P0001" in only and "P0002" not in only


async def test_execs_get_the_digest_monday_morning_once(slack, emulator, headway, clock):
    await seed(headway.hw, 2)
    await run(slack, "UADMIN01", f"role <@{EXEC}> exec")  # execs are subscribed by default
    await run(slack, MEMBER, f"digest subscribe team <#{CHANNEL}|general>")
    clock.set(datetime(2026, 11, 23, 7, 29, tzinfo=UTC))  # 12:59 in Kolkata, 08:29 in Berlin
    assert await send_due_digests(headway.hw) == 1  # Max's team digest (08:30 Kolkata was 03:00 UTC)
    clock.set(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))
    assert await send_due_digests(headway.hw) == 1  # Eve's, at 08:30 in Berlin
    assert await send_due_digests(headway.hw) == 0  # a second run queues nothing
    posts = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                      if c.params.get("channel") == EXEC and c.response.get("ok")])
    blocks = posts[-1].params["blocks"]
    assert "ML portfolio" in all_text(json.loads(blocks) if isinstance(blocks, str) else blocks)
    team_posts = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                           if c.params.get("channel") == CHANNEL and "Team digest" in c.params["text"]])
    assert len(team_posts) == 1
    assert "Unsubscribed from all digests" in await run(slack, EXEC, "digest unsubscribe")
    clock.set(datetime(2026, 11, 30, 7, 31, tzinfo=UTC))  # next Monday: Eve opted out, the default stays off
    assert await send_due_digests(headway.hw) == 1  # only Max's team digest


async def test_subscription_commands(slack, emulator, headway):
    assert "every Monday at 08:30 your time, by DM" in await run(slack, PM, "digest subscribe")
    assert "in <#" in await run(slack, PM, f"digest subscribe team <#{CHANNEL}|general>")
    assert "Name the channel with #" in await run(slack, PM, "digest subscribe team general")
    assert "Unsubscribed from the team digest" in await run(slack, PM, "digest unsubscribe team")
    assert "no active project with the key NOPE" in await run(slack, PM, "digest preview NOPE")

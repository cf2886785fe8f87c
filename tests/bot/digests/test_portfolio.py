"""The whole portfolio of bets: active, paused (with the day it resumes), shipped and stopped projects in the
exec digest, on the App Home and in `/headway project list`; stopped ones keep why for good; Slack's block
budget holds however large the portfolio."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bot.digests.service import build_digest
from bot.models import (
    DigestKind,
    Gate,
    GateDecision,
    GateStatus,
    Project,
    ProjectState,
    StageTransition,
    Workspace,
)
from tests.bot.digests.test_digests import TODAY, seed
from tests.conftest import EXEC, PM, TEAM_ID
from tests.handlers.test_experiments import run
from tests.handlers.test_projects import make_pm
from tests.support import all_text, eventually

LONG_AGO = datetime(2025, 3, 4, 10, tzinfo=UTC)  # stopped projects are kept for good, not 30 days


async def ended(hw, key: str, state: ProjectState, *, stage: str = "feasibility", reason: str = "",
                at: datetime = LONG_AGO, hold_until: date | None = None, name: str | None = None) -> None:
    """A project that moved into `state` at `at` with `reason` (a Hold gate when `hold_until`)."""
    async with hw.db.unit_of_work() as session:
        if await session.get(Workspace, TEAM_ID) is None:
            session.add(Workspace(team_id=TEAM_ID))
            await session.flush()
        project = Project(team_id=TEAM_ID, key=key, name=name or f"Bet {key}", metric_name="precision",
                          baseline=0.5, target=0.8, start_date=date(2025, 1, 6), stage=stage, state=state)
        session.add(project)
        await session.flush()
        session.add(StageTransition(team_id=TEAM_ID, project_id=project.id, from_stage=stage, to_stage=stage,
                                    from_state=ProjectState.ACTIVE, to_state=state, actor_id=PM, reason=reason,
                                    at=at))
        if hold_until:
            session.add(Gate(team_id=TEAM_ID, project_id=project.id, from_stage=stage, to_stage="design",
                             status=GateStatus.CLOSED, requested_by=PM, deadline=at.date(), deadline_at=at,
                             outcome=GateDecision.HOLD, hold_until=hold_until, closed_at=at))


async def mixed_portfolio(hw) -> None:
    await seed(hw, 3)
    await ended(hw, "LEGAL", ProjectState.PAUSED, hold_until=date(2027, 1, 11), at=datetime(2026, 11, 2, tzinfo=UTC),
                reason="Gate #4: on hold until 11 Jan 2027 because legal review of the data is pending")
    await ended(hw, "SEARCH", ProjectState.SHIPPED, stage="production", reason="Gate #2: Go from Development",
                at=datetime(2026, 6, 1, tzinfo=UTC))
    await ended(hw, "VOICE", ProjectState.STOPPED, stage="feasibility",
                reason="Stopped at Feasibility because no labelled data exists for the accents we need (gate #1)")
    await ended(hw, "ADS", ProjectState.STOPPED, stage="development", reason="Changed in the project form",
                at=datetime(2024, 5, 1, tzinfo=UTC))


async def test_the_exec_digest_covers_every_state_and_keeps_why_projects_stopped(slack, emulator, headway):
    await make_pm(slack)
    await mixed_portfolio(headway.hw)
    text = await run(slack, EXEC, "digest preview")
    assert "*3 active projects.*" in text and "1 in production. Also 1 paused, 2 stopped." in text
    assert "What we learned from stopped projects" in text
    assert ("*VOICE* · Bet VOICE — stopped at Feasibility because no labelled data exists for the accents we need "
            "(March 2025)") in text
    assert "*ADS* · Bet ADS — stopped at Model &amp; Product Development (May 2024)" in text  # no reason given
    assert "*LEGAL* · Bet LEGAL — paused at Feasibility until Mon 11 Jan 2027 because legal review" in text
    # A shipped project is live: it is listed once, under "In production" with its health, not also as shipped.
    assert "*In production* (1)\n:large_green_circle: *SEARCH · Bet SEARCH* — *Healthy*, live" in text
    assert "*Shipped*" not in text and text.count("*SEARCH") == 1
    # Groups in order: the active projects, then paused and stopped, then the live ones.
    order = [text.index(word) for word in ("*P0000", "*Paused* (1)", "*Stopped* (2)", "*In production* (1)")]
    assert order == sorted(order)


async def test_beyond_the_block_budget_the_rest_is_counted(headway):
    hw = headway.hw
    await seed(hw, 3)
    async with hw.db.unit_of_work() as session:
        for n in range(60):
            state = [ProjectState.ACTIVE, ProjectState.PAUSED, ProjectState.SHIPPED, ProjectState.STOPPED][n % 4]
            session.add(Project(team_id=TEAM_ID, key=f"X{n:03d}", name=f"Bet {n} " + "long name " * 5,
                                metric_name="recall", baseline=0.5, target=0.9, start_date=TODAY - timedelta(weeks=3),
                                stage="discovery", state=state))
    async with hw.db.unit_of_work() as session:
        digest, message = await build_digest(session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), TEAM_ID,
                                             EXEC, DigestKind.EXEC, TODAY)
    assert [g.key for g in digest.groups] == ["active", "paused", "shipped", "stopped"]
    assert len(message.blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message.blocks)
    text = all_text(message.blocks)
    assert "…and 10 more active projects, on the App Home." in text  # 18 active, 8 shown
    assert text.count("…and 10 more, on the App Home.") == 2  # 15 paused and 15 stopped: 5 shown each
    assert digest.group("shipped").items == ()  # the 15 shipped are live: under "In production", 12 shown
    assert "…and 3 more live projects, on `/headway health KEY`." in text


async def test_the_app_home_board_shows_the_whole_portfolio(slack, emulator, headway):
    await make_pm(slack)
    await mixed_portfolio(headway.hw)
    publishes = len(emulator.calls_to("views.publish"))
    result = await slack.event({"type": "app_home_opened", "user": PM, "tab": "home"})
    assert result.status == 200
    await eventually(lambda: len(emulator.calls_to("views.publish")) > publishes)
    view = emulator.calls_to("views.publish")[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    text = all_text(view["blocks"])
    assert len(view["blocks"]) <= 100
    for heading in ("Portfolio by stage", "Paused (1)", "Shipped (1)", "Stopped (2)"):
        assert heading in text
    assert "until Mon 11 Jan 2027" in text and "stopped at Feasibility because no labelled data" in text


async def test_project_list_by_state(slack, emulator, headway):
    await make_pm(slack)
    await mixed_portfolio(headway.hw)
    everything = await run(slack, PM, "project list")
    assert "ML projects (7)" in everything
    for heading in ("*Active* (3)", "*Paused* (1)", "*Shipped* (1)", "*Stopped* (2)"):
        assert heading in everything
    stopped = await run(slack, PM, "project list stopped")
    assert "Stopped projects (2)" in stopped and "*VOICE*" in stopped and "*P0000*" not in stopped
    assert "because no labelled data exists" in stopped
    active = await run(slack, PM, "project list ACTIVE")
    assert "*P0000* · Model 0 &lt;!here&gt; — Feasibility" in active and "VOICE" not in active
    assert "No shipped projects." not in await run(slack, PM, "project list shipped")
    assert "Choose one of all, active, paused, shipped, stopped" in await run(slack, PM, "project list dead")

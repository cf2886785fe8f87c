"""Local dates, one report: a digest judges "this week" in its reader's time zone (UTC−10, UTC−5 and UTC+14
around midnight), and one `/standup run NAME now` posts one report, dated in the standup's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.models import Measurement, MeasurementSource, Project, StandupRun, Workspace
from tests.conftest import CHANNEL, PM, TEAM_ID
from tests.handlers.standup_support import create_standup, outbox_key, wait_prompt
from tests.handlers.test_experiments import run
from tests.support import all_text, eventually, rows


async def triage(hw, posted: datetime) -> None:
    """TRIAGE: 0.6 two weeks before `posted`, then 0.85 from its pipeline at `posted`."""
    async with hw.db.unit_of_work() as session:
        session.add(Workspace(team_id=TEAM_ID))
        await session.flush()
        project = Project(team_id=TEAM_ID, key="TRIAGE", name="Ticket triage", metric_name="accuracy", baseline=0.5,
                          target=0.9, start_date=date(2026, 10, 1), expected_date=date(2027, 2, 1), stage="development")
        session.add(project)
        await session.flush()
        for n, (at, value) in enumerate(((posted - timedelta(weeks=2), 0.6), (posted, 0.85))):
            session.add(Measurement(team_id=TEAM_ID, project_id=project.id, metric="accuracy", value=value,
                                    measured_at=at, source=MeasurementSource.API, source_ref=f"run-{n}"))


@pytest.mark.parametrize("zone, now", [
    ("America/New_York", datetime(2026, 11, 24, 0, 45, tzinfo=UTC)),  # Mon 19:45 there; Tuesday in UTC
    ("Pacific/Honolulu", datetime(2026, 11, 24, 9, 45, tzinfo=UTC)),  # UTC−10: Mon 23:45 there
    ("Pacific/Kiritimati", datetime(2026, 11, 22, 10, 15, tzinfo=UTC)),  # UTC+14: Mon 00:15 there; Sunday in UTC
])
async def test_a_result_posted_a_minute_ago_is_in_the_readers_week(slack, emulator, headway, clock, zone, now):
    emulator.add_user(id="UREADER1", name="remy", real_name="Remy Reader", tz=zone)
    clock.set(now)
    await triage(headway.hw, now - timedelta(minutes=1))
    text = await run(slack, "UREADER1", "digest preview")
    assert "*TRIAGE · Ticket triage* — *Breakthrough*" in text, text
    assert "A big step this week" in text
    team = await run(slack, "UREADER1", "digest preview team")
    assert "accuracy 0.85 (+0.25 this week)" in team


async def test_one_run_now_posts_one_report_whatever_the_zones(slack, emulator, headway, clock, clean_database):
    """Los Angeles is still on Monday when Berlin is on Tuesday; the standup (New York's PM) is on Tuesday."""
    emulator.add_user(id="ULA00001", name="lee", real_name="Lee Angeles", tz="America/Los_Angeles")
    emulator.add_user(id="UBER0001", name="bea", real_name="Bea Berlin", tz="Europe/Berlin")
    await create_standup(slack, emulator, ["ULA00001", "UBER0001"], PM)
    clock.set(datetime(2026, 11, 24, 7, 30, tzinfo=UTC))  # Mon 23:30 in LA, Tue 08:30 in Berlin, Tue 02:30 in NY
    result = await slack.slash_command(PM, "/standup", "run fraud-team now", channel_id=CHANNEL)
    assert "Prompted 2 people" in all_text((await result.wait_for_response())["blocks"])
    await wait_prompt(emulator, "ULA00001")
    await wait_prompt(emulator, "UBER0001")
    [run_row] = await rows(clean_database, StandupRun)
    assert run_row.run_date == date(2026, 11, 24)
    reports = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                        if c.params.get("channel") == CHANNEL and outbox_key(c).endswith(":parent")])
    assert [outbox_key(c) for c in reports] == [f"standup:{run_row.standup_id}:2026-11-24:parent"]
    assert "Tue 24 Nov" in reports[0].params["text"] or "24 Nov" in all_text(reports[0].params.get("blocks") or [])


async def test_a_standup_set_to_its_own_zone_dates_its_run_there(slack, emulator, headway, clock, clean_database):
    emulator.add_user(id="ULA00001", name="lee", real_name="Lee Angeles", tz="America/Los_Angeles")
    emulator.add_user(id="UBER0001", name="bea", real_name="Bea Berlin", tz="Europe/Berlin")
    refused = await create_standup_form(slack, emulator, tz="Mars/Olympus")
    assert "Europe/Berlin" in refused.body["errors"]["tz"]
    await create_standup(slack, emulator, ["ULA00001", "UBER0001"], PM, tz="America/Los_Angeles")
    clock.set(datetime(2026, 11, 24, 7, 30, tzinfo=UTC))  # still Monday in Los Angeles
    await slack.slash_command(PM, "/standup", "run fraud-team now", channel_id=CHANNEL)
    await wait_prompt(emulator, "UBER0001")
    [run_row] = await rows(clean_database, StandupRun)
    assert run_row.run_date == date(2026, 11, 23)


async def create_standup_form(slack, emulator, **overrides):
    from tests.handlers.standup_support import STANDUP
    from tests.handlers.test_projects import make_pm, open_form

    await make_pm(slack, PM)
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    return await slack.view_submission(PM, view_id, dict(STANDUP, participants=["UBER0001"], **overrides))

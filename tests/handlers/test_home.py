"""The App Home over events and actions: published on open, role-specific parts, events handled once."""

from __future__ import annotations

from bot.models import Measurement
from tests.conftest import EXEC, MEMBER, PM
from tests.handlers.standup_support import create_standup, tick, wait_prompt
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, eventually, filled_view, rows


async def open_home(slack, emulator, user, **opts):
    before = len(emulator.calls_to("views.publish"))
    result = await slack.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME"},
                               **opts)
    assert result.status == 200
    call = (await eventually(lambda: emulator.calls_to("views.publish")[before:]))[-1]
    assert call.response["ok"], call.response
    return call.response["view"]


async def test_home_shows_the_board_and_each_persons_part(slack, emulator, headway, clock):
    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, members=[MEMBER]))
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", stage="discovery", metric_name="precision"))
    await create_standup(slack, emulator, [MEMBER], PM)
    clock.set(clock.now().replace(hour=5))
    await tick(headway, clock)
    await wait_prompt(emulator, MEMBER)

    pm_home = all_text((await open_home(slack, emulator, PM))["blocks"])
    assert "Portfolio by stage" in pm_home and "*Discovery* (1)" in pm_home and "*Feasibility* (1)" in pm_home
    assert "Your projects" in pm_home and "Log a metric" in pm_home
    member_view = await open_home(slack, emulator, MEMBER)
    member_home = all_text(member_view["blocks"])
    assert "Your standups" in member_home and "Your projects" not in member_home
    exec_home = all_text((await open_home(slack, emulator, EXEC))["blocks"])
    assert "Your standups" not in exec_home and "Portfolio by stage" in exec_home

    # the Answer button on the Home opens the standup modal
    shown = len(emulator.calls)
    await slack.block_action(MEMBER, "standup_answer", view=member_view["id"])
    modal = await filled_view(emulator, shown)
    assert "Experiment" in all_text(modal)


async def test_log_a_metric_from_home(slack, emulator, headway, clean_database):
    await make_pm(slack)
    await create(slack, emulator)
    home = await open_home(slack, emulator, PM)
    shown = len(emulator.calls)
    await slack.block_action(PM, "home_log_metric", view=home["id"])
    view_id = (await filled_view(emulator, shown))["id"]
    publishes = len(emulator.calls_to("views.publish"))
    result = await slack.view_submission(PM, view_id, {"value": "1.5"})
    assert "recall is between 0 and 1" in result.body["errors"]["value"]
    result = await slack.view_submission(PM, view_id, {"value": "0.77", "note": "new features"})
    assert result.status == 200 and not result.body
    [m] = await rows(clean_database, Measurement)
    assert (m.value, m.source, m.note) == (0.77, "slack", "new features")
    await eventually(lambda: len(emulator.calls_to("views.publish")) > publishes)  # the Home refreshes


async def test_a_retried_event_is_handled_once(slack, emulator, headway):
    event = {"type": "app_home_opened", "user": PM, "tab": "home", "channel": "D0HOME"}
    first = await slack.event(event, event_id="Ev0HOME1")
    retry = await slack.event(event, event_id="Ev0HOME1", retry_num=1)
    assert first.status == retry.status == 200
    await eventually(lambda: emulator.calls_to("views.publish"))
    await headway.hw.outbox.drain()
    other = await slack.event(event, event_id="Ev0HOME2")
    assert other.status == 200
    await eventually(lambda: len(emulator.calls_to("views.publish")) == 2)


async def test_decisions_waiting_for_an_exec_open_the_gate(slack, emulator, headway, clean_database):
    from tests.handlers.gate_support import fraud_project, request_gate

    await fraud_project(slack, emulator)
    gate_id = (await request_gate(slack, emulator, clean_database, approvers=[EXEC])).id
    home = await open_home(slack, emulator, EXEC)
    text = all_text(home["blocks"])
    assert "Decisions waiting for you" in text and f"FRAUD: gate #{gate_id}" in text
    digest = await slack.slash_command(EXEC, "/headway", "digest preview", channel_id="C0GENERAL")
    assert "1 decision waiting for you" in all_text((await digest.wait_for_response())["blocks"])
    before = len([c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == EXEC])
    await slack.block_action(EXEC, "digest_open_gate", view=home["id"])
    dms = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                    if c.params.get("channel") == EXEC][before:])
    assert "gate_go" in str(dms[-1].params.get("blocks"))

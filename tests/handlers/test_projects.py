"""`/headway project …` end to end: modal opened first and filled after, inline errors, DB state, cards."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.models import Project, ProjectMember, StageTransition
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, PM
from tests.support import all_text, eventually, filled_view, rows

FRAUD = {
    "key": "fraud", "name": "Fraud detection", "problem_statement": "Card fraud costs us money & trust.",
    "business_owner": EXEC, "pms": [PM], "members": [MEMBER], "success_criteria": "Catch 9 of 10 fraud cases",
    "metric_name": "recall", "metric_direction": "higher", "metric_unit": "", "baseline": "0.62", "target": "0.9",
    "start_date": "2026-11-02", "expected_date": "2027-03-31", "kill_date": "2027-06-30", "stage": "feasibility",
    "channel": CHANNEL,
}


async def make_pm(slack, user=PM, role="pm"):
    result = await slack.slash_command(ADMIN, "/headway", f"role <@{user}> {role}", channel_id=CHANNEL)
    await result.wait_for_response()


async def open_form(slack, emulator, user, text="project new", command="/headway"):
    """Run the command; return the id of the modal once Headway has filled it."""
    shown = len(emulator.calls)
    result = await slack.slash_command(user, command, text, channel_id=CHANNEL)
    assert result.status == 200 and not result.body  # acked with nothing: the modal is the answer
    return (await filled_view(emulator, shown))["id"]


async def create(slack, emulator, values=FRAUD, user=PM):
    view_id = await open_form(slack, emulator, user)
    return await slack.view_submission(user, view_id, values)


async def test_project_new_opens_the_form_filled_when_it_is_ready_at_once(slack, emulator):
    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM)
    [opened] = emulator.calls_to("views.open")
    assert opened.response["view"]["callback_id"] == "project_form"  # one call: no loading view, no flicker
    assert not emulator.calls_to("views.update")
    view = emulator.views[view_id]
    assert view["callback_id"] == "project_form"
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert {"key", "name", "problem_statement", "business_owner", "pms", "success_criteria", "metric_name",
            "metric_direction", "baseline", "target", "start_date", "expected_date", "kill_date", "stage",
            "channel"} <= block_ids


async def test_a_form_not_ready_in_time_opens_loading_then_fills(slack, emulator, monkeypatch):
    """A trigger_id lives 3 s: a view that is not built almost at once must not hold the modal back."""
    monkeypatch.setattr("handlers.modals.FILLED_WITHIN", 0.0)
    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM)
    [opened] = emulator.calls_to("views.open")
    [filled] = emulator.calls_to("views.update")
    assert "Loading" in all_text(opened.params["view"]["blocks"]) and opened.at <= filled.at
    assert filled.params["view_id"] == view_id and emulator.views[view_id]["callback_id"] == "project_form"


async def test_submitting_the_form_creates_the_project(slack, emulator, clean_database):
    await make_pm(slack)
    result = await create(slack, emulator)
    assert result.status == 200 and not result.body  # modal closes
    [project] = await rows(clean_database, Project)
    assert (project.key, project.name, project.stage, project.state) == ("FRAUD", "Fraud detection",
                                                                          "feasibility", "active")
    assert (project.baseline, project.target, project.business_owner_id) == (0.62, 0.9, EXEC)
    assert project.expected_date == date(2027, 3, 31)
    members = {(m.user_id, m.role) for m in await rows(clean_database, ProjectMember)}
    assert members == {(PM, "pm"), (MEMBER, "member")}
    [transition] = await rows(clean_database, StageTransition)
    assert (transition.to_stage, transition.actor_id, transition.from_stage) == ("feasibility", PM, None)
    # Confirmed where the PM asked (ephemeral in the channel she ran the command in), announced where the project
    # reports (its channel), and no echo in her DMs.
    confirmation = await eventually(lambda: [r for r in emulator.responses if r["channel_id"] == CHANNEL
                                             and r["user_id"] == PM and "FRAUD" in r.get("text", "")])
    assert confirmation[-1].get("response_type", "ephemeral") == "ephemeral"
    assert "is set up" in all_text(confirmation[-1]["blocks"])
    announced = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                          if c.params.get("channel") == CHANNEL and c.response.get("ok")])
    assert "FRAUD · Fraud detection* is set up by" in all_text(json.loads(announced[-1].params["blocks"]) if isinstance(
        announced[-1].params["blocks"], str) else announced[-1].params["blocks"])
    assert not [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == PM]


async def test_the_channel_announcement_survives_slack_failing_and_arrives_once(slack, emulator, clean_database):
    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM)
    emulator.fail_next("chat.postMessage", status=500, count=2)  # Slack is having a moment as the form saves
    assert not (await slack.view_submission(PM, view_id, FRAUD)).body

    def delivered():
        return [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL
                and c.response.get("ok")]

    [announcement] = await eventually(delivered, timeout=15)
    assert "FRAUD" in announcement.params["text"]
    assert len([c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL]) == 3


async def test_invalid_fields_come_back_inline_and_nothing_is_stored(slack, emulator, clean_database):
    await make_pm(slack)
    bad = dict(FRAUD, key="9lives", target="0.5", expected_date="2026-01-01")
    result = await create(slack, emulator, bad)
    assert result.body["response_action"] == "errors"
    assert set(result.body["errors"]) == {"key", "target", "expected_date"}
    assert await rows(clean_database, Project) == []


async def test_a_taken_key_is_an_inline_error(slack, emulator, clean_database):
    await make_pm(slack)
    await create(slack, emulator)
    result = await create(slack, emulator, dict(FRAUD, name="Another"))
    assert "already used" in result.body["errors"]["key"]
    assert len(await rows(clean_database, Project)) == 1


async def test_members_without_the_pm_role_cannot_create(slack, emulator, clean_database):
    view_id = await open_form(slack, emulator, MEMBER)
    assert "Only PMs and Headway admins can create projects" in all_text(emulator.views[view_id]["blocks"])
    # a forged submission of the form is refused too
    await make_pm(slack)
    pm_view = await open_form(slack, emulator, PM)
    result = await slack.view_submission(MEMBER, pm_view, FRAUD)
    assert result.body["response_action"] == "errors"
    assert await rows(clean_database, Project) == []


async def test_list_and_show_speak_business_language(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator)
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn <!here> prediction", stage="discovery"))
    listed = await slack.slash_command(MEMBER, "/headway", "project list", channel_id=CHANNEL)
    text = all_text((await listed.wait_for_response())["blocks"])
    assert "*CHURN* · Churn &lt;!here&gt; prediction" in text and "*FRAUD* · Fraud detection" in text
    assert "Feasibility" in text and "Discovery" in text and "<!here>" not in text
    shown = await slack.slash_command(EXEC, "/headway", "project show fraud", channel_id=CHANNEL)
    card = all_text((await shown.wait_for_response())["blocks"])
    assert "Card fraud costs us money &amp; trust." in card
    assert "recall, where higher is better: we start from *0.62* and the business needs *0.9*" in card
    assert "Feasibility — stage 2 of 6" in card
    assert "Expected by *March 2027*" in card and "Worst case *June 2027*" in card
    assert f"<@{EXEC}>" in card and f"<@{PM}>" in card


async def test_show_unknown_project_is_a_polite_answer(slack):
    shown = await slack.slash_command(MEMBER, "/headway", "project show NOPE", channel_id=CHANNEL)
    assert "There is no project with the key NOPE" in all_text((await shown.wait_for_response())["blocks"])


async def test_edit_changes_stage_and_records_history(slack, emulator, clean_database):
    """An admin may still move the stage in the form; it is recorded as moved without a gate."""
    await make_pm(slack)
    await create(slack, emulator)
    view_id = await open_form(slack, emulator, ADMIN, "project edit FRAUD")
    view = emulator.views[view_id]
    key_block = next(b for b in view["blocks"] if b.get("block_id") == "key")
    assert key_block["element"]["initial_value"] == "FRAUD"
    result = await slack.view_submission(ADMIN, view_id, {"stage": "design",
                                                          "change_reason": "Feasibility gate passed"})
    assert result.status == 200 and not result.body
    [project] = await rows(clean_database, Project)
    assert project.stage == "design" and project.name == "Fraud detection"  # untouched fields keep their values
    history = await rows(clean_database, StageTransition)
    assert [(h.from_stage, h.to_stage, h.reason, h.without_gate) for h in history][-1] == (
        "feasibility", "design", "Feasibility gate passed", True)


@pytest.mark.parametrize("user", [MEMBER, EXEC, "another PM"])
async def test_only_the_projects_pms_and_admins_can_edit(slack, emulator, user):
    await make_pm(slack)
    await create(slack, emulator)
    if user == "another PM":
        user = EXEC
        await make_pm(slack, EXEC)
    view_id = await open_form(slack, emulator, user, "project edit FRAUD")
    assert "Only FRAUD's PMs and Headway admins can edit it" in all_text(emulator.views[view_id]["blocks"])


async def test_show_gives_headline_judgement_trend_and_outlook(slack, emulator, clock):
    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, name="Fraud <!here> model", lens_subject="fraud cases",
                                       monthly_volume="1000", value_per_catch="200"))
    for weeks_ago, value in ((5, 0.64), (4, 0.66), (3, 0.70), (2, 0.71), (1, 0.74), (0, 0.81)):
        clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC) - timedelta(weeks=weeks_ago))
        result = await slack.slash_command(PM, "/headway", f"log FRAUD recall={value}", channel_id=CHANNEL)
        await result.wait_for_response()
    shown = await slack.slash_command(EXEC, "/headway", "show fraud", channel_id=CHANNEL)
    text = all_text((await shown.wait_for_response())["blocks"])
    assert "Fraud &lt;!here&gt; model catches 8 of every 10 fraud cases (target 9)" in text
    assert "≈ $38k a month in avoided losses over the baseline, at today's volume" in text
    assert "*Breakthrough*" in text or "*On track*" in text
    assert "67% of the way to the target" in text and "67% of the way from baseline to target" in text
    assert "Expected by March 2027; worst case June 2027" in text
    mrkdwn = text.split("\n", 1)[1]  # the header is plain_text, which Slack never turns into a mention
    assert "<!here>" not in mrkdwn


async def test_a_form_that_fails_to_build_says_so_in_the_modal(slack, emulator, monkeypatch):
    """A bug while building the form: the person sees that something went wrong, not a modal that never opens."""
    from bot.people import service

    await make_pm(slack)

    async def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "actor", broken)
    shown = len(emulator.calls)
    result = await slack.slash_command(PM, "/headway", "project new", channel_id=CHANNEL)
    assert result.status == 200 and not result.body
    assert "went wrong on Headway's side" in all_text(await filled_view(emulator, shown))

"""Production health end to end: the launch value frozen by the gate, live values through the API, labels with
business reasons, one announcement per episode with Keep / Retrain / Roll back / Retire, and the decisions."""

from __future__ import annotations

from bot.models import OutboxMessage, ProductionDecision, ProductionReading, Project, StageTransition
from tests.bot.production.support import LAUNCH_VALUE, health_row, launched, post_live
from tests.conftest import CHANNEL, EXEC, MEMBER, PM
from tests.handlers.gate_support import blocks_of, text_of
from tests.handlers.standup_support import outbox_key, where
from tests.support import all_text, eventually, filled_view, rows


def announcements(emulator, where_to: str) -> list:
    return [c for c in emulator.calls_to("chat.postMessage") if c.response.get("ok")
            and ":episode:" in outbox_key(c) and outbox_key(c).endswith(f":{where_to}")]


async def health_text(slack, user=PM, extra="") -> str:
    result = await slack.slash_command(user, "/headway", f"health FRAUD {extra}".strip(), channel_id=CHANNEL)
    return all_text((await result.wait_for_response(timeout=10))["blocks"])


async def test_the_gate_into_production_freezes_the_launch_value(slack, emulator, clean_database, headway):
    await launched(slack, emulator, clean_database, headway)
    health = await health_row(clean_database)
    assert (health.launch_value, health.metric, health.tolerance, health.tolerance_relative) == (
        LAUNCH_VALUE, "recall", 0.05, True)
    [project] = await rows(clean_database, Project)
    assert project.stage == "production"
    text = await health_text(slack)
    assert "Healthy" in text and "no live values yet; recall was 0.81 at launch" in text


async def test_live_values_judge_health_and_announce_a_degradation_once(slack, emulator, clean_database, headway,
                                                                       clock):
    token = await launched(slack, emulator, clean_database, headway)
    ok = await post_live(headway, token, 0.80, ref="a")
    assert ok.status_code == 201, ok.text
    assert "Healthy" in await health_text(slack)
    result = await slack.slash_command(PM, "/headway", "show FRAUD", channel_id=CHANNEL)
    shown = all_text((await result.wait_for_response(timeout=10))["blocks"])  # the live metric beside the offline one
    assert "catches 8 of every 10 fraud cases (target 9)" in shown
    assert ("*In production: Healthy* — now catches 80 of every 100 fraud cases, down from 81 at launch (live less "
            "than a day") in shown
    assert (await post_live(headway, token, 0.80, ref="a")).json()["duplicates"] == 1  # retries are stored once
    assert len(await rows(clean_database, ProductionReading)) == 1

    clock.advance(days=1)
    assert (await post_live(headway, token, 0.70, ref="b")).status_code == 201  # 0.70 < 0.81 − 5%
    dm = (await eventually(lambda: announcements(emulator, PM), timeout=10))[0]
    post = (await eventually(lambda: announcements(emulator, "channel"), timeout=10))[0]
    assert post.params["channel"] == CHANNEL
    text = text_of(dm)
    assert "Degrading" in text and "now catches 70 of every 100 fraud cases, down from 81 at launch" in text
    buttons = [e["text"]["text"] for b in blocks_of(dm) if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Keep", "Retrain", "Roll back", "Retire"]

    clock.advance(days=2)
    await post_live(headway, token, 0.69, ref="c")  # the same episode: nothing new is sent
    assert "Degrading" in await health_text(slack)
    clock.advance(days=6)
    text = await health_text(slack)
    assert "Degraded" in text and "down from 81 at launch" in text
    assert len([r for r in await rows(clean_database, OutboxMessage) if r.kind == "production_alert"]) == 2
    assert len(announcements(emulator, PM)) == 1

    await post_live(headway, token, 0.82, ref="d")  # back within tolerance: the episode ends
    recovered = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                          if outbox_key(c).endswith(":recovered")], timeout=10)
    assert "Healthy in production again" in text_of(recovered[0])
    await post_live(headway, token, 0.6, ref="e")  # a new episode is announced again
    await eventually(lambda: len(announcements(emulator, PM)) == 2, timeout=10)


async def test_production_values_are_refused_before_launch_and_for_the_wrong_metric(slack, emulator, clean_database,
                                                                                    headway):
    from tests.bot.test_api import new_token
    from tests.handlers.gate_support import fraud_project

    await fraud_project(slack, emulator, stage="development")
    token = await new_token(slack)
    early = await post_live(headway, token, 0.7)
    assert early.status_code == 422 and "not in production" in str(early.json()["detail"])
    assert await rows(clean_database, ProductionReading) == []


async def test_a_pm_sets_the_tolerance_and_others_cannot(slack, emulator, clean_database, headway):
    token = await launched(slack, emulator, clean_database, headway)
    assert "Only FRAUD's PMs" in await health_text(slack, MEMBER, "1%")
    assert "is not a tolerance" in await health_text(slack, PM, "lots")
    assert "Tolerance for *FRAUD* set to ±0.2" in await health_text(slack, PM, "0.2")
    await post_live(headway, token, 0.65)  # within ±0.2 of 0.81
    assert "Healthy" in await health_text(slack)
    assert "set to 2% of the launch value" in await health_text(slack, PM, "2%")
    health = await health_row(clean_database)
    assert (health.tolerance, health.tolerance_relative) == (0.02, True)


async def click(slack, emulator, user, action, dm) -> str:
    """Click a decision button; the id of the modal once Headway filled it (with the form or a notice)."""
    shown = len(emulator.calls)
    clicked = await slack.block_action(user, action, message=where(dm))
    assert clicked.status == 200
    return (await filled_view(emulator, shown))["id"]


async def decide(slack, emulator, user, action, dm, rationale):
    view_id = await click(slack, emulator, user, action, dm)
    return await slack.view_submission(user, view_id, {"rationale": rationale} if rationale else {})


async def test_retrain_then_retire_are_recorded_with_their_reasons(slack, emulator, clean_database, headway, clock):
    token = await launched(slack, emulator, clean_database, headway)
    await post_live(headway, token, 0.6)
    dm = (await eventually(lambda: announcements(emulator, PM), timeout=10))[0]

    refused = await click(slack, emulator, MEMBER, "production_retrain", dm)
    assert "Only FRAUD's PMs" in all_text(emulator.views[refused]["blocks"])
    missing = await decide(slack, emulator, PM, "production_retrain", dm, "   ")
    assert missing.body["response_action"] == "errors" and "rationale" in missing.body["errors"]
    done = await decide(slack, emulator, PM, "production_retrain", dm, "Merchant mix changed in November")
    assert done.body["response_action"] == "update"
    posted = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                       if ":decision:" in outbox_key(c)], timeout=10)
    assert "*Retrain*" in text_of(posted[0]) and "Merchant mix changed" in text_of(posted[0])
    assert "chose *Retrain* (was Degrading) — Merchant mix changed in November" in await health_text(slack)

    # The alert stops asking: every copy loses its buttons and says what was decided, by whom, when.
    for copy in (dm, (await eventually(lambda: announcements(emulator, "channel"), timeout=10))[0]):
        settled = await eventually(lambda c=copy: [u for u in emulator.calls_to("chat.update")
                                                   if u.params.get("ts") == c.response["ts"]], timeout=10)
        assert not [b for b in blocks_of(settled[-1]) if b["type"] == "actions"]
        assert f"*Decided: Retrain* by <@{PM}> on " in text_of(settled[-1])
    # A late click on an old copy (a client that has not refreshed): "already decided", nothing changes.
    before = len(await rows(clean_database, ProductionDecision))
    old_value = next(e["value"] for b in blocks_of(dm) if b["type"] == "actions" for e in b["elements"])
    late = await slack.block_action(PM, "production_keep", value=old_value)  # the old copy's button
    assert late.status == 200
    answer = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                       if c.params.get("channel") == PM and "Already decided" in text_of(c)],
                              timeout=10)
    assert "*Already decided: Retrain* by" in text_of(answer[-1]) and "Nothing was changed" in text_of(answer[-1])
    assert len(await rows(clean_database, ProductionDecision)) == before

    await post_live(headway, token, 0.82, ref="back")  # recovered, then degrading again: a new question
    await post_live(headway, token, 0.6, ref="again")
    dm = (await eventually(lambda: announcements(emulator, PM)[1:], timeout=10))[0]
    clock.advance(days=95)
    await decide(slack, emulator, PM, "production_retire", dm, "the new rules engine covers it")
    [project] = await rows(clean_database, Project)
    assert project.state == "stopped"
    retired = [t for t in await rows(clean_database, StageTransition) if t.to_state == "stopped"]
    assert retired[0].reason == "Retired after 3 months in production because the new rules engine covers it"
    choices = [(d.choice, d.user_id) for d in await rows(clean_database, ProductionDecision)]
    assert sorted(choices) == [("retire", PM), ("retrain", PM)]


async def test_the_exec_digest_has_an_in_production_group(slack, emulator, clean_database, headway, clock):
    from tests.handlers.test_experiments import run
    from tests.handlers.test_projects import FRAUD, create

    token = await launched(slack, emulator, clean_database, headway)
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", stage="feasibility"))
    clock.advance(days=120)  # long after the 30 days of "shipped recently"
    await post_live(headway, token, 0.7)
    text = await run(slack, EXEC, "digest preview")
    assert "*In production* (1)" in text
    assert ("*FRAUD · Fraud detection* — *Degrading*, live 4 months: now catches 70 of every 100 fraud cases, "
            "down from 81 at launch") in text
    assert "CHURN · Churn* — *" not in text.split("*In production*")[1]
    assert text.count("*FRAUD") == 1  # live: under "In production" only, not also as shipped or as an active line
    assert "CHURN · Churn* — *" in text.split("*In production*")[0]  # still being built: an active line

"""`/gate` end to end: signed requests in, Slack calls and rows out — requests, votes, every rule and
outcome, who may do what, simultaneous clicks, stale buttons and hostile text."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.models import Gate, GateApprover, GateVote, Project, StageTransition
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, OTHER, PM
from tests.handlers.gate_support import (
    VOTE_VALUES,
    answer_text,
    card,
    fraud_project,
    gate_command,
    go,
    latest_card_text,
    open_request,
    open_vote,
    ordered,
    posted,
    request_gate,
    request_values,
    text_of,
    vote,
)
from tests.handlers.standup_support import where
from tests.handlers.test_experiments import log
from tests.handlers.test_projects import make_pm
from tests.support import EVIL, all_text, assert_all_sent_text_safe, eventually, rows


async def test_the_request_form_opens_at_once_and_offers_the_stage_definition(slack, emulator):
    await fraud_project(slack, emulator)
    view_id = await open_request(slack, emulator)
    assert emulator.calls_to("views.open")[-1].response["view"]["id"] == view_id  # opened within the trigger's 3 s
    view = emulator.views[view_id]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert view["callback_id"] == "gate_request"
    assert blocks["to_stage"]["element"]["initial_option"]["value"] == "design"  # the next stage
    assert {"crit_baseline", "ev_baseline", "crit_value-estimate", "summary", "deadline", "rule"} <= set(blocks)
    assert blocks["approvers"]["element"]["initial_users"] == [EXEC, PM]  # business owner and the project's PM
    assert blocks["deadline"]["element"]["initial_date"] == "2026-11-30"  # five working days
    assert blocks["rule"]["element"]["initial_option"]["value"] == "majority"
    assert "tech lead, data owner" in all_text(view["blocks"])  # roles Headway cannot look up
    view_id = await open_request(slack, emulator, text="request fraud to Model & Product Development")
    assert emulator.views[view_id]["blocks"][1]["element"]["initial_option"]["value"] == "development"
    view_id = await open_request(slack, emulator, text="request FRAUD to discovery")
    assert "is not a stage after Feasibility" in all_text(emulator.views[view_id]["blocks"])
    assert "Usage" in answer_text(await gate_command(slack, PM, "request FRAUD design"))
    assert "`/gate request KEY [to STAGE]`" in answer_text(await gate_command(slack, MEMBER, "help"))
    assert "There is no project with the key NOPE" in answer_text(await gate_command(slack, PM, "request nope"))


async def test_a_request_posts_the_card_everywhere_with_a_frozen_snapshot(slack, emulator, clock, clean_database):
    await fraud_project(slack, emulator)
    await log(slack, MEMBER, "FRAUD recall=0.74 merchant features")
    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM, MEMBER],
                              **{"ev_baseline": "https://wiki.example.com/eval"})
    assert (gate.from_stage, gate.to_stage, gate.rule, gate.deadline) == ("feasibility", "design", "majority",
                                                                          date(2026, 11, 30))
    assert {(a.user_id, a.roles) for a in await ordered(clean_database, GateApprover)} == {
        (EXEC, "business_owner"), (PM, "pm"), (MEMBER, "")}
    for where_to in ("channel", EXEC, PM, MEMBER):
        text = text_of(await card(emulator, gate.id, where_to))
        assert "Gate #1 · FRAUD: Feasibility → Design & Requirements" in text
        assert "*recall*: *0.74* · baseline 0.62 · target 0.9" in text and "42% of the way" in text
        assert "Rough cost versus value estimate reviewed with the business owner — _not met_" in text
        assert "<https://wiki.example.com/eval|evidence>" in text
    assert (await card(emulator, gate.id, "channel")).params["channel"] == CHANNEL
    # "Your gate is out", where the PM asked (#channel, privately), not by DM.
    confirmation = await eventually(lambda: [r for r in emulator.responses if r["user_id"] == PM
                                             and r["channel_id"] == CHANNEL and "is out" in all_text(r["blocks"])])
    assert confirmation and not posted(emulator, f"gate:{gate.id}:requested:{PM}")
    await log(slack, MEMBER, "FRAUD recall=0.88 breakthrough")
    await go(slack, EXEC, await card(emulator, gate.id, EXEC))
    text = await latest_card_text(emulator, clean_database, gate.id, "channel", "2 of 3 still to vote")
    assert "*0.74*" in text and "0.88" not in text  # the approvers decide on what they were shown


async def test_malformed_requests_are_answered_inline_and_store_nothing(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    view_id = await open_request(slack, emulator)
    result = await slack.view_submission(PM, view_id, request_values(
        [EXEC], summary="  ", deadline="2026-11-01", **{"ev_baseline": "javascript:alert(1)"}))
    assert result.body["response_action"] == "errors"
    assert set(result.body["errors"]) == {"summary", "deadline", "ev_baseline"}
    assert await rows(clean_database, Gate) == []


@pytest.mark.parametrize("user", [ADMIN, PM, OTHER, EXEC, MEMBER])
async def test_only_the_projects_pms_and_admins_request_cancel_and_remind(slack, emulator, clean_database, user):
    await fraud_project(slack, emulator)
    await make_pm(slack, OTHER)  # a PM, but not on FRAUD
    allowed = user in (ADMIN, PM)
    opened = len(emulator.calls_to("views.open"))
    if allowed:
        view_id = await open_request(slack, emulator, user)
        assert emulator.views[view_id]["callback_id"] == "gate_request"
    else:
        answer = await slack.slash_command(user, "/gate", "request FRAUD", channel_id=CHANNEL)
        explained = answer_text(await answer.wait_for_response(timeout=10))
        assert "Only FRAUD's PMs and Headway admins can request a gate" in explained
        assert len(emulator.calls_to("views.open")) == opened  # no form at all
    gate = await request_gate(slack, emulator, clean_database, [EXEC, MEMBER])
    denial = "Only FRAUD's PMs and Headway admins can request, cancel or remind gates"
    for command, success in ((f"remind {gate.id}", "Reminded 2 approvers"),
                             (f"conditions met {gate.id}", "has no conditions to meet"),
                             (f"cancel {gate.id}", "is cancelled")):
        text = answer_text(await gate_command(slack, user, command))
        assert (success in text) if allowed else (denial in text), (command, text)
    [stored] = await rows(clean_database, Gate)
    assert stored.status == ("cancelled" if allowed else "open")
    assert "#1 · FRAUD" in answer_text(await gate_command(slack, user, "status FRAUD"))  # everyone may look
    assert "Gate history · FRAUD" in answer_text(await gate_command(slack, user, "history FRAUD"))


OUTCOME_CASES = [(rule, decision) for rule in ("all", "majority", "any")
                 for decision in ("go", "go_conditions", "pivot", "hold", "no_go")]


@pytest.mark.parametrize(("rule", "decision"), OUTCOME_CASES)
async def test_every_rule_with_every_outcome(slack, emulator, clean_database, rule, decision):
    await fraud_project(slack, emulator)
    approvers = [EXEC, PM] if rule == "all" else [EXEC, PM, MEMBER]
    voters = {"all": [EXEC, PM], "majority": [EXEC, PM], "any": [MEMBER]}[rule]
    gate = await request_gate(slack, emulator, clean_database, approvers, rule=rule)
    for number, user in enumerate(voters, start=1):
        assert (await rows(clean_database, Gate))[0].status == "open"
        await vote(slack, emulator, user, decision, await card(emulator, gate.id, user))
        assert len(await ordered(clean_database, GateVote)) == number
    [gate] = await rows(clean_database, Gate)
    [project] = await rows(clean_database, Project)
    transitions = await ordered(clean_database, StageTransition)
    assert (gate.status, gate.outcome, len(transitions)) == ("closed", decision, 2)
    expected = {"go": ("design", "active"), "go_conditions": ("design", "active"), "pivot": ("discovery", "active"),
                "hold": ("feasibility", "paused"), "no_go": ("feasibility", "stopped")}[decision]
    assert (project.stage, project.state) == expected
    assert (transitions[-1].from_stage, transitions[-1].to_stage, transitions[-1].to_state) == ("feasibility",
                                                                                                 *expected)
    reason = transitions[-1].reason
    if decision == "no_go":
        assert reason.startswith("Stopped at Feasibility because Labels are too sparse to learn from")
    if decision == "pivot":
        assert project.problem_statement == "Flag risky merchants, not single payments"
        assert gate.pivot_stage == "discovery" and "Pivot back to Discovery" in reason
    if decision == "hold":
        assert gate.hold_until == date(2026, 12, 14) and "on hold until" in reason
    if decision == "go_conditions":
        assert gate.conditions == "Retrain monthly" and "with conditions: Retrain monthly" in reason
    label = {"go": "Go", "go_conditions": "Go with conditions", "pivot": "Pivot", "hold": "Hold",
             "no_go": "No-go"}[decision]
    for where_to in ("channel", *approvers):
        await latest_card_text(emulator, clean_database, gate.id, where_to, f"Outcome: {label}*")
    told = await eventually(lambda: posted(emulator, f"gate:{gate.id}:closed:channel") and
                            posted(emulator, f"gate:{gate.id}:closed:{PM}"))
    assert f"closed: {label}" in text_of(told[0])


async def test_votes_change_until_the_gate_closes_and_every_vote_is_kept(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM], rule="all")
    exec_dm, pm_dm = await card(emulator, gate.id, EXEC), await card(emulator, gate.id, PM)
    await vote(slack, emulator, EXEC, "hold", exec_dm)
    await go(slack, PM, pm_dm)
    await go(slack, PM, pm_dm)  # a double click is one vote
    assert (await rows(clean_database, Gate))[0].status == "open"  # Hold and Go: not unanimous
    view_id = await open_vote(slack, emulator, EXEC, "no_go", exec_dm)
    assert "Your current vote is *Hold*" in all_text(emulator.views[view_id]["blocks"])
    answer = await go(slack, EXEC, exec_dm)
    assert "The gate is now closed: Go" in answer
    assert [(v.user_id, v.decision) for v in await ordered(clean_database, GateVote)] == [
        (EXEC, "hold"), (PM, "go"), (EXEC, "go")]
    history = answer_text(await gate_command(slack, MEMBER, "history FRAUD"))
    assert "voted *Hold*" in history and "changed to *Go*" in history and "Wait for the Q1 labels" in history
    assert "Feasibility → Design &amp; Requirements (active)" in history


async def test_only_listed_approvers_vote(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC])
    channel_card = await card(emulator, gate.id, "channel")
    assert "Only the approvers listed on gate #1 can vote" in await go(slack, MEMBER, channel_card)
    view_id = await open_vote(slack, emulator, MEMBER, "no_go", channel_card)
    assert "Only the approvers listed" in all_text(emulator.views[view_id]["blocks"])
    assert await ordered(clean_database, GateVote) == []


async def test_two_approvers_clicking_at_the_same_moment_close_the_gate_once(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM], rule="all")
    exec_dm, pm_dm = await card(emulator, gate.id, EXEC), await card(emulator, gate.id, PM)
    clicks = await asyncio.gather(slack.block_action(EXEC, "gate_go", message=where(exec_dm)),
                                  slack.block_action(PM, "gate_go", message=where(pm_dm)))
    answers = [answer_text(await c.wait_for_response(timeout=20)) for c in clicks]
    assert sum("The gate is now closed: Go" in a for a in answers) == 1  # whoever came second closed it
    [gate] = await rows(clean_database, Gate)
    assert (gate.status, gate.outcome) == ("closed", "go")
    assert [t.to_stage for t in await ordered(clean_database, StageTransition)] == ["feasibility", "design"]
    await eventually(lambda: posted(emulator, f"gate:{gate.id}:closed:channel"))
    await latest_card_text(emulator, clean_database, gate.id, "channel", "Outcome: Go*")


async def test_a_go_and_a_no_go_at_the_same_moment_give_one_consistent_outcome(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM], rule="any")
    exec_dm, pm_dm = await card(emulator, gate.id, EXEC), await card(emulator, gate.id, PM)
    view_id = await open_vote(slack, emulator, PM, "no_go", pm_dm)
    click, submit = await asyncio.gather(slack.block_action(EXEC, "gate_go", message=where(exec_dm)),
                                         slack.view_submission(PM, view_id, VOTE_VALUES["no_go"]))
    go_answer = answer_text(await click.wait_for_response(timeout=20))
    [gate] = await rows(clean_database, Gate)
    [winner] = await ordered(clean_database, GateVote)  # the second vote came to a closed gate: not stored
    assert gate.status == "closed" and gate.outcome == winner.decision
    assert len(await ordered(clean_database, StageTransition)) == 2
    loser = all_text(submit.body["view"]["blocks"]) if winner.decision == "go" else go_answer
    assert "has already closed" in loser and "votes are no longer taken" in loser


async def test_stale_buttons_on_closed_and_cancelled_gates_answer_politely(slack, emulator, clean_database):
    """Cards lose their buttons when they close, but reminders keep theirs, and a click can cross an update."""
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM], rule="any")
    await gate_command(slack, PM, f"remind {gate.id}")
    reminder = (await eventually(lambda: posted(emulator, f"gate:{gate.id}:remind:") or [
        c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == EXEC
        and "asks for your vote" in text_of(c)]))[-1]
    await go(slack, PM, await card(emulator, gate.id, PM))
    assert "has already closed" in await go(slack, EXEC, reminder)
    view_id = await open_vote(slack, emulator, EXEC, "pivot", reminder)
    assert "has already closed" in all_text(emulator.views[view_id]["blocks"])
    second = await request_gate(slack, emulator, clean_database, [EXEC])
    dm = await card(emulator, second.id, EXEC)
    view_id = await open_vote(slack, emulator, EXEC, "hold", dm)
    assert "cancelled" in answer_text(await gate_command(slack, PM, f"cancel {second.id}"))
    result = await slack.view_submission(EXEC, view_id, VOTE_VALUES["hold"])  # a form left open meanwhile
    assert "was cancelled" in all_text(result.body["view"]["blocks"])
    assert "was cancelled" in answer_text(await gate_command(slack, PM, f"cancel {second.id}"))
    assert "nobody to remind" in answer_text(await gate_command(slack, PM, f"remind {second.id}"))
    assert "no gate #99" in answer_text(await gate_command(slack, PM, "cancel 99"))
    assert "not a gate number" in answer_text(await gate_command(slack, PM, "remind next"))
    assert [v.user_id for v in await ordered(clean_database, GateVote)] == [PM]


async def test_conditions_stay_on_the_card_until_a_pm_marks_them_met(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC], rule="any")
    await vote(slack, emulator, EXEC, "go_conditions", await card(emulator, gate.id, EXEC))
    status = answer_text(await gate_command(slack, MEMBER, "status"))
    assert "#1 · FRAUD" in status and "Conditions open:* Retrain monthly" in status
    status = answer_text(await gate_command(slack, MEMBER, "status FRAUD"))
    assert "Go with conditions" in status and "Conditions open:* Retrain monthly" in status
    assert "Only FRAUD's PMs" in answer_text(await gate_command(slack, EXEC, f"conditions met {gate.id}"))
    assert "marked as met" in answer_text(await gate_command(slack, PM, f"conditions met {gate.id}"))
    assert "already marked" in answer_text(await gate_command(slack, PM, f"conditions met {gate.id}"))
    text = await latest_card_text(emulator, clean_database, gate.id, EXEC, ":white_check_mark: met on")
    assert "Retrain monthly" in text
    told = await eventually(lambda: posted(emulator, f"gate:{gate.id}:conditions-met:channel"))
    assert "are met" in text_of(told[0])
    assert "Conditions open" not in answer_text(await gate_command(slack, MEMBER, "status FRAUD"))
    assert "No open gates" in answer_text(await gate_command(slack, MEMBER, "status"))


async def test_a_move_into_production_needs_named_signoffs(slack, emulator, headway, clean_database):
    from bot.slack_emulator import SlackDriver
    from tests.conftest import SIGNING_SECRET, TEAM_ID

    await fraud_project(slack, emulator, stage="development")
    await (await slack.slash_command(ADMIN, "/headway", f"role <@{OTHER}> exec", channel_id=CHANNEL)
           ).wait_for_response()
    view_id = await open_request(slack, emulator)
    blocks = {b.get("block_id"): b for b in emulator.views[view_id]["blocks"]}
    assert {"signoff_privacy", "signoff_legal_compliance", "signoff_model_validation"} <= set(blocks)
    assert blocks["approvers"]["element"]["initial_users"] == [EXEC, OTHER, PM]  # owner, exec sponsor, PM
    assert blocks["to_stage"]["element"]["initial_option"]["value"] == "production"
    view = emulator.views[view_id]
    async with SlackDriver(headway.url, SIGNING_SECRET, emulator, team_id=TEAM_ID, client_checks=False) as forged:
        missing = await forged.view_submission(PM, view_id, request_values([EXEC], "any", view,
                                                                           signoff_privacy=ADMIN))
    assert set(missing.body["errors"]) == {"signoff_legal_compliance", "signoff_model_validation"}
    result = await slack.view_submission(PM, view_id, request_values(
        [EXEC], "any", view, signoff_privacy=ADMIN, signoff_legal_compliance=OTHER,
        signoff_model_validation=MEMBER))
    assert result.status == 200 and not result.body
    [gate] = await rows(clean_database, Gate)
    approvers = {a.user_id: (a.roles, a.signoff) for a in await ordered(clean_database, GateApprover)}
    assert approvers == {EXEC: ("business_owner", False), ADMIN: ("privacy", True),
                         OTHER: ("executive_sponsor,legal_compliance", True), MEMBER: ("model_validation", True)}
    assert "Privacy sign-off" in text_of(await card(emulator, gate.id, ADMIN))
    await go(slack, EXEC, await card(emulator, gate.id, EXEC))  # "any one" still needs every sign-off
    await go(slack, ADMIN, await card(emulator, gate.id, ADMIN))
    await go(slack, OTHER, await card(emulator, gate.id, OTHER))
    assert (await rows(clean_database, Gate))[0].status == "open"
    assert "The gate is now closed: Go" in await go(slack, MEMBER, await card(emulator, gate.id, MEMBER))
    assert (await rows(clean_database, Project))[0].stage == "production"


LEGIT_MENTIONS = {PM, MEMBER, EXEC, ADMIN}  # whom Headway itself may mention in these cards


async def test_hostile_text_is_inert_in_every_card_and_notice(slack, emulator, clean_database):
    await fraud_project(slack, emulator, name="Fraud " + EVIL[:60], problem_statement=EVIL)
    view_id = await open_request(slack, emulator)
    bad_link = await slack.view_submission(PM, view_id, request_values(
        [EXEC, PM, MEMBER], "all", emulator.views[view_id], summary=EVIL,
        **{"ev_baseline": "https://ok.example.com/<!channel>"}))
    assert "full http(s) link" in bad_link.body["errors"]["ev_baseline"]
    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM, MEMBER], rule="all", summary=EVIL)
    await vote(slack, emulator, EXEC, "go_conditions", await card(emulator, gate.id, EXEC),
               {"conditions": EVIL, "rationale": EVIL})
    await vote(slack, emulator, PM, "pivot", await card(emulator, gate.id, PM),
               {"pivot_stage": "discovery", "problem_statement": EVIL, "rationale": EVIL})
    await vote(slack, emulator, MEMBER, "hold", await card(emulator, gate.id, MEMBER),
               {"hold_until": "2026-12-14", "rationale": EVIL})
    await gate_command(slack, PM, f"remind {gate.id}")
    await vote(slack, emulator, MEMBER, "pivot", await card(emulator, gate.id, MEMBER),
               {"pivot_stage": "discovery", "problem_statement": EVIL, "rationale": EVIL})
    await vote(slack, emulator, EXEC, "pivot", await card(emulator, gate.id, EXEC),
               {"pivot_stage": "discovery", "problem_statement": EVIL, "rationale": EVIL})
    await latest_card_text(emulator, clean_database, gate.id, "channel", "Outcome: Pivot*")
    await eventually(lambda: posted(emulator, f"gate:{gate.id}:closed:channel"))
    await gate_command(slack, MEMBER, "history FRAUD")
    await gate_command(slack, MEMBER, "status FRAUD")
    assert assert_all_sent_text_safe(emulator, LEGIT_MENTIONS) > 40
    for where_to in ("channel", EXEC, PM, MEMBER):
        assert "&lt;!channel&gt;" in await latest_card_text(emulator, clean_database, gate.id, where_to, "Pivot*")


async def test_a_project_without_a_channel_gets_its_cards_by_dm_only(slack, emulator, clean_database):
    await fraud_project(slack, emulator, channel=None)
    gate = await request_gate(slack, emulator, clean_database, [EXEC], rule="any")
    await card(emulator, gate.id, EXEC)
    confirmation = (await eventually(lambda: [r for r in emulator.responses if r["user_id"] == PM
                                              and "is out" in all_text(r["blocks"])]))[0]
    assert "FRAUD has no project channel" in all_text(confirmation["blocks"])
    await go(slack, EXEC, await card(emulator, gate.id, EXEC))
    await eventually(lambda: posted(emulator, f"gate:{gate.id}:closed:{PM}"))
    assert not posted(emulator, f"gate:{gate.id}:card:channel")
    assert not posted(emulator, f"gate:{gate.id}:closed:channel")


async def test_the_longest_input_stays_within_slacks_limits_everywhere(slack, emulator, clean_database):
    """Every field at its maximum: cards, notices and answers are still accepted by Slack (nothing dead-lettered)."""
    from bot.models import OutboxMessage

    await fraud_project(slack, emulator, name="N" * 120)
    link = "https://wiki.example.com/" + "a" * 470
    evidence = {f"ev_{key}": link for key in ("data-available", "data-quality", "baseline", "evaluation-pipeline",
                                              "gap-and-risks", "value-estimate")}
    everyone = [EXEC, PM, MEMBER, ADMIN, OTHER]
    gate = await request_gate(slack, emulator, clean_database, everyone, rule="all", summary="word " * 400,
                              **evidence)
    long_words = {"conditions": "must " * 400, "rationale": "because " * 250}
    for user in everyone[:-1]:  # four approvers vote Hold, then change to Go with conditions; the last one closes
        await vote(slack, emulator, user, "hold", await card(emulator, gate.id, user),
                   {"hold_until": "2026-12-14", "rationale": "because " * 250})
    for user in everyone[:-1]:
        await vote(slack, emulator, user, "go_conditions", await card(emulator, gate.id, user), long_words)
    await vote(slack, emulator, OTHER, "go_conditions", await card(emulator, gate.id, OTHER), long_words)
    await latest_card_text(emulator, clean_database, gate.id, "channel", "Outcome: Go with conditions*")
    assert "Gate history" in answer_text(await gate_command(slack, PM, "history FRAUD"))
    assert "Gates · FRAUD" in answer_text(await gate_command(slack, PM, "status FRAUD"))
    await eventually(lambda: posted(emulator, f"gate:{gate.id}:closed:channel"))
    dead = [r.key for r in await rows(clean_database, OutboxMessage) if r.status == "dead"]
    assert dead == []
    refused = [(c.method, c.response.get("error")) for c in emulator.calls if not c.response.get("ok")]
    assert all(error == "ratelimited" for _, error in refused), refused  # a burst of edits may be slowed down


async def test_gate_status_with_nothing_open_says_its_hint_once(slack):
    text = answer_text(await gate_command(slack, MEMBER, "status"))
    assert text.count("/gate request KEY") == 1

"""Reports for any period, end to end: a quarter of history built through commands, the API and gates, then
`/headway report` answered in Slack with the files in the asker's DM; permissions and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from bot.db import Database
from bot.models import Measurement, Project, Workspace
from tests.bot.test_api import auth, new_token
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, OTHER, PM
from tests.handlers.gate_support import card, fraud_project, go, request_gate, vote
from tests.handlers.report_support import csv_rows, report, report_files, uploads
from tests.handlers.standup_support import answer, create_standup, tick, wait_prompt
from tests.handlers.test_experiments import log
from tests.handlers.test_goalposts import edit
from tests.handlers.test_projects import FRAUD, create, make_pm


async def another_workspace(database_url: str) -> None:
    """T0OTHER, with its own project SECRET and a result, in the same database."""
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            session.add(Workspace(team_id="T0OTHER"))
            await session.flush()
            project = Project(team_id="T0OTHER", key="SECRET", name="Secret model", metric_name="recall",
                              start_date=date(2026, 1, 1), stage="feasibility", channel_id=CHANNEL)
            session.add(project)
            await session.flush()
            session.add(Measurement(team_id="T0OTHER", project_id=project.id, metric="recall", value=0.5,
                                    measured_at=datetime(2026, 11, 2, tzinfo=UTC), source="api", source_ref="x"))
    finally:
        await db.dispose()


QUARTER = dict(start_date="2026-07-01", expected_date="2026-12-31", kill_date="2027-06-30")


async def a_quarter_of_history(slack, emulator, headway, clock, database_url: str) -> None:
    """FRAUD from July to September 2026: weekly results (Slack and API), a moved target, a gate whose No-go
    is reversed by a later Go; then a result in October."""
    clock.set(datetime(2026, 7, 6, 10, tzinfo=UTC))
    await fraud_project(slack, emulator, **QUARTER)
    token = await new_token(slack)
    for week, value in enumerate((0.64, 0.66, 0.70, 0.72)):
        clock.set(datetime(2026, 7, 7 + 7 * week, 10, tzinfo=UTC))
        await log(slack, MEMBER, f"FRAUD recall={value} week {week}")
    clock.set(datetime(2026, 8, 10, 15, tzinfo=UTC))
    _, result = await edit(slack, emulator, PM, {"target": "0.8", "change_reason": "Finance: 8 in 10 pays"})
    assert not result.body, result.body
    clock.set(datetime(2026, 8, 20, 9, tzinfo=UTC))
    async with httpx.AsyncClient(base_url=headway.url) as client:
        posted = await client.post("/api/v1/projects/FRAUD/measurements", headers=auth(token),
                                   json={"metric": "recall", "value": 0.75, "client_id": "run-7"})
    assert posted.status_code == 201, posted.text
    clock.set(datetime(2026, 9, 1, 9, tzinfo=UTC))
    gate = await request_gate(slack, emulator, database_url, [EXEC, PM], rule="all")
    exec_dm, pm_dm = await card(emulator, gate.id, EXEC), await card(emulator, gate.id, PM)
    clock.set(datetime(2026, 9, 2, 9, tzinfo=UTC))
    submitted = await vote(slack, emulator, EXEC, "no_go", exec_dm)
    assert submitted.status == 200
    clock.set(datetime(2026, 9, 3, 9, tzinfo=UTC))
    await go(slack, EXEC, exec_dm)
    clock.set(datetime(2026, 9, 4, 9, tzinfo=UTC))
    assert "The gate is now closed: Go" in await go(slack, PM, pm_dm)
    clock.set(datetime(2026, 10, 12, 9, tzinfo=UTC))
    await log(slack, MEMBER, "FRAUD recall=0.81 calibrated")  # reaches the moved target, after Q3
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))


async def test_the_q3_report_has_every_change_in_order_and_the_portfolio_as_of_september(
        slack, emulator, headway, clock, clean_database):
    await a_quarter_of_history(slack, emulator, headway, clock, clean_database)
    answer = await report(slack, PM, "FRAUD Q3")
    assert "Report · FRAUD · Fraud detection · Q3 2026" in answer and "in your DM with Headway" in answer
    files = await report_files(emulator, PM)
    [markdown] = [text for name, text in files.items() if name.endswith(".md")]
    order = ["Created in Feasibility", "Target moved", "Gate #1 requested",
             "Voted No-go on gate #1", "Voted Go on gate #1", "Gate #1 (Feasibility → Design & Requirements): Go"]
    positions = [markdown.index(step) for step in order]
    assert positions == sorted(positions), markdown
    assert "target: 0.9 → 0.8" in markdown and "Finance: 8 in 10 pays" in markdown
    assert "0.81" not in markdown  # October's result is not in Q3
    timeline = csv_rows(next(t for n, t in files.items() if n.endswith("-timeline.csv")))
    assert [r["kind"] for r in timeline] == ["created", "goalpost", "gate_request", "vote", "vote", "vote",
                                             "gate"]
    assert [(r["actor_id"], r["what"]) for r in timeline if r["kind"] == "vote"] == [
        (EXEC, "Voted No-go on gate #1"), (EXEC, "Voted Go on gate #1"), (PM, "Voted Go on gate #1")]
    results = csv_rows(next(t for n, t in files.items() if n.endswith("-results.csv")))
    assert [(r["value"], r["source"]) for r in results] == [
        ("0.64", "slack"), ("0.66", "slack"), ("0.7", "slack"), ("0.72", "slack"), ("0.75", "api")]
    assert results[0]["at"].endswith("-04:00")  # the reader's zone (New York, summer time)

    await make_pm(slack, EXEC, role="exec")
    before = len(uploads(emulator, EXEC))
    answer = await report(slack, EXEC, "portfolio as of 2026-09-30")
    assert "as known then" in answer
    files = await report_files(emulator, EXEC, before)
    [projects] = [csv_rows(t) for n, t in files.items() if n.endswith("-projects.csv")]
    assert projects[0]["label"] != "Target reached"  # 0.81 came in October
    assert projects[0]["target"] == "0.8" and projects[0]["stage"] == "Design & Requirements"
    before = len(uploads(emulator, EXEC))
    await report(slack, EXEC, "portfolio as of 2026-08-01")
    files = await report_files(emulator, EXEC, before)
    [projects] = [csv_rows(t) for n, t in files.items() if n.endswith("-projects.csv")]
    assert projects[0]["target"] == "0.9" and projects[0]["stage"] == "Feasibility"  # as they stood then
    before = len(uploads(emulator, EXEC))
    await report(slack, EXEC, "portfolio this month")
    files = await report_files(emulator, EXEC, before)
    [projects] = [csv_rows(t) for n, t in files.items() if n.endswith("-projects.csv")]
    assert projects[0]["label"] == "Target reached"  # and now it is


async def test_who_may_read_which_report(slack, emulator, headway, clock, clean_database):
    await fraud_project(slack, emulator)
    await make_pm(slack, EXEC, role="exec")
    refused = await report(slack, EXEC, "FRAUD last month")
    assert "FRAUD's report is for its PMs, its team and Headway admins" in refused
    assert "portfolio report is for executives" in await report(slack, MEMBER, "portfolio this week")
    assert "another person's only the PMs of their projects" in await report(slack, MEMBER, f"<@{PM}> this month")
    assert "another person's" in await report(slack, OTHER, f"<@{MEMBER}> this month")
    assert "Report · FRAUD" in await report(slack, MEMBER, "FRAUD this week")
    await another_workspace(clean_database)
    before = len(uploads(emulator, ADMIN))
    assert "Report · Portfolio" in await report(slack, ADMIN, "portfolio all")
    files = await report_files(emulator, ADMIN, before)
    assert "FRAUD" in "".join(files.values()) and "SECRET" not in "".join(files.values())
    assert "There is no project with the key SECRET" in await report(slack, ADMIN, "SECRET all")
    assert "Report · Standup answers of" in await report(slack, PM, f"<@{MEMBER}> october")  # MEMBER's PM
    assert uploads(emulator, OTHER) == []


async def test_bad_input_is_one_line_saying_what_would_work(slack, emulator, headway, clock, clean_database):
    await fraud_project(slack, emulator)
    for text, expected in (("NOPE Q3", "There is no project with the key NOPE"),
                           ("!!! Q3", "A report is about a project key"),
                           ("FRAUD fortnight", "I can't read the period “fortnight”. Try `this week`"),
                           ("FRAUD Q1 2027", "Q1 2027 has not begun yet"),
                           ("FRAUD 2026-10-01..2026-09-01", "2026-10-01 is after 2026-09-01"),
                           ("FRAUD as of 2027-01-01", "is in the future"),
                           ("standup nope Q3", "There is no standup called “nope”")):
        answer = await report(slack, PM, text)
        assert expected in answer, (text, answer)
        assert answer.count("\n") == 0, answer


async def test_the_csv_of_standup_answers_has_one_row_per_answer_in_the_right_time_zones(
        slack, emulator, headway, clock, clean_database):
    await fraud_project(slack, emulator)
    await create_standup(slack, emulator, [PM, MEMBER, EXEC], PM)
    clock.set(clock.now().replace(hour=8, minute=35))  # Mon 23 Nov 08:35 UTC: 14:05 in Kolkata, 09:35 in Berlin
    await tick(headway, clock)
    member_dm, exec_dm = await wait_prompt(emulator, MEMBER), await wait_prompt(emulator, EXEC)
    await answer(slack, emulator, MEMBER, member_dm, {"q0": "Tried merchant features, a | pipe", "q1": "Tune",
                                                      "project": "1", "metric_value": "0.71", "confidence": "low"})
    clock.advance(minutes=20)
    await answer(slack, emulator, EXEC, exec_dm, {"q0": "Reviewed the budget", "blocked": ["yes"],
                                                  "blocker": "Waiting for legal"})
    await report(slack, PM, "standup fraud-team this week")
    files = await report_files(emulator, PM)
    rows_ = csv_rows(next(t for n, t in files.items() if n.endswith("-answers.csv")))
    assert [(r["user_id"], r["run_date"]) for r in rows_] == [(EXEC, "2026-11-23"), (MEMBER, "2026-11-23")]
    by_user = {r["user_id"]: r for r in rows_}
    assert by_user[MEMBER]["answered_at"] == "2026-11-23T03:35-05:00"  # the reader's zone: New York
    assert by_user[MEMBER]["answered_at_person_local"] == "2026-11-23T14:05+05:30"  # and the answerer's
    assert by_user[MEMBER]["person_tz"] == "Asia/Kolkata" and by_user[EXEC]["person_tz"] == "Europe/Berlin"
    assert by_user[MEMBER]["project"] == "FRAUD" and by_user[MEMBER]["metric_value"] == "0.71"
    assert by_user[EXEC]["blocker"] == "Waiting for legal"
    question = next(k for k in rows_[0] if k.startswith("What did you"))
    assert by_user[MEMBER][question] == "Tried merchant features, a | pipe"
    participation = csv_rows(next(t for n, t in files.items() if n.endswith("-participation.csv")))
    assert {(r["user_id"], r["prompted"], r["answered"]) for r in participation} == {
        (EXEC, "1", "1"), (MEMBER, "1", "1")}  # New York's prompt is not due yet
    assert "another person's" in await report(slack, MEMBER, f"<@{EXEC}> this week")
    before = len(uploads(emulator, MEMBER))
    await report(slack, MEMBER, "me this week")
    mine = csv_rows(next(t for n, t in (await report_files(emulator, MEMBER, before)).items()
                         if n.endswith("-answers.csv")))
    assert [r["user_id"] for r in mine] == [MEMBER]


async def test_the_api_gives_a_projects_report_paged_to_its_own_token_only(
        slack, emulator, headway, clock, clean_database):
    await a_quarter_of_history(slack, emulator, headway, clock, clean_database)
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", metric_name="precision"))
    fraud = await new_token(slack)
    churn = await new_token(slack, key="CHURN")
    async with httpx.AsyncClient(base_url=headway.url) as client:
        got = await client.get("/api/v1/reports/projects/fraud", params={"period": "Q3", "per_page": 4,
                                                                          "tz": "Europe/Berlin"},
                               headers=auth(fraud))
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["project"], body["period"]["label"], body["total"], body["next_page"]) == ("FRAUD", "Q3 2026",
                                                                                              7, 2)
        assert [i["kind"] for i in body["items"]] == ["created", "goalpost", "gate_request", "vote"]
        assert body["items"][0]["at"].endswith("+02:00")
        page2 = (await client.get("/api/v1/reports/projects/FRAUD", params={"period": "Q3", "per_page": 4,
                                                                             "page": 2}, headers=auth(fraud))).json()
        assert [i["kind"] for i in page2["items"]] == ["vote", "vote", "gate"] and page2["next_page"] is None
        results = (await client.get("/api/v1/reports/projects/FRAUD", params={"period": "all", "section": "results"},
                                    headers=auth(fraud))).json()
        assert [i["value"] for i in results["items"]] == [0.64, 0.66, 0.7, 0.72, 0.75, 0.81]
        wrong = await client.get("/api/v1/reports/projects/FRAUD", headers=auth(churn))
        assert wrong.status_code == 403 and wrong.json()["error"] == "wrong_project"
        assert (await client.get("/api/v1/reports/projects/FRAUD")).status_code == 401
        bad = await client.get("/api/v1/reports/projects/FRAUD", params={"period": "Q1 2027", "page": "0",
                                                                          "tz": "Mars/Base"}, headers=auth(fraud))
        assert bad.status_code == 422 and set(bad.json()["detail"]) == {"page", "tz"}
        bad = await client.get("/api/v1/reports/projects/FRAUD", params={"period": "Q1 2027"}, headers=auth(fraud))
        assert bad.status_code == 422 and "has not begun" in bad.json()["detail"]["period"]

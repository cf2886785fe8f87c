"""`/headway log`: a value typed into Slack, stored once, answered in context."""

from bot.models import Measurement
from tests.conftest import CHANNEL, EXEC, MEMBER, PM
from tests.handlers.test_projects import create, make_pm
from tests.support import all_text, rows


async def log(slack, user, text):
    result = await slack.slash_command(user, "/headway", f"log {text}", channel_id=CHANNEL)
    if result.body:
        return all_text(result.body["blocks"])
    return all_text((await result.wait_for_response())["blocks"])


async def test_logging_values_shows_change_and_progress(slack, emulator, clean_database):
    await make_pm(slack)
    await create(slack, emulator)
    first = await log(slack, MEMBER, "FRAUD recall=0.76 gradient boosting")
    assert "Logged *recall 0.76* for *FRAUD*" in first
    assert "50% of the way from the baseline (0.62) to the target (0.9)" in first
    second = await log(slack, PM, "fraud recall=0.72")
    assert "down 0.04 since the last value (0.76, today): worse" in second
    stored = sorted((m.value, m.source, m.user_id, m.note) for m in await rows(clean_database, Measurement))
    assert stored == [(0.72, "slack", PM, ""), (0.76, "slack", MEMBER, "gradient boosting")]


async def test_bad_log_input_gets_help_and_stores_nothing(slack, emulator, clean_database):
    await make_pm(slack)
    await create(slack, emulator)
    assert "Usage: `/headway log KEY metric=value [note]`" in await log(slack, MEMBER, "FRAUD")
    assert "is not `metric=value`" in await log(slack, MEMBER, "FRAUD recall=high")
    assert "measured by 'recall', not 'precision'" in await log(slack, MEMBER, "FRAUD precision=0.5")
    assert "Only people on FRAUD" in await log(slack, EXEC, "FRAUD recall=0.7")
    assert "no project with the key NOPE" in await log(slack, MEMBER, "NOPE recall=0.7")
    assert await rows(clean_database, Measurement) == []


async def test_experiments_are_timeboxed_and_closed_with_what_was_learned(slack, emulator, clean_database):
    from bot.models import Experiment
    from tests.handlers.test_projects import open_form

    await make_pm(slack)
    await create(slack, emulator)
    view_id = await open_form(slack, emulator, MEMBER, "experiment new FRAUD")
    bad = await slack.view_submission(MEMBER, view_id, {"hypothesis": "x", "start_date": "2026-11-23",
                                                        "end_date": "2027-06-01"})
    assert "timeboxes" in bad.body["errors"]["end_date"]
    ok = await slack.view_submission(MEMBER, view_id, {"hypothesis": "Merchant features <!here> lift recall",
                                                       "end_date": "2026-11-30"})
    assert ok.status == 200 and not ok.body
    [experiment] = await rows(clean_database, Experiment)
    assert (experiment.owner_id, experiment.status, str(experiment.end_date)) == (MEMBER, "running", "2026-11-30")
    assert "Only the experiment's owner" in await run(slack, EXEC, f"experiment close {experiment.id}")
    closed = await run(slack, MEMBER, f"experiment close {experiment.id} +3 points <@U999> on holdout")
    assert "concluded" in closed and "&lt;@U999&gt;" in closed
    [experiment] = await rows(clean_database, Experiment)
    assert experiment.status == "concluded" and experiment.outcome == "+3 points <@U999> on holdout"
    assert "already concluded" in await run(slack, MEMBER, f"experiment close {experiment.id}")
    assert "experiment's number" in await run(slack, MEMBER, "experiment close abc")


async def test_weekly_goal(slack, emulator, clean_database):
    from bot.models import WeeklyGoal

    await make_pm(slack)
    await create(slack, emulator)
    text = await run(slack, MEMBER, "goal FRAUD try merchant features target=0.8")
    assert "This week's goal for *FRAUD*" in text and "target 0.8" in text
    await run(slack, PM, "goal FRAUD calibrate thresholds")
    [goal] = await rows(clean_database, WeeklyGoal)
    assert (goal.goal, goal.target_value, str(goal.week_start)) == ("calibrate thresholds", None, "2026-11-23")


async def run(slack, user, text):
    result = await slack.slash_command(user, "/headway", text, channel_id=CHANNEL)
    if result.body:
        return all_text(result.body["blocks"])
    return all_text((await result.wait_for_response())["blocks"])

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

"""What `/slack/events` refuses before trusting a request, and the hostile text and ids it survives: oversized
bodies (413, unread), non-UTF-8 (400), malformed timestamps (401), control characters (removed at the door, so
PostgreSQL stores what people meant), and ids no row can have ("not found", never a 5xx or a traceback)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import httpx
import pytest

from bot.models import Experiment, Project, WeeklyGoal
from tests.conftest import CHANNEL, EXEC, MEMBER, PM, SIGNING_SECRET
from tests.handlers.gate_support import card, fraud_project, gate_command, request_gate
from tests.handlers.standup_support import where
from tests.handlers.test_experiments import run
from tests.handlers.test_projects import FRAUD, create, make_pm, open_form
from tests.support import all_text, rows

MIB = 1024 * 1024
CONTROL = "\x00\x01\x07\x1b\x7f"


def signed_headers(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp or str(int(time.time()))
    signature = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={signature}",
            "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def tracebacks(caplog):
    """Records logged with a traceback while the test ran (there must be none)."""
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]


async def test_a_body_over_1_mib_is_413_before_it_is_read(headway, tracebacks):
    async with httpx.AsyncClient(timeout=10) as http:
        declared = await http.post(headway.url + "/slack/events", content=b"x" * (MIB + 1),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})

        async def endless():  # no Content-Length: refused once the stream passes the cap
            for _ in range(30):
                yield b"y" * 65536

        streamed = await http.post(headway.url + "/slack/events", content=endless(),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert declared.json()["error"] == "too_large"
    assert tracebacks() == []


async def test_a_body_just_under_the_cap_is_judged_by_its_signature(headway):
    body = b"text=" + b"a" * (MIB - 10)
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(headway.url + "/slack/events", content=body,
                                   headers=signed_headers(body) | {"X-Slack-Signature": "v0=wrong"})
    assert response.status_code == 401


async def test_a_body_that_is_not_utf8_is_400(headway, tracebacks):
    body = b"command=%2Fheadway&text=\xff\xfe\xfa"
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(headway.url + "/slack/events", content=body, headers=signed_headers(body))
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]
    assert tracebacks() == []


@pytest.mark.parametrize("stamp", ["abc", "", "1e9", "-5", "12 34"])
async def test_a_malformed_timestamp_is_401_without_a_traceback(headway, tracebacks, stamp):
    body = b"command=%2Fheadway&text=help"
    headers = signed_headers(body) | {"X-Slack-Request-Timestamp": stamp}
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(headway.url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert tracebacks() == []


async def test_control_characters_are_removed_from_commands_and_forms(slack, emulator, clean_database, tracebacks):
    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, name=f"Fraud{CONTROL} detection", problem_statement="A\x00B\nC\tD"))
    [project] = await rows(clean_database, Project)
    assert (project.name, project.problem_statement) == ("Fraud detection", "AB\nC\tD")

    text = await run(slack, MEMBER, f"goal FRAUD try\x00 merchant{CONTROL} features")
    assert "This week's goal for *FRAUD*" in text
    [goal] = await rows(clean_database, WeeklyGoal)
    assert goal.goal == "try merchant features"

    view_id = await open_form(slack, emulator, MEMBER, "experiment new FRAUD")
    result = await slack.view_submission(MEMBER, view_id, {"hypothesis": f"Merchant\x00 features{CONTROL} help"})
    assert result.status == 200 and not result.body
    [experiment] = await rows(clean_database, Experiment)
    assert experiment.hypothesis == "Merchant features help"
    closed = await run(slack, MEMBER, f"experiment close {experiment.id} learned\x00 a lot\x1b")
    assert "concluded" in closed
    [experiment] = await rows(clean_database, Experiment)
    assert experiment.outcome == "learned a lot"
    assert tracebacks() == []


@pytest.mark.parametrize(("command", "text", "expected"), [
    ("/gate", "cancel 99999999999999999999", "There is no gate #99999999999999999999."),
    ("/gate", "remind #2147483648", "There is no gate #2147483648."),
    ("/gate", "conditions met 0", "There is no gate #0."),
    ("/headway", "experiment close 99999999999999999999 done", "There is no experiment #99999999999999999999."),
])
async def test_ids_no_row_can_have_are_not_found(slack, emulator, tracebacks, command, text, expected):
    await fraud_project(slack, emulator)
    result = await slack.slash_command(PM, command, text, channel_id=CHANNEL)
    assert result.status == 200
    answer = result.body or await result.wait_for_response(timeout=10)
    assert expected in all_text(answer["blocks"])
    assert tracebacks() == []


async def test_a_button_value_past_the_database_range_is_out_of_date(slack, emulator, clean_database, tracebacks):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database)
    dm = await card(emulator, gate.id, EXEC)
    for value in (str(2**31), "99999999999999999999", "-1", "0x1"):
        clicked = await slack.block_action(EXEC, "gate_go", message=where(dm), value=value)
        assert clicked.status == 200
        answer = all_text((await clicked.wait_for_response(timeout=10))["blocks"])
        assert "no gate" in answer or "out of date" in answer, (value, answer)
    status = await gate_command(slack, PM, "status")
    assert "0 of 2 voted" in all_text(status["blocks"])
    assert tracebacks() == []

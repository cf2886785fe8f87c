"""The driver: signed requests, trigger_ids, response_urls and interaction payload shapes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import DriverError, SlackDriver, SlackEmulator, slack_signature

from .conftest import SIGNING_SECRET, Receiver


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def option(value: str) -> dict:
    return {"text": plain(value.title()), "value": value}


def input_block(block_id: str, element: dict, optional: bool = False) -> dict:
    return {"type": "input", "block_id": block_id, "label": plain(block_id), "element": element, "optional": optional}


FORM = {
    "type": "modal",
    "callback_id": "checkin",
    "private_metadata": '{"project": 7}',
    "title": plain("Check-in"),
    "submit": plain("Send"),
    "blocks": [
        input_block("summary", {"type": "plain_text_input", "action_id": "text", "multiline": True}),
        input_block(
            "confidence",
            {
                "type": "number_input",
                "action_id": "n",
                "is_decimal_allowed": False,
                "min_value": "0",
                "max_value": "10",
            },
        ),
        input_block(
            "status",
            {
                "type": "static_select",
                "action_id": "pick",
                "options": [option("green"), option("amber"), option("red")],
            },
        ),
        input_block(
            "tags",
            {"type": "multi_static_select", "action_id": "many", "options": [option("ml"), option("infra")]},
            optional=True,
        ),
        input_block("owner", {"type": "users_select", "action_id": "who", "initial_user": "U0ALICE"}),
        input_block("reviewers", {"type": "multi_users_select", "action_id": "whom"}, optional=True),
        input_block("room", {"type": "conversations_select", "action_id": "conv"}, optional=True),
        input_block("due", {"type": "datepicker", "action_id": "day"}, optional=True),
        input_block("at", {"type": "timepicker", "action_id": "time"}, optional=True),
        input_block(
            "checks",
            {"type": "checkboxes", "action_id": "boxes", "options": [option("tests"), option("docs")]},
            optional=True,
        ),
        input_block(
            "risk",
            {
                "type": "radio_buttons",
                "action_id": "radio",
                "options": [option("low"), option("high")],
                "initial_option": option("low"),
            },
        ),
        input_block("note", {"type": "plain_text_input", "action_id": "t", "initial_value": "n/a"}),
    ],
}


@pytest.fixture
async def driver(emu: SlackEmulator, receiver: Receiver):
    async with SlackDriver(receiver.url, SIGNING_SECRET, emu) as slack:
        yield slack


async def test_signatures_and_negative_options(driver: SlackDriver, receiver: Receiver) -> None:
    ok = await driver.slash_command("U0ALICE", "/headway", "status")
    assert ok.status == 200 and receiver.requests[-1]["valid"] is True
    form = receiver.requests[-1]["body"]
    assert form["command"] == "/headway" and form["user_name"] == "alice" and form["team_domain"] == "headway"
    assert form["channel_id"] == "C0GENERAL" and form["channel_name"] == "general" and form["trigger_id"]
    headers = receiver.requests[-1]["headers"]
    expected = slack_signature(SIGNING_SECRET, headers["X-Slack-Request-Timestamp"], receiver.requests[-1]["raw"])
    assert headers["X-Slack-Signature"] == expected
    assert (await driver.slash_command("U0ALICE", "/headway", wrong_signature=True)).status == 401
    assert (await driver.slash_command("U0ALICE", "/headway", old_timestamp=True)).status == 401
    retried = await driver.event(
        {"type": "app_mention", "user": "U0BOB", "text": "hi", "channel": "C0GENERAL"},
        event_id="Ev1",
        retry_num=2,
        retry_reason="http_timeout",
    )
    assert retried.ok and receiver.requests[-1]["headers"]["X-Slack-Retry-Num"] == "2"
    assert receiver.requests[-1]["headers"]["X-Slack-Retry-Reason"] == "http_timeout"
    envelope = receiver.requests[-1]["body"]
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev1"
    assert envelope["authorizations"][0]["user_id"] == "U0HEADBOT" and envelope["event"]["event_ts"]


async def test_slash_command_opens_modal_and_responds(
    emu: SlackEmulator, driver: SlackDriver, receiver: Receiver
) -> None:
    client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url)

    async def app(record: dict[str, Any]) -> web.Response:
        form = record["body"]
        await client.views_open(trigger_id=form["trigger_id"], view=FORM)
        async with httpx.AsyncClient() as http:
            await http.post(form["response_url"], json={"text": "Opening your check-in…"})
        return web.Response(status=200)

    receiver.handler = app
    result = await driver.slash_command("U0BOB", "/checkin")
    first = await result.wait_for_response(timeout=2)
    assert first["text"] == "Opening your check-in…" and result.responses == [first]
    assert emu.responses == [first] and emu.ephemerals[0]["visible_to"] == "U0BOB"
    assert emu.top_view("U0BOB")["callback_id"] == "checkin"
    assert result.within_ack_deadline


async def test_view_submission_payload_shapes(emu: SlackEmulator, driver: SlackDriver, receiver: Receiver) -> None:
    client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url)
    view = (await client.views_open(trigger_id=emu.issue_trigger("U0BOB"), view=FORM))["view"]
    answers = iter([{"response_action": "errors", "errors": {"summary": "Too short"}}, None])

    async def app(record: dict[str, Any]) -> web.Response:
        answer = next(answers)
        return web.json_response(answer) if answer else web.Response(status=200)

    receiver.handler = app
    values = {
        "summary": "ok",
        "confidence": 7,
        "status": "amber",
        "tags": ["ml", "infra"],
        "reviewers": ["U0ALICE", "U0CAROL"],
        "room": "C0GENERAL",
        "due": date(2026, 3, 2),
        "at": "09:30",
        "checks": ["docs"],
    }
    rejected = await driver.view_submission("U0BOB", view["id"], values)
    payload = receiver.requests[-1]["body"]
    assert payload["type"] == "view_submission" and payload["view"]["callback_id"] == "checkin"
    assert payload["view"]["private_metadata"] == '{"project": 7}' and payload["view"]["hash"] == view["hash"]
    state = payload["view"]["state"]["values"]
    assert state["summary"]["text"] == {"type": "plain_text_input", "value": "ok"}
    assert state["confidence"]["n"] == {"type": "number_input", "value": "7"}
    assert state["status"]["pick"]["selected_option"] == option("amber")
    assert [o["value"] for o in state["tags"]["many"]["selected_options"]] == ["ml", "infra"]
    assert state["owner"]["who"] == {"type": "users_select", "selected_user": "U0ALICE"}  # initial kept
    assert state["reviewers"]["whom"]["selected_users"] == ["U0ALICE", "U0CAROL"]
    assert state["room"]["conv"]["selected_conversation"] == "C0GENERAL"
    assert state["due"]["day"]["selected_date"] == "2026-03-02" and state["at"]["time"]["selected_time"] == "09:30"
    assert state["checks"]["boxes"]["selected_options"] == [option("docs")]
    assert state["risk"]["radio"]["selected_option"] == option("low")
    assert state["note"]["t"]["value"] == "n/a"
    assert rejected.response_action == "errors" and rejected.errors == {"summary": "Too short"}
    assert view["id"] in emu.views  # errors keep the modal open
    accepted = await driver.view_submission("U0BOB", view["id"], {"summary": "A longer summary"})
    resent = receiver.requests[-1]["body"]["view"]["state"]["values"]
    assert resent["status"]["pick"]["selected_option"]["value"] == "amber"  # remembered from the first attempt
    assert accepted.body is None and accepted.view_outcome == {"closed": [view["id"]]}
    assert emu.views == {}


async def test_driver_refuses_what_slack_clients_refuse(emu: SlackEmulator, driver: SlackDriver) -> None:
    client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url)
    view = (await client.views_open(trigger_id=emu.issue_trigger("U0BOB"), view=FORM))["view"]
    with pytest.raises(DriverError, match="required"):
        await driver.view_submission("U0BOB", view["id"], {"confidence": 3, "status": "red"})
    with pytest.raises(DriverError, match="not offered"):
        await driver.view_submission("U0BOB", view["id"], {"summary": "s", "confidence": 3, "status": "purple"})
    with pytest.raises(DriverError, match="outside"):
        await driver.view_submission("U0BOB", view["id"], {"summary": "s", "confidence": 11, "status": "red"})
    with pytest.raises(DriverError, match="no single input"):
        await driver.view_submission("U0BOB", view["id"], {"nonexistent": "x"})


async def test_block_action_on_message_and_response_url(
    emu: SlackEmulator, driver: SlackDriver, receiver: Receiver
) -> None:
    client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url)
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Ship model v3?"}},
        {
            "type": "actions",
            "block_id": "gate",
            "elements": [
                {"type": "button", "action_id": "approve", "text": plain("Go"), "value": "gate-7", "style": "primary"},
                {"type": "static_select", "action_id": "reason", "options": [option("data"), option("latency")]},
            ],
        },
    ]
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Gate", blocks=blocks)

    async def app(record: dict[str, Any]) -> web.Response:
        async with httpx.AsyncClient() as http:
            await http.post(record["body"]["response_url"], json={"replace_original": True, "text": "Approved ✅"})
        return web.Response(status=200)

    receiver.handler = app
    result = await driver.block_action("U0ALICE", "approve", message=("C0GENERAL", posted["ts"]))
    payload = receiver.requests[-1]["body"]
    assert payload["type"] == "block_actions" and payload["trigger_id"] == result.trigger_id
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    action = payload["actions"][0]
    assert action["value"] == "gate-7" and action["block_id"] == "gate" and action["type"] == "button"
    assert payload["message"]["ts"] == posted["ts"] and payload["channel"]["name"] == "general"
    await result.wait_for_response()
    assert emu.messages("C0GENERAL")[0]["text"] == "Approved ✅"
    receiver.handler = None
    await driver.block_action("U0ALICE", "reason", value="latency", message=("C0GENERAL", posted["ts"]))
    assert receiver.requests[-1]["body"]["actions"][0]["selected_option"] == option("latency")
    with pytest.raises(DriverError):
        await driver.block_action("U0ALICE", "nope", message=("C0GENERAL", posted["ts"]))


async def test_block_action_in_view_updates_state_and_close(
    emu: SlackEmulator, driver: SlackDriver, receiver: Receiver
) -> None:
    client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url)
    view = (await client.views_open(trigger_id=emu.issue_trigger("U0BOB"), view=FORM))["view"]
    await driver.block_action("U0BOB", "pick", value="red", view=view["id"])
    payload = receiver.requests[-1]["body"]
    assert payload["container"] == {"type": "view", "view_id": view["id"]} and "response_url" not in payload
    assert payload["view"]["state"]["values"]["status"]["pick"]["selected_option"] == option("red")
    assert payload["actions"][0]["selected_option"] == option("red")
    skipped = await driver.view_closed("U0BOB", view["id"])
    assert skipped.sent is False and emu.views == {}
    notified = (await client.views_open(trigger_id=emu.issue_trigger("U0BOB"), view={**FORM, "notify_on_close": True}))[
        "view"
    ]
    closed = await driver.view_closed("U0BOB")
    assert closed.sent and receiver.requests[-1]["body"]["view"]["id"] == notified["id"]


async def test_view_submission_update_and_push(emu: SlackEmulator, driver: SlackDriver, receiver: Receiver) -> None:
    client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url)
    view = (await client.views_open(trigger_id=emu.issue_trigger("U0BOB"), view=FORM))["view"]
    thanks = {
        "type": "modal",
        "title": plain("Thanks"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Saved"}}],
    }
    receiver.handler = lambda record: _json({"response_action": "push", "view": thanks})
    pushed = await driver.view_submission("U0BOB", view["id"], {"summary": "s", "confidence": 1, "status": "red"})
    assert pushed.view_outcome["view"]["previous_view_id"] == view["id"]
    assert emu.top_view("U0BOB")["title"]["text"] == "Thanks"
    receiver.handler = lambda record: _json({"response_action": "clear"})
    await driver.view_submission("U0BOB")
    assert emu.views == {}


async def _json(body: dict) -> web.Response:
    return web.json_response(body)


async def test_events_message_and_url_verification(emu: SlackEmulator, driver: SlackDriver, receiver: Receiver) -> None:
    receiver.handler = lambda record: _json({"challenge": record["body"].get("challenge")})
    challenge = await driver.url_verification("abc")
    assert challenge.json == {"challenge": "abc"}
    receiver.handler = None
    await driver.message("U0ALICE", "U0ALICE", "hello bot")
    event = receiver.requests[-1]["body"]["event"]
    assert event["type"] == "message" and event["channel"].startswith("D") and event["channel_type"] == "im"
    assert emu.messages("U0ALICE")[0]["ts"] == event["ts"]


async def test_remote_link_drives_out_of_process_emulator(emu: SlackEmulator, receiver: Receiver) -> None:
    async with SlackDriver(receiver.url, SIGNING_SECRET, emu.base_url) as remote:
        result = await remote.slash_command("U0CAROL", "/headway", "hi", channel_id="C0PRIVATE")
        form = receiver.requests[-1]["body"]
        assert form["channel_name"] == "secret" and form["trigger_id"] in emu.state.triggers
        async with httpx.AsyncClient() as http:
            await http.post(form["response_url"], content=json.dumps({"text": "pong", "response_type": "in_channel"}))
        assert (await result.wait_for_response())["text"] == "pong"
        assert result.responses[0]["text"] == "pong"
    assert emu.messages("C0PRIVATE")[0]["text"] == "pong"

"""Block Kit validation: what Slack rejects is rejected, and nothing invalid is stored."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackEmulator
from bot.slack_emulator.blocks import assign_ids, validate_blocks, validate_view


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id: str, label: str = "Go") -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label}}


def modal(blocks: list, **extra) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Title"}, "blocks": blocks, **extra}


INVALID = {
    "too many blocks": ([{"type": "divider"}] * 51, "/blocks"),
    "long section": ([section("x" * 3001)], "/blocks/0/text/text"),
    "unknown element": (
        [{**section("a"), "accessory": {"type": "buttn", "action_id": "a"}}],
        "/blocks/0/accessory/type",
    ),
    "unknown block": ([{"type": "sektion"}], "/blocks/0/type"),
    "mrkdwn header": ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
    "long header": ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0"),
    "mrkdwn button": (
        [{"type": "actions", "elements": [{**button("a"), "text": {"type": "mrkdwn", "text": "b"}}]}],
        "/blocks/0/elements/0/text/type",
    ),
    "duplicate block_id": (
        [{**section("a"), "block_id": "b"}, {**section("b"), "block_id": "b"}],
        "/blocks/1/block_id",
    ),
    "duplicate action_id": ([{"type": "actions", "elements": [button("a"), button("a")]}], "/blocks/0/elements/1"),
    "long field": (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "/blocks/0/fields/0/text",
    ),
    "eleven fields": ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0"),
    "empty text": ([section("")], "/blocks/0/text/text"),
    "text as string": ([{"type": "section", "text": "plain string"}], "/blocks/0/text"),
    "unknown key": ([{**section("a"), "colour": "red"}], "/blocks/0/colour"),
    "input without element": ([{"type": "input", "label": {"type": "plain_text", "text": "L"}}], "/blocks/0"),
    "long block_id": ([{**section("a"), "block_id": "b" * 256}], "/blocks/0"),
    "mrkdwn option": (
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "s",
                        "options": [{"text": {"type": "mrkdwn", "text": "o"}, "value": "o"}],
                    }
                ],
            }
        ],
        "/blocks/0/elements/0/options/0/text/type",
    ),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_blocks_are_reported_with_pointer(name: str) -> None:
    blocks, pointer = INVALID[name]
    errors = validate_blocks(blocks)
    assert errors, name
    assert any(e.startswith("[ERROR] ") and e.endswith(f"[json-pointer:{pointer}]") for e in errors), errors


def test_valid_rich_message() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Standup"}},
        section("*bold* <@U0ALICE>"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}, {"type": "plain_text", "text": "b"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}]},
        {"type": "actions", "elements": [button("yes", "Yes"), {**button("no", "No"), "style": "danger"}]},
        {
            "type": "input",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "note"},
        },
    ]
    assert validate_blocks(blocks) == []
    assert validate_blocks([{"type": "divider"}] * 50) == []


def test_view_rules() -> None:
    text_input = {
        "type": "input",
        "label": {"type": "plain_text", "text": "L"},
        "element": {"type": "plain_text_input", "action_id": "a"},
    }
    submit = {"submit": {"type": "plain_text", "text": "Save"}}
    assert validate_view(modal([text_input], **submit)) == []
    assert validate_view(modal([text_input]))  # input blocks need submit
    assert validate_view(modal([section("a")], title={"type": "plain_text", "text": "t" * 25}))
    assert validate_view(modal([section("a")], private_metadata="m" * 3001))
    assert validate_view(modal([section("a")], callback_id="c" * 256))
    assert validate_view(modal([section("a")], submit={"type": "plain_text", "text": "s" * 25}))
    assert validate_view(modal([{"type": "divider"}] * 101))
    assert validate_view(modal([{"type": "divider"}] * 100)) == []
    assert validate_view({"type": "home", "blocks": [section("a")]}, expected_type="modal")


def test_assign_ids_fills_missing_ids_only() -> None:
    blocks = assign_ids(
        [
            section("a"),
            {
                "type": "actions",
                "block_id": "keep",
                "elements": [button("x"), {"type": "button", "text": {"type": "plain_text", "text": "b"}}],
            },
        ]
    )
    assert blocks[0]["block_id"] and blocks[1]["block_id"] == "keep"
    assert blocks[1]["elements"][0]["action_id"] == "x" and blocks[1]["elements"][1]["action_id"]


async def test_invalid_blocks_rejected_and_not_stored(emu: SlackEmulator, client: AsyncWebClient) -> None:
    for blocks in ([{"type": "divider"}] * 51, [section("x" * 3001)], [{"type": "actions", "elements": [{}]}]):
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=blocks)
        assert info.value.response["error"] == "invalid_blocks"
        messages = info.value.response["response_metadata"]["messages"]
        assert messages and all("[json-pointer:/blocks" in m for m in messages)
    assert emu.messages("C0GENERAL") == []
    good = await client.chat_postMessage(channel="C0GENERAL", text="t", blocks=[section("ok")])
    with pytest.raises(SlackApiError) as info:
        await client.chat_update(channel="C0GENERAL", ts=good["ts"], text="t", blocks=[section("")])
    assert info.value.response["error"] == "invalid_blocks"
    assert emu.messages("C0GENERAL")[0]["blocks"][0]["text"]["text"] == "ok"

"""Block Kit rules Slack documents, counted on the text as sent (escaped entities count in full)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackEmulator
from bot.slack_emulator.blocks import validate_blocks


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def opt(text: str, value: str | None = None, **extra: object) -> dict:
    return {"text": {"type": "plain_text", "text": text}, "value": value if value is not None else text, **extra}


def element(kind: str, **fields: object) -> list[dict]:
    return [{"type": "actions", "elements": [{"type": kind, "action_id": "pick", **fields}]}]


def test_section_length_counts_escaped_entities_as_sent() -> None:
    assert validate_blocks([section("&amp;" * 600)]) == []  # 3,000 characters as sent: the limit
    errors = validate_blocks([section("&amp;" * 600 + "x")])  # "R&D" escaped grows past it
    assert errors and errors[0].endswith("[json-pointer:/blocks/0/text/text]")


async def test_escaped_section_over_the_limit_is_refused_by_the_api(emu: SlackEmulator, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[section("R&amp;D " * 376)])
    assert info.value.response["error"] == "invalid_blocks"
    assert emu.messages("C0GENERAL") == []


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        (element("static_select", options=[opt("x" * 76)]), "/blocks/0/elements/0/options/0/text/text"),
        (element("static_select", options=[opt("a", "v" * 151)]), "/blocks/0/elements/0/options/0/value"),
        (element("radio_buttons", options=[opt("a", description={"type": "plain_text", "text": "d" * 76})]),
         "/blocks/0/elements/0/options/0/description/text"),
        (element("radio_buttons", options=[opt(str(i)) for i in range(11)]), "/blocks/0/elements/0/options"),
        (element("checkboxes", options=[opt(str(i)) for i in range(11)]), "/blocks/0/elements/0/options"),
        (element("static_select", options=[opt("a")], initial_option=opt("b")),
         "/blocks/0/elements/0/initial_option"),
        (element("checkboxes", options=[opt("a")], initial_options=[opt("a"), opt("c")]),
         "/blocks/0/elements/0/initial_options"),
        (element("radio_buttons", options=[opt("a")], initial_option=opt("a", "other")),
         "/blocks/0/elements/0/initial_option"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3001}]}], "/blocks/0/elements/0/text"),
        ([{"type": "input", "label": {"type": "plain_text", "text": "l"},
           "element": {"type": "plain_text_input", "action_id": "x", "max_length": 3001}}],
         "/blocks/0/element/max_length"),
        (element("multi_static_select", options=[opt("a")], max_selected_items=0),
         "/blocks/0/elements/0/max_selected_items"),
        ([{"type": "input", "label": {"type": "plain_text", "text": "l"},
           "element": {"type": "number_input", "action_id": "x", "is_decimal_allowed": False, "min_value": "5",
                       "max_value": "1"}}], "/blocks/0/element/min_value"),
    ],
)
def test_documented_element_rules(blocks: list[dict], pointer: str) -> None:
    errors = validate_blocks(blocks)
    assert any(e.endswith(f"[json-pointer:{pointer}]") for e in errors), errors


def test_what_slack_accepts_still_passes() -> None:
    assert validate_blocks(element("radio_buttons", options=[opt(str(i)) for i in range(10)],
                                   initial_option=opt("3"))) == []
    assert validate_blocks(element("checkboxes", options=[opt("a"), opt("b")], initial_options=[opt("b")])) == []
    assert validate_blocks(element("static_select", options=[opt("x" * 75, "v" * 150)])) == []

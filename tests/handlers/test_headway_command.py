"""`/headway` over signed HTTP: help, usage for anything unknown, never an exception."""

import pytest

from tests.conftest import CHANNEL, MEMBER
from tests.support import all_text


async def test_help_lists_every_subcommand_from_the_registry(slack):
    result = await slack.slash_command(MEMBER, "/headway", "help", channel_id=CHANNEL)
    assert result.status == 200
    assert result.body["response_type"] == "ephemeral"
    text = all_text(result.body["blocks"])
    for usage in ("project new", "project list", "project show KEY", "project edit KEY", "role @person"):
        assert f"/headway {usage}" in text


async def test_empty_text_shows_help(slack):
    result = await slack.slash_command(MEMBER, "/headway", "", channel_id=CHANNEL)
    assert "/headway project new" in all_text(result.body["blocks"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate", "I don't know `/headway frobnicate`"),
        ("projekt list", "project list"),  # a near miss suggests the real command
        ("project", "project new"),
        ("project show", "Usage: `/headway project show KEY`"),
        ("project show A B", "Usage: `/headway project show KEY`"),
        ('project show "unbalanced quote', "Usage"),
    ],
)
async def test_unknown_or_malformed_input_gets_an_ephemeral_usage(slack, emulator, text, expected):
    result = await slack.slash_command(MEMBER, "/headway", text, channel_id=CHANNEL)
    assert result.status == 200
    assert result.body["response_type"] == "ephemeral"
    assert expected in all_text(result.body["blocks"])
    assert not emulator.calls_to("chat.postMessage")


async def test_hostile_text_is_escaped_in_the_usage_answer(slack):
    result = await slack.slash_command(MEMBER, "/headway", "<!channel> <https://evil|x>", channel_id=CHANNEL)
    text = all_text(result.body["blocks"])
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text

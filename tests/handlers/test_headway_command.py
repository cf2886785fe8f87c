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


async def test_help_is_grouped_by_what_people_do_and_points_to_standup_and_gate(slack):
    result = await slack.slash_command(MEMBER, "/headway", "help", channel_id=CHANNEL)
    text = all_text(result.body["blocks"])
    positions = [text.index(f"*{heading}*") for heading in ("Team members", "PMs", "Executives", "Admins")]
    assert positions == sorted(positions)
    assert text.index("/headway log KEY") < positions[1] < text.index("/headway project new") < positions[2]
    assert positions[2] < text.index("/headway digest subscribe") < positions[3] < text.index("/headway role")
    assert "`/standup help`" in text and "`/gate help`" in text
    from handlers.headway import build_registry

    for sub in build_registry().subcommands:  # nothing registered is left out of the grouped list
        if sub.run is not None:
            assert f"/headway {sub.usage}" in text, sub.usage


@pytest.mark.parametrize(
    ("command", "text", "shown", "not_shown"),
    [
        ("/headway", "project help", ["/headway project new", "/headway project show KEY"], ["/headway role"]),
        ("/headway", "token help", ["/headway token KEY", "/headway token revoke KEY"], ["/headway project new"]),
        ("/headway", "PROJECT SHOW ?", ["/headway project show KEY"], ["/headway project new"]),
        ("/gate", "request help", ["/gate request KEY [to STAGE]"], ["/gate status"]),
        ("/standup", "away help", ["/standup away FROM TO"], ["/standup new"]),
    ],
)
async def test_help_works_at_every_level(slack, emulator, command, text, shown, not_shown):
    result = await slack.slash_command(MEMBER, command, text, channel_id=CHANNEL)
    answer = all_text(result.body["blocks"])
    assert result.body["response_type"] == "ephemeral"
    for usage in shown:
        assert usage in answer
    for usage in not_shown:
        assert usage not in answer
    assert "no project" not in answer.lower() and "I don't know" not in answer
    assert not emulator.calls_to("views.open")


@pytest.mark.parametrize(("text", "guess"), [("projcet new", "/headway project new"), ("tokne X", "/headway token KEY"),
                                              ("digest subscrbe", "/headway digest subscribe")])
async def test_a_typo_gets_one_did_you_mean(slack, text, guess):
    result = await slack.slash_command(MEMBER, "/headway", text, channel_id=CHANNEL)
    answer = all_text(result.body["blocks"])
    assert f"Did you mean `{guess}" in answer
    assert answer.count(guess) == 1  # one message per problem: the guess is not listed again below


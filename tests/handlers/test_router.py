"""Routing: one Bolt listener per kind, the id picks the handler; whatever has no handler is still answered."""

from __future__ import annotations

import re

import pytest

from handlers.router import Router
from tests.conftest import CHANNEL, MEMBER
from tests.support import all_text


async def test_an_unknown_slash_command_gets_a_helpful_ephemeral_answer(slack):
    result = await slack.slash_command(MEMBER, "/nope", "anything", channel_id=CHANNEL)
    assert result.status == 200
    assert result.body["response_type"] == "ephemeral"
    assert "Headway has no /nope command" in all_text(result.body["blocks"])


async def test_a_button_without_a_handler_is_acked_not_refused(slack):
    """A link button sends a block action too; Slack shows a warning on the button unless it is acked."""
    result = await slack.block_action(MEMBER, "open_docs_link", value="x")
    assert result.status == 200 and not result.text


async def test_the_same_id_twice_is_refused_at_registration():
    router = Router()

    async def handler(**_: object) -> None:
        return None

    router.action("standup_skip")(handler)
    with pytest.raises(ValueError, match="registered twice"):
        router.action("standup_skip")(handler)
    router.action(re.compile("^digest_open_gate"))(handler)
    assert router.find("action", "digest_open_gate:12") is handler
    assert router.find("action", "nothing_here") is None

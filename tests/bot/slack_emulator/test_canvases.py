"""Canvases as slack_sdk drives them: create, the channel's canvas once, share, edit, delete, and the errors
Slack's reference pages list."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackEmulator

MD = {"type": "markdown", "markdown": "# Dossier\n\n**On track**"}


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response["error"]


async def test_a_channel_has_one_canvas_and_others_are_shared_to_it(emu: SlackEmulator,
                                                                    client: AsyncWebClient) -> None:
    first = await client.conversations_canvases_create(channel_id="C0GENERAL", title="FRAUD", document_content=MD)
    assert emu.state.canvases[first["canvas_id"]]["markdown"] == MD["markdown"]
    assert await error_of(client.conversations_canvases_create(channel_id="C0GENERAL", document_content=MD)) == \
        "channel_canvas_already_exists"
    assert await error_of(client.conversations_canvases_create(channel_id="C0NOPE", document_content=MD)) == \
        "channel_not_found"
    other = await client.canvases_create(title="CHURN", document_content=MD)
    await client.canvases_access_set(canvas_id=other["canvas_id"], access_level="read", channel_ids=["C0GENERAL"])
    assert emu.state.canvases[other["canvas_id"]]["access"] == {"C0GENERAL": "read"}
    assert await error_of(client.canvases_access_set(canvas_id=other["canvas_id"], access_level="read")) == \
        "invalid_parameters"  # neither channels nor users
    assert await error_of(client.canvases_access_set(canvas_id="F0NOPE", access_level="read",
                                                     channel_ids=["C0GENERAL"])) == "canvas_not_found"


async def test_edit_replaces_and_a_deleted_canvas_is_not_found(emu: SlackEmulator, client: AsyncWebClient) -> None:
    canvas_id = (await client.canvases_create(title="FRAUD", document_content=MD))["canvas_id"]
    await client.canvases_edit(canvas_id=canvas_id, changes=[
        {"operation": "replace", "document_content": {"type": "markdown", "markdown": "**At risk**"}}])
    assert emu.state.canvases[canvas_id]["markdown"] == "**At risk**"
    assert await error_of(client.canvases_edit(canvas_id=canvas_id, changes=[{"operation": "shuffle"}])) == \
        "invalid_arguments"
    assert await error_of(client.canvases_create(document_content={"type": "markdown",
                                                                   "markdown": "x" * 1_048_577})) == \
        "canvas_creation_failed"  # 1 MiB of markdown at most
    await client.canvases_delete(canvas_id=canvas_id)
    assert await error_of(client.canvases_edit(canvas_id=canvas_id, changes=[
        {"operation": "replace", "document_content": MD}])) == "canvas_not_found"


async def test_canvases_need_canvases_write(emu: SlackEmulator, client: AsyncWebClient) -> None:
    token = emu.state.bot_token()
    token.scopes = tuple(s for s in token.scopes if s != "canvases:write")
    assert await error_of(client.canvases_create(title="FRAUD", document_content=MD)) == "missing_scope"

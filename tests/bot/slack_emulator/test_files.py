"""The external upload flow, as slack_sdk's files_upload_v2 drives it."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackEmulator


async def test_files_upload_v2_shares_into_channel(emu: SlackEmulator, client: AsyncWebClient) -> None:
    result = await client.files_upload_v2(
        channel="C0GENERAL",
        content="week,score\n1,0.9\n",
        filename="scores.csv",
        title="Scores",
        initial_comment="Weekly digest",
    )
    file_id = result["file"]["id"]
    assert result["file"]["title"] == "Scores"
    assert emu.files[file_id]["data"] == b"week,score\n1,0.9\n"
    message = emu.messages("C0GENERAL")[0]
    assert message["text"] == "Weekly digest" and message["files"][0]["name"] == "scores.csv"
    async with httpx.AsyncClient() as http:
        downloaded = await http.get(message["files"][0]["url_private"])
    assert downloaded.content == b"week,score\n1,0.9\n"
    assert [c.method for c in emu.calls] == ["files.getUploadURLExternal", "files.completeUploadExternal"]


async def test_manual_upload_steps_and_errors(emu: SlackEmulator, client: AsyncWebClient) -> None:
    ticket = await client.files_getUploadURLExternal(filename="a.png", length=3)
    assert ticket["upload_url"].startswith(emu.base_url)
    with pytest.raises(SlackApiError) as info:
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    assert info.value.response["error"] == "file_not_found"  # bytes never uploaded
    async with httpx.AsyncClient() as http:
        wrong = await http.post(ticket["upload_url"], content=b"png!")
        assert wrong.status_code == 400 and "length" in wrong.text  # more bytes than `length` announced
        uploaded = await http.post(ticket["upload_url"], content=b"png")
    assert uploaded.status_code == 200 and uploaded.text == "OK - 3"
    done = await client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "Chart"}])
    assert done["files"] == [{"id": ticket["file_id"], "title": "Chart"}]
    assert emu.messages("C0GENERAL") == []  # no channel: stays private
    with pytest.raises(SlackApiError) as info:
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C0NOPE")
    assert info.value.response["error"] == "invalid_channel"

"""Asking for reports through Slack in tests, and reading the files Headway uploaded to the asker's DM."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.conftest import CHANNEL
from tests.support import all_text, eventually


async def report(slack, user: str, text: str) -> str:
    """`/headway report text`: the private answer's text."""
    result = await slack.slash_command(user, "/headway", f"report {text}", channel_id=CHANNEL)
    if result.body:
        return all_text(result.body.get("blocks") or []) or result.body.get("text", "")
    answer = await result.wait_for_response(timeout=20)
    return all_text(answer.get("blocks") or []) or answer.get("text", "")


def uploads(emulator, user: str) -> list[dict[str, Any]]:
    """Files shared in the DM of `user` (completed uploads), oldest first."""
    found = []
    for message in emulator.messages(user):
        found.extend(message.get("files") or [])
    return found


async def report_files(emulator, user: str, count_before: int = 0) -> dict[str, str]:
    """Wait for a report's files in `user`'s DM (after `count_before` earlier ones); name → text."""
    files = await eventually(lambda: uploads(emulator, user)[count_before:] or None, timeout=20)
    return {f["name"]: emulator.files[f["id"]]["data"].decode() for f in files}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))

"""Slack's two-step external file upload (getUploadURLExternal → POST bytes → complete)."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

from .api import ApiRequest, SlackError, slack_method
from .methods_chat import bot_message, checked_blocks


@slack_method("files.getUploadURLExternal")
def get_upload_url(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    filename = str(req.require("filename"))
    try:
        length = int(req.require("length"))
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments", ["[ERROR] length must be an integer"]) from None
    if length <= 0:
        raise SlackError("invalid_arguments", ["[ERROR] length must be greater than 0"])
    file_id = state.new_id("F")
    state.files[file_id] = {
        "id": file_id,
        "name": filename,
        "title": filename,
        "size": length,
        "alt_txt": req.get("alt_txt"),
        "uploaded": False,
        "completed": False,
        "data": b"",
    }
    return {"upload_url": f"{req.base_url}/_emulator/upload/{file_id}", "file_id": file_id}


def file_payload(req: ApiRequest, stored: dict[str, Any], channels: list[str]) -> dict[str, Any]:
    """The public file object (no bytes)."""
    mimetype = mimetypes.guess_type(stored["name"])[0] or "application/octet-stream"
    base = req.base_url
    return {
        "id": stored["id"],
        "created": int(time.time()),
        "timestamp": int(time.time()),
        "name": stored["name"],
        "title": stored["title"],
        "mimetype": mimetype,
        "filetype": stored["name"].rsplit(".", 1)[-1] if "." in stored["name"] else "binary",
        "user": req.state.config.bot_user_id,
        "size": len(stored["data"]),
        "url_private": f"{base}/_emulator/files/{stored['id']}",
        "permalink": f"{base}/_emulator/files/{stored['id']}",
        "channels": channels,
    }


@slack_method("files.completeUploadExternal")
def complete_upload(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    entries = req.json_value("files")
    if not isinstance(entries, list) or not entries:
        raise SlackError("invalid_arguments", ["[ERROR] missing required field: files"])
    targets: list[str] = []
    raw_channels = [req.get("channel_id")] + str(req.get("channels") or "").split(",")
    for ref in [c for c in raw_channels if c]:
        channel_id = state.resolve_channel(str(ref).strip())
        if channel_id is None:
            raise SlackError("invalid_channel")
        targets.append(channel_id)
    stored_files = []
    for entry in entries:
        stored = state.files.get(str(entry.get("id") if isinstance(entry, dict) else ""))
        if stored is None or not stored["uploaded"]:
            raise SlackError("file_not_found")
        stored_files.append((stored, entry))
    payloads = []
    for stored, entry in stored_files:
        stored["title"] = entry.get("title") or stored["title"]
        stored["completed"] = True
        payloads.append(file_payload(req, stored, targets))
    blocks = None if req.get("initial_comment") else checked_blocks(req)
    for channel_id in targets:
        message = bot_message(
            state, req.get("initial_comment"), blocks, files=payloads, upload=True, thread_ts=req.get("thread_ts")
        )
        state.store_message(channel_id, message)
    return {"files": [{"id": p["id"], "title": p["title"]} for p in payloads]}

"""Canvases: canvases.create / edit / delete, conversations.canvases.create and canvases.access.set.

Rules from Slack's reference pages (none of these methods is in web-api.openapi.v2.json):
- https://docs.slack.dev/reference/methods/canvases.create — `title`, `document_content` ({"type": "markdown",
  "markdown": …}, at most 1 MiB), optional `channel_id` (the canvas is then a tab of that channel); answers
  `canvas_id`. Errors used here: canvas_creation_failed (content that is not markdown or too long),
  channel_not_found.
- https://docs.slack.dev/reference/methods/canvases.edit — `canvas_id`, `changes`: one change, an `operation`
  (insert_after, insert_before, insert_at_start, insert_at_end, replace, delete, rename) with `document_content`
  (or `title_content` for rename); errors canvas_not_found, canvas_editing_failed, invalid_arguments.
- https://docs.slack.dev/reference/methods/canvases.delete — `canvas_id`; canvas_not_found.
- https://docs.slack.dev/reference/methods/conversations.canvases.create — `channel_id` (required),
  `document_content`, `title`; channel_canvas_already_exists when the channel has one; channel_not_found.
- https://docs.slack.dev/reference/methods/canvases.access.set — `canvas_id`, `access_level` (read, write, owner),
  `channel_ids` or `user_ids` (not both, 1 to 20): invalid_parameters otherwise; canvas_not_found,
  channel_not_found.
All need the canvases:write scope (bot.slack_emulator.auth.METHOD_SCOPES).
"""

from __future__ import annotations

import time
from typing import Any

from .api import ApiRequest, SlackError, slack_method

MAX_MARKDOWN = 1_048_576  # "The markdown content is limited to 1 MiB (1,048,576 characters)"
OPERATIONS = ("insert_after", "insert_before", "insert_at_start", "insert_at_end", "replace", "delete", "rename")
ACCESS_LEVELS = ("read", "write", "owner")


def _markdown(req: ApiRequest, error: str) -> str:
    content = req.json_value("document_content", error)
    if content is None:
        return ""
    if not isinstance(content, dict) or content.get("type") != "markdown" or not isinstance(content.get("markdown"),
                                                                                            str):
        raise SlackError(error, ["[ERROR] document_content must be {\"type\": \"markdown\", \"markdown\": …}"])
    if len(content["markdown"]) > MAX_MARKDOWN:
        raise SlackError(error, ["[ERROR] markdown is limited to 1,048,576 characters"])
    return content["markdown"]


def _channel(req: ApiRequest, ref: Any) -> str:
    channel_id = req.state.resolve_channel(str(ref)) if ref else None
    if channel_id is None or channel_id not in req.state.channels:
        raise SlackError("channel_not_found")
    return channel_id


def _new(req: ApiRequest, title: str, markdown: str, channel_id: str | None) -> str:
    canvas_id = req.state.new_id("F")
    req.state.canvases[canvas_id] = {"id": canvas_id, "title": title, "markdown": markdown, "channel_id": channel_id,
                                     "access": {channel_id: "write"} if channel_id else {}, "created": time.time(),
                                     "edits": 0}
    return canvas_id


@slack_method("canvases.create")
def create(req: ApiRequest) -> dict[str, Any]:
    markdown = _markdown(req, "canvas_creation_failed")
    channel_id = _channel(req, req.get("channel_id")) if req.get("channel_id") else None
    return {"canvas_id": _new(req, str(req.get("title") or "Untitled"), markdown, channel_id)}


@slack_method("conversations.canvases.create")
def create_for_channel(req: ApiRequest) -> dict[str, Any]:
    channel_id = _channel(req, req.require("channel_id"))
    if channel_id in req.state.channel_canvases:
        raise SlackError("channel_canvas_already_exists")
    markdown = _markdown(req, "channel_canvas_creation_failed")
    canvas_id = _new(req, str(req.get("title") or req.state.channel_name(channel_id)), markdown, channel_id)
    req.state.channel_canvases[channel_id] = canvas_id
    return {"canvas_id": canvas_id}


def _canvas(req: ApiRequest) -> dict[str, Any]:
    found = req.state.canvases.get(str(req.require("canvas_id")))
    if found is None:
        raise SlackError("canvas_not_found")
    return found


@slack_method("canvases.edit")
def edit(req: ApiRequest) -> dict[str, Any]:
    canvas = _canvas(req)
    changes = req.json_value("changes")
    if not isinstance(changes, list) or len(changes) != 1 or not isinstance(changes[0], dict):
        raise SlackError("invalid_arguments", ["[ERROR] changes must hold exactly one change"])
    change = changes[0]
    operation = change.get("operation")
    if operation not in OPERATIONS:
        raise SlackError("invalid_arguments", [f"[ERROR] unknown operation {operation!r}"])
    if operation == "rename":
        title = (change.get("title_content") or {}).get("markdown")
        if not isinstance(title, str):
            raise SlackError("canvas_editing_failed")
        canvas["title"] = title
    elif operation == "delete":
        canvas["markdown"] = ""
    else:
        content = change.get("document_content")
        if not isinstance(content, dict) or content.get("type") != "markdown" or not isinstance(
                content.get("markdown"), str) or len(content["markdown"]) > MAX_MARKDOWN:
            raise SlackError("canvas_editing_failed")
        text = content["markdown"]
        canvas["markdown"] = {"replace": text, "insert_at_start": text + canvas["markdown"]}.get(
            operation, canvas["markdown"] + text)
    canvas["edits"] += 1
    return {}


@slack_method("canvases.delete")
def delete(req: ApiRequest) -> dict[str, Any]:
    canvas = _canvas(req)
    del req.state.canvases[canvas["id"]]
    for channel_id, canvas_id in list(req.state.channel_canvases.items()):
        if canvas_id == canvas["id"]:
            del req.state.channel_canvases[channel_id]
    return {}


def _ids(req: ApiRequest, key: str) -> list[str]:
    """A list of ids as a JSON array or, as slack_sdk sends it, a comma-separated string."""
    raw = req.params.get(key)
    if isinstance(raw, str) and not raw.strip().startswith("["):
        return [part.strip() for part in raw.split(",") if part.strip()]
    value = req.json_value(key)
    return [str(v) for v in value] if isinstance(value, list) else []


@slack_method("canvases.access.set")
def access_set(req: ApiRequest) -> dict[str, Any]:
    canvas = _canvas(req)
    level = req.require("access_level")
    if level not in ACCESS_LEVELS:
        raise SlackError("invalid_arguments", ["[ERROR] access_level must be read, write or owner"])
    channels, users = _ids(req, "channel_ids"), _ids(req, "user_ids")
    if bool(channels) == bool(users) or len(channels or users) > 20:
        raise SlackError("invalid_parameters")
    for ref in channels or []:
        canvas["access"][_channel(req, ref)] = level
    for user in users or []:
        if user not in req.state.users:
            raise SlackError("user_not_found")
        canvas["access"][user] = level
    return {}

"""chat.* methods: post, update, delete messages and ephemeral messages."""

from __future__ import annotations

import re
from typing import Any

from .api import ApiRequest, SlackError, slack_method
from .blocks import MAX_MESSAGE_BLOCKS, assign_ids, validate_blocks
from .state import WorkspaceState

MAX_TEXT = 40_000
MAX_EVENT_TYPE = 255
EVENT_TYPE_RE = re.compile(r"[a-zA-Z0-9_]+")


def checked_blocks(req: ApiRequest, *, required: bool = False) -> list[dict[str, Any]] | None:
    """Decode and validate `blocks`; Slack answers invalid_blocks and stores nothing."""
    blocks = req.json_value("blocks", error="invalid_blocks_format")
    if blocks is None:
        return None
    errors = validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
    if errors:
        raise SlackError("invalid_blocks", errors)
    return assign_ids(blocks)


def checked_metadata(req: ApiRequest, *, allow_empty: bool = False) -> dict[str, Any] | None:
    """Decode and validate `metadata` ({"event_type": str, "event_payload": {...}}).

    Slack answers `invalid_metadata_format` when it is not a JSON object, lacks an
    `event_type` matching ^[a-zA-Z0-9_]+$ (at most 255 characters) or has an
    `event_payload` that is not an object. chat.update accepts `{}` (remove metadata).
    """
    metadata = req.json_value("metadata", error="invalid_metadata_format")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format", ["[ERROR] `metadata` must be a JSON object"])
    if allow_empty and not metadata:
        return {}
    event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
    if not isinstance(event_type, str) or not EVENT_TYPE_RE.fullmatch(event_type) or len(event_type) > MAX_EVENT_TYPE:
        raise SlackError(
            "invalid_metadata_format",
            ["[ERROR] `metadata.event_type` must be 1-255 characters of [a-zA-Z0-9_]"],
        )
    if not isinstance(payload, dict):
        raise SlackError("invalid_metadata_format", ["[ERROR] `metadata.event_payload` must be an object"])
    return {"event_type": event_type, "event_payload": payload}


def checked_text(req: ApiRequest) -> str | None:
    text = req.get("text")
    if text is not None and len(str(text)) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return None if text is None else str(text)


def resolve_channel(req: ApiRequest, ref: str | None, *, public_needs_scope: bool = True) -> str:
    """The conversation a message goes to, or Slack's refusal.

    chat.postMessage reference (https://docs.slack.dev/reference/methods/chat.postMessage, "Errors") and the spec's
    error enum: a private channel the bot is not in is invisible to it (`channel_not_found`); an archived channel
    answers `is_archived`; a public channel the bot is not in answers `not_in_channel` unless the token holds
    `chat:write.public` (https://docs.slack.dev/reference/scopes/chat.write.public). chat.postEphemeral lists no
    `not_in_channel` in the spec, so it only hides private channels (`public_needs_scope=False`).
    """
    state = req.state
    channel_id = state.resolve_channel(ref)
    if channel_id is None:
        raise SlackError("channel_not_found")
    channel = state.channels.get(channel_id)
    if channel is not None:
        member = state.is_member(channel_id, state.config.bot_user_id)
        if channel.is_private and not member:
            raise SlackError("channel_not_found")
        if channel.is_archived:
            raise SlackError("is_archived")
        if not member and public_needs_scope and not req.has_scope("chat:write.public"):
            raise SlackError("not_in_channel")
    for user_id in state.dm_channels.get(channel_id, []):
        user = state.users.get(user_id)
        if user is not None and user.deleted:
            raise SlackError("user_disabled")
    return channel_id


def bot_message(state: WorkspaceState, text: str | None, blocks: list | None, **extra: Any) -> dict[str, Any]:
    """A message authored by the app's bot user, shaped like Slack returns it."""
    config = state.config
    message: dict[str, Any] = {
        "type": "message",
        "user": config.bot_user_id,
        "bot_id": config.bot_id,
        "app_id": config.app_id,
        "team": config.team_id,
        "text": text or "",
        "ts": state.next_ts(),
    }
    if blocks is not None:
        message["blocks"] = blocks
    message.update({k: v for k, v in extra.items() if v is not None})
    return message


def _own_message(req: ApiRequest, forbidden: str) -> tuple[str, dict[str, Any]]:
    state = req.state
    channel_id = state.resolve_channel(req.require("channel"))
    channel = state.channels.get(channel_id or "")
    if channel_id is None or (
        channel is not None and channel.is_private and not state.is_member(channel_id, state.config.bot_user_id)
    ):
        raise SlackError("channel_not_found")
    message = state.get_message(channel_id, str(req.require("ts")))
    if message is None:
        raise SlackError("message_not_found")
    if message.get("bot_id") != state.config.bot_id:
        raise SlackError(forbidden)
    return channel_id, message


@slack_method("chat.postMessage")
def post_message(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    channel_id = resolve_channel(req, req.require("channel"))
    text, blocks = checked_text(req), checked_blocks(req)
    attachments = req.json_value("attachments")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    metadata = checked_metadata(req)
    message = bot_message(
        state,
        text,
        blocks,
        thread_ts=req.get("thread_ts"),
        attachments=attachments,
        metadata=metadata,
    )
    state.store_message(channel_id, message)
    return {"channel": channel_id, "ts": message["ts"], "message": message}


@slack_method("chat.update")
def update_message(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    channel_id, message = _own_message(req, "cant_update_message")
    text, blocks = checked_text(req), checked_blocks(req)
    if text is None and blocks is None and req.get("attachments") is None:
        raise SlackError("no_text")
    metadata = checked_metadata(req, allow_empty=True)
    if metadata is not None:  # absent keeps the old metadata, {} removes it (as Slack documents)
        if metadata:
            message["metadata"] = metadata
        else:
            message.pop("metadata", None)
    if text is not None:
        message["text"] = text
    if blocks is not None:
        if blocks:
            message["blocks"] = blocks
        else:
            message.pop("blocks", None)
    if req.get("attachments") is not None:
        message["attachments"] = req.json_value("attachments")
    message["edited"] = {"user": state.config.bot_user_id, "ts": state.next_ts()}
    return {"channel": channel_id, "ts": message["ts"], "text": message["text"], "message": message}


@slack_method("chat.delete")
def delete_message(req: ApiRequest) -> dict[str, Any]:
    channel_id, message = _own_message(req, "cant_delete_message")
    req.state.delete_message(channel_id, message["ts"])
    return {"channel": channel_id, "ts": message["ts"]}


@slack_method("chat.postEphemeral")
def post_ephemeral(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    channel_id = resolve_channel(req, req.require("channel"), public_needs_scope=False)
    user_id = str(req.require("user"))
    user = state.users.get(user_id)
    if user is None or user.deleted or not state.is_member(channel_id, user_id):
        raise SlackError("user_not_in_channel")
    text, blocks = checked_text(req), checked_blocks(req)
    if not text and not blocks and not req.get("attachments"):
        raise SlackError("no_text")
    message = bot_message(state, text, blocks, thread_ts=req.get("thread_ts"))
    state.ephemerals.append({**message, "channel": channel_id, "visible_to": user_id})
    return {"message_ts": message["ts"]}

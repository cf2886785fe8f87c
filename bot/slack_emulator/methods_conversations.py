"""conversations.history and conversations.replies: reading messages back.

Both follow Slack's documented behaviour: `oldest`/`latest` bound the range
(exclusive unless `inclusive`), `limit` caps a page and `cursor` continues with
`response_metadata.next_cursor` while `has_more` is true. History lists only
top-level messages, newest first; replies list a thread's parent then its
replies, oldest first. Message `metadata` is returned only when the caller asks
for it with `include_all_metadata`.
"""

from __future__ import annotations

import base64
import binascii
import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from .api import ApiRequest, SlackError, slack_method
from .state import WorkspaceState

HISTORY_LIMIT = (100, 999)  # (default, maximum)
REPLIES_LIMIT = (1000, 1000)
CURSOR_PREFIX = "next_ts:"


def readable_channel(state: WorkspaceState, ref: Any) -> str:
    """A conversation id the bot may read: a channel it is in, or a DM / group DM it opened."""
    channel_id = str(ref)
    if channel_id in state.dm_channels:
        return channel_id
    channel = state.channels.get(channel_id)
    if channel is None:
        raise SlackError("channel_not_found")
    if not state.is_member(channel_id, state.config.bot_user_id):
        # A private channel the bot is not in does not exist for it; a public one needs joining.
        raise SlackError("channel_not_found" if channel.is_private else "not_in_channel")
    return channel_id


def _ts_value(raw: Any, error: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise SlackError(error) from None
    if not value.is_finite():
        raise SlackError(error)
    return value


def _limit(req: ApiRequest, default: int, maximum: int) -> int:
    raw = req.get("limit")
    if raw is None:
        return default
    try:
        limit = int(str(raw).strip())
    except ValueError:
        raise SlackError("invalid_arguments", ["[ERROR] `limit` must be an integer"]) from None
    return default if limit <= 0 else min(limit, maximum)


def encode_cursor(ts: str) -> str:
    """Slack's history cursors are base64("next_ts:<ts without the dot>")."""
    return base64.b64encode(f"{CURSOR_PREFIX}{ts.replace('.', '')}".encode()).decode()


def decode_cursor(cursor: str) -> Decimal:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SlackError("invalid_cursor") from None
    digits = text[len(CURSOR_PREFIX) :]
    if not text.startswith(CURSOR_PREFIX) or not digits.isdigit() or len(digits) <= 6:
        raise SlackError("invalid_cursor")
    return Decimal(f"{digits[:-6]}.{digits[-6:]}")


def _in_range(req: ApiRequest) -> Any:
    """A predicate for `oldest` < ts < `latest` (≤ with inclusive); absent bounds are open."""
    oldest = _ts_value(req.get("oldest"), "invalid_ts_oldest") if req.get("oldest") is not None else None
    latest = _ts_value(req.get("latest"), "invalid_ts_latest") if req.get("latest") is not None else None
    inclusive = req.flag("inclusive")

    def check(ts: str) -> bool:
        value = Decimal(ts)
        if oldest is not None and (value < oldest or (value == oldest and not inclusive)):
            return False
        return not (latest is not None and (value > latest or (value == latest and not inclusive)))

    return check


def _replies_of(state: WorkspaceState, channel_id: str, parent_ts: str) -> list[dict[str, Any]]:
    stored = state.messages_by_channel.get(channel_id, {})
    found = [m for m in stored.values() if m.get("thread_ts") == parent_ts and m["ts"] != parent_ts]
    return sorted(found, key=lambda m: Decimal(m["ts"]))


def _is_top_level(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"


def message_view(
    state: WorkspaceState, channel_id: str, message: dict[str, Any], include_metadata: bool
) -> dict[str, Any]:
    """A stored message as the read methods return it (copied; thread fields filled in)."""
    view = copy.deepcopy(message)
    if not include_metadata:
        view.pop("metadata", None)
    thread_ts = view.get("thread_ts")
    if thread_ts and thread_ts == view["ts"]:
        replies = _replies_of(state, channel_id, thread_ts)
        if replies:
            authors = (r.get("user") or r.get("bot_id") for r in replies)
            users = list(dict.fromkeys(a for a in authors if a))
            view.update(
                reply_count=len(replies),
                reply_users_count=len(users),
                latest_reply=replies[-1]["ts"],
                reply_users=users[:5],
                is_locked=False,
                subscribed=False,
            )
    elif thread_ts:
        parent = state.get_message(channel_id, thread_ts)
        if parent is not None and parent.get("user"):
            view["parent_user_id"] = parent["user"]
    return view


def _page_metadata(has_more: bool, next_ts: str | None) -> dict[str, Any]:
    if has_more and next_ts:
        return {"has_more": True, "response_metadata": {"next_cursor": encode_cursor(next_ts)}}
    return {"has_more": False}


@slack_method("conversations.history")
def conversations_history(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    channel_id = readable_channel(state, req.require("channel"))
    limit = _limit(req, *HISTORY_LIMIT)
    in_range = _in_range(req)
    cursor = req.get("cursor")
    start = decode_cursor(str(cursor)) if cursor else None
    stored = state.messages_by_channel.get(channel_id, {})
    candidates = [
        m
        for m in sorted(stored.values(), key=lambda m: Decimal(m["ts"]), reverse=True)
        if _is_top_level(m) and in_range(m["ts"]) and (start is None or Decimal(m["ts"]) <= start)
    ]
    page, rest = candidates[:limit], candidates[limit:]
    include = req.flag("include_all_metadata")
    return {
        "messages": [message_view(state, channel_id, m, include) for m in page],
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        **_page_metadata(bool(rest), rest[0]["ts"] if rest else None),
    }


@slack_method("conversations.replies")
def conversations_replies(req: ApiRequest) -> dict[str, Any]:
    """The thread around `ts` (a parent or any reply): parent first, then replies oldest first."""
    state = req.state
    channel_id = readable_channel(state, req.require("channel"))
    ts = str(req.require("ts"))
    message = state.get_message(channel_id, ts)
    if message is None:
        raise SlackError("thread_not_found")
    parent_ts = message.get("thread_ts") or ts
    parent = state.get_message(channel_id, parent_ts)
    limit = _limit(req, *REPLIES_LIMIT)
    in_range = _in_range(req)
    cursor = req.get("cursor")
    start = decode_cursor(str(cursor)) if cursor else None
    replies = [
        r
        for r in _replies_of(state, channel_id, parent_ts)
        if in_range(r["ts"]) and (start is None or Decimal(r["ts"]) >= start)
    ]
    # Slack returns the parent at the head of the thread whatever the time range.
    head = [parent] if parent is not None and start is None else []
    candidates = head + replies
    page, rest = candidates[:limit], candidates[limit:]
    include = req.flag("include_all_metadata")
    return {
        "messages": [message_view(state, channel_id, m, include) for m in page],
        **_page_metadata(bool(rest), rest[0]["ts"] if rest else None),
    }

"""Several thread replies in one Slack message, so a thread keeps up with any arrival rate at one post a second.

Slack takes about one chat.postMessage a second per channel. A morning's 1,000 standup answers, one reply each,
would take 17 minutes to appear; replies that wait for the channel's next slot are therefore posted together, as
one message holding each reply's blocks whole (never split), within Block Kit's 50 blocks a message. The outbox
keeps one row (and one key) per reply: every member of a bundle records the same ts, and the message's metadata
carries every member's key, so a crashed send is found again per reply. An edit of one reply re-sends the whole
message it sits in (`compose`), with each other member as it last went out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence, Set
from itertools import zip_longest
from typing import Any

from bot.models.outbox import OutboxMessage, OutboxMethod
from bot.render import Message
from bot.render.limits import MESSAGE_BLOCKS

BUNDLE_BLOCKS = MESSAGE_BLOCKS - 10  # headroom: an edit may grow one reply by a few blocks ("Edited", blocker)
BUNDLE_TEXT = 12000  # the fallback text of a bundle: notifications show the first words only
BUNDLE_ROWS = 40  # keys in one message's metadata


def bundleable(row: OutboxMessage) -> bool:
    """A thread reply: a post under another message, with nothing of its own that a reader replies to."""
    return row.method == OutboxMethod.POST and bool(row.thread_key)


def _message(row: OutboxMessage | str) -> Message:
    payload = json.loads(row if isinstance(row, str) else row.payload)
    return Message(text=payload.get("text", ""), blocks=list(payload.get("blocks") or []))


def _size(message: Message) -> int:
    return max(1, len(message.blocks))


def split(queue: Sequence[OutboxMessage], excluded: Set[int] = frozenset()) -> list[list[OutboxMessage]]:
    """One channel's rows, in order, as sends: consecutive replies to the same thread share one send while they
    fit; anything else (a top-level post, an update, a row `excluded` by id) is a send of its own."""
    sends: list[list[OutboxMessage]] = []
    blocks = 0
    for row in queue:
        last = sends[-1] if sends else None
        size = _size(_message(row))
        if (last is not None and bundleable(row) and row.id not in excluded and bundleable(last[0])
                and last[0].id not in excluded and last[0].thread_key == row.thread_key
                and last[0].team_id == row.team_id and len(last) < BUNDLE_ROWS and blocks + size <= BUNDLE_BLOCKS):
            last.append(row)
            blocks += size
            continue
        sends.append([row])
        blocks = size
    return sends


def conversations(queue: Sequence[OutboxMessage], excluded: Set[int] = frozenset()) -> list[list[OutboxMessage]]:
    """One channel's rows as sends, its conversations taking turns: the top level (posts, updates) and each
    thread, each in its own order. A thread's replies bundle even when top-level posts came between them, so a
    hundred new-project announcements in the standup's channel neither break the answers into single replies
    nor keep them waiting for a hundred seconds of the channel's one post a second."""
    threads: dict[str | None, list[OutboxMessage]] = {}
    for row in queue:
        threads.setdefault(row.thread_key if bundleable(row) else None, []).append(row)
    turns = [split(rows, excluded) for rows in threads.values()]
    return [send for turn in zip_longest(*turns) for send in turn if send]


def combine(messages: Sequence[Message]) -> Message:
    """The replies' blocks one after another, each reply's whole; the fallback text names how many."""
    if len(messages) == 1:
        return messages[0]
    blocks: list[dict[str, Any]] = []
    for message in messages:
        blocks.extend(message.blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": message.text}}])
    texts = " · ".join(m.text for m in messages if m.text)
    text = f"{len(messages)} replies: {texts}" if texts else f"{len(messages)} replies"
    return Message(text=text[:BUNDLE_TEXT], blocks=blocks)


def bundle_message(rows: Sequence[OutboxMessage]) -> Message:
    return combine([_message(row) for row in rows])


def compose(members: Sequence[OutboxMessage], latest: dict[str, str], edited_key: str, edit: Message) -> Message:
    """The whole message an edit lands in: each member as it last went out (`latest`: key -> payload of its last
    sent edit), the edited one as it is now."""
    parts = [edit if m.key == edited_key else _message(latest.get(m.key, m.payload)) for m in members]
    return combine(parts)


def metadata_keys(payload: dict[str, Any] | None) -> list[str]:
    """Every outbox key a posted message carries (one, or a bundle's)."""
    payload = payload or {}
    keys = [str(k) for k in payload.get("keys") or [] if k]
    if not keys and payload.get("key"):
        keys = [str(payload["key"])]
    return keys

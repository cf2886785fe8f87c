"""After a crash: which possibly-sent messages Slack already has; and a message's second chance without images."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable

from bot.delivery.gateway import Posted, SlackGateway
from bot.models.outbox import OutboxMessage

SentRef = Callable[[str], Awaitable[tuple[str, str]]]


async def find_sent(gateway: SlackGateway, doubtful: list[OutboxMessage], sent_ref: SentRef) -> dict[str, Posted]:
    """Look up one channel's possibly-sent rows, by the key in their metadata: one history walk per channel (or
    per thread, for replies) for all of them, not one per message. `sent_ref` gives a parent's (channel, ts)
    and raises when the parent is not in Slack, in which case neither is its reply."""
    by_thread: dict[str | None, list[OutboxMessage]] = defaultdict(list)
    for row in doubtful:
        by_thread[row.thread_key].append(row)
    found: dict[str, Posted] = {}
    for thread_key, group in by_thread.items():
        try:
            thread_ts = (await sent_ref(thread_key))[1] if thread_key else None
        except Exception:  # noqa: BLE001 - Dependency or a parent that never went out
            continue
        found |= await gateway.find_posted(group[0].channel, {r.key for r in group},
                                           min(r.created_at for r in group), thread_ts=thread_ts)
    return found


def without_images(payload: str) -> str | None:
    """The payload without its image blocks; None when it has none (nothing to retry without)."""
    data = json.loads(payload)
    blocks = data.get("blocks") or []
    kept = [b for b in blocks if b.get("type") != "image"]
    if len(kept) == len(blocks):
        return None
    data["blocks"] = kept
    return json.dumps(data, ensure_ascii=False)

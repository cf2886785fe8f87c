"""Pacing every Web API call to Slack's published limits, so Headway spends its budget instead of drawing 429s.

Slack limits each method per workspace by tier (Tier 2 ≈ 20/min, Tier 3 ≈ 50/min, Tier 4 ≈ 100/min), and
chat.postMessage both per channel (≈ 1/s, short bursts allowed) and per workspace ("several hundred per minute").
https://api.slack.com/apis/rate-limits and https://api.slack.com/methods/chat.postMessage#rate_limiting

Why not slack_sdk's AsyncRateLimitErrorRetryHandler: it only reacts to a 429 by sleeping inside that one call, so
every other concurrent call to the same method still runs into the wall (the issue's 40 calls in 3 s, all 429),
and a sender worker is stuck inside a call the outbox could have rescheduled. A pacer that spaces calls *before*
they are made (a reservation-style token bucket, GCRA) and that a 429 blocks for the whole method keeps the 429
share near zero; the outbox still owns retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field

from bot.delivery.tokens import current_team

PER_MINUTE = 1 / 60
# (calls per second, burst) per Slack tier; Slack "allows occasional bursts" beyond the per-minute rate: ours stay
# under half a minute's quota, so that jitter between our clock and Slack's never exceeds what it tolerates.
TIER_2 = (20 * PER_MINUTE, 5.0)
TIER_3 = (50 * PER_MINUTE, 20.0)
TIER_4 = (100 * PER_MINUTE, 40.0)
METHOD_TIERS: dict[str, tuple[float, float]] = {
    "auth.test": TIER_4,
    "chat.postEphemeral": TIER_4,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "conversations.open": TIER_3,
    "conversations.info": TIER_3,
    "conversations.join": TIER_3,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "users.info": TIER_4,
    "users.list": TIER_2,
    "views.publish": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "canvases.create": TIER_2,  # the canvases reference pages: create/conversations.canvases.create Tier 2,
    "conversations.canvases.create": TIER_2,  # edit and access.set Tier 3
    "canvases.edit": TIER_3,
    "canvases.access.set": TIER_3,
}
POST_MESSAGE = "chat.postMessage"
PER_CHANNEL = (1.0, 3.0)  # chat.postMessage in one channel: about one a second, short bursts


@dataclass
class Bucket:
    """A reservation token bucket: `reserve` says how long to wait for this call's slot and books it, so
    concurrent callers queue fairly without a lock (the event loop runs it atomically)."""

    rate: float
    burst: float
    tat: float = 0.0  # theoretical arrival time of the next call at the steady rate
    blocked_until: float = 0.0  # a 429's Retry-After

    def reserve(self, now: float) -> float:
        interval = 1 / self.rate
        start = max(now, self.tat - (self.burst - 1) * interval, self.blocked_until)
        self.tat = max(self.tat, now, self.blocked_until) + interval
        return start - now

    def wait(self, now: float) -> float:
        """How long the next call would wait for its slot (nothing is booked)."""
        return max(now, self.tat - (self.burst - 1) / self.rate, self.blocked_until) - now

    def room(self, now: float, horizon: float) -> int:
        """How many calls could start within `horizon` seconds (nothing is booked)."""
        if self.blocked_until > now + horizon:
            return 0
        behind = max(self.tat, now, self.blocked_until) - now  # booked work not yet started
        return max(0, int((horizon - behind) * self.rate + self.burst))


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


@dataclass
class Pacer:
    """Per-method buckets (Slack's tiers), the workspace's chat.postMessage budget and per-channel pacing.

    Views (views.open/update/push) are bound to a trigger, not tiered, and answer a person who is waiting:
    they are never paced.

    Slack's limits are per workspace, so every bucket (and every 429 block) belongs to the workspace the call acts
    for (bot.delivery.tokens.acting_for): one workspace's rush or 429 never slows another's.
    """

    message_rate: float = 5.0  # chat.postMessage per second for the workspace (300/min, "several hundred")
    message_burst: float = 20.0
    clock: Callable[[], float] = time.monotonic
    # Multiplies every rate (not the bursts), to match an emulator whose limits are scaled the same way (the demo,
    # tests whose subject is not pacing). Always 1 against real Slack.
    scale: float = 1.0
    _buckets: dict[tuple[str, str, str], Bucket] = field(default_factory=dict)
    _turns: dict[tuple[str, str], _Turn] = field(default_factory=dict)  # (workspace, channel): posts waiting

    def _bucket(self, method: str, scope: str = "") -> Bucket | None:
        key = (current_team() or "", method, scope)
        bucket = self._buckets.get(key)
        if bucket is None:
            if method == POST_MESSAGE:
                rate, burst = PER_CHANNEL if scope else (self.message_rate, self.message_burst)
            elif method in METHOD_TIERS:
                rate, burst = METHOD_TIERS[method]
            else:
                return None
            bucket = self._buckets[key] = Bucket(rate=rate * self.scale, burst=burst)
        return bucket

    async def acquire(self, method: str, channel: str | None = None) -> None:
        """Wait for this call's slot: the method's (for chat.postMessage: the workspace budget's) and, for a post,
        its channel's. A 429 that arrives while waiting (another call hit it) pushes the slot past its Retry-After.

        A channel's posts take turns, and each books the channel's slot only once it has the workspace's too,
        when it really goes: booked first, a post that then waited a varying time for the budget would reach
        Slack bunched up with the next ones, and a channel's short burst ran out (a rush's 96 DMs to one person
        behind a saturated budget drew a 429)."""
        if not (method == POST_MESSAGE and channel):
            await _wait(self._bucket(method), self.clock)
            return
        async with self._turn_in(channel):
            posts_here = self._bucket(method, channel)
            assert posts_here is not None
            if (turn := posts_here.wait(self.clock())) > 0:  # the channel's next slot (nothing booked yet)
                await asyncio.sleep(turn)
            await _wait(self._bucket(method), self.clock)
            await _wait(posts_here, self.clock)  # conforms now: time only moved on and nobody else booked it

    @contextlib.asynccontextmanager
    async def _turn_in(self, channel: str) -> AsyncIterator[None]:
        """One post at a time per channel (first come, first served); the lock lives while anyone waits."""
        key = (current_team() or "", channel)
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if not turn.users:
                del self._turns[key]

    def block(self, method: str, retry_after: float) -> None:
        """Slack answered 429: nobody calls this method (for chat.postMessage: in this workspace) for a while."""
        bucket = self._bucket(method) or self._buckets.setdefault((current_team() or "", method, ""),
                                                                  Bucket(rate=1e6, burst=1e6))
        bucket.blocked_until = max(bucket.blocked_until, self.clock() + retry_after)

    def slot_wait(self, method: str) -> float:
        """Seconds until a call of a tiered `method` would get its slot in this workspace (nothing is booked)."""
        bucket = self._buckets.get((current_team() or "", method, ""))
        return bucket.wait(self.clock()) if bucket else 0.0

    def rooms(self, methods: Collection[str], horizon: float) -> dict[tuple[str | None, str], int]:
        """How many calls of each tiered method in `methods` could start within `horizon` seconds, by workspace;
        workspace None: any workspace that has not called that method yet. Nothing is booked."""
        now = self.clock()
        tiered = [method for method in methods if method in METHOD_TIERS]
        rooms: dict[tuple[str | None, str], int] = {
            (None, method): Bucket(rate=METHOD_TIERS[method][0] * self.scale, burst=METHOD_TIERS[method][1])
            .room(now, horizon) for method in tiered}
        rooms.update({(team, method): bucket.room(now, horizon)
                      for (team, method, scope), bucket in self._buckets.items() if not scope and method in tiered})
        return rooms

    def blocked_for(self, method: str) -> float:
        """Seconds until `method` may be called again after a 429 (0 when it is not blocked)."""
        bucket = self._buckets.get((current_team() or "", method, ""))
        return max(0.0, bucket.blocked_until - self.clock()) if bucket else 0.0


async def _wait(bucket: Bucket | None, clock: Callable[[], float]) -> None:
    if bucket is None:
        return
    wait = bucket.reserve(clock())
    while wait > 0:
        await asyncio.sleep(wait)
        wait = bucket.blocked_until - clock()
        if wait > 0:  # blocked while we slept: queue again behind the block
            wait = bucket.reserve(clock())

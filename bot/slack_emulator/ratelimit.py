"""Slack's per-method rate limits as token buckets, plus the workspace-wide chat.postMessage budget.

Source: https://docs.slack.dev/apis/web-api/rate-limits — limits apply "per API method per app per workspace":
Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min, "sporadic bursts" tolerated; chat.postMessage is
Special: about 1 message per second per channel with short bursts, plus a workspace-wide limit ("several hundred
messages per minute", `RateLimitConfig.post_message_budget_per_minute`). Over a limit Slack answers HTTP 429 with
`Retry-After` (seconds). Each method's tier is on its reference page (docs.slack.dev/reference/methods/<method>).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import RateLimitConfig

# (rate per second, burst) per tier; burst ≈ one minute's quota, as Slack tolerates bursts.
TIERS: dict[int, tuple[float, float]] = {
    1: (1 / 60, 1),
    2: (20 / 60, 20),
    3: (50 / 60, 50),
    4: (100 / 60, 100),
}
POST_MESSAGE_PER_CHANNEL = (1.0, 5.0)  # chat.postMessage reference: "1 per second per channel", short bursts

# Every method Headway (and Bolt, and the Socket Mode client) calls, with the tier its reference page gives.
METHOD_LIMITS: dict[str, tuple[float, float]] = {
    "auth.test": TIERS[4],  # Special, "Tier 4-like" (auth.test reference)
    "apps.connections.open": TIERS[1],  # reference page: Tier 1 (slack_sdk backs off from it as Tier 1 too)
    "chat.postMessage": POST_MESSAGE_PER_CHANNEL,  # Special (per channel + workspace budget)
    "chat.postEphemeral": TIERS[4],
    "chat.update": TIERS[3],
    "chat.delete": TIERS[3],
    "conversations.open": TIERS[3],
    "conversations.info": TIERS[3],
    "conversations.join": TIERS[3],
    # Tier 3 for internal customer-built apps; the May 2025 limit (1/min) is for commercially distributed,
    # non-Marketplace apps only (rate-limits page, "App types and rate limits"), which Headway is not.
    "conversations.history": TIERS[3],
    "conversations.replies": TIERS[3],
    "users.info": TIERS[4],
    "users.list": TIERS[2],
    "users.profile.get": TIERS[4],  # reference page: Tier 4
    "views.open": TIERS[4],
    "views.update": TIERS[4],
    "views.push": TIERS[4],
    "views.publish": TIERS[4],
    "files.getUploadURLExternal": TIERS[4],
    "files.completeUploadExternal": TIERS[4],
    "canvases.create": TIERS[2],  # docs.slack.dev/reference/methods/canvases.create: Tier 2
    "conversations.canvases.create": TIERS[2],  # …/conversations.canvases.create: Tier 2
    "canvases.edit": TIERS[3],  # …/canvases.edit: Tier 3
    "canvases.access.set": TIERS[3],  # …/canvases.access.set: Tier 3
    "canvases.delete": TIERS[3],  # …/canvases.delete: Tier 3
}
DEFAULT_LIMIT = TIERS[3]
PER_CHANNEL_METHODS = {"chat.postMessage"}
WORKSPACE_BUDGET_KEY = ("chat.postMessage", "*workspace*")


@dataclass
class TokenBucket:
    """Classic token bucket: `burst` tokens, refilled at `rate` per second."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Refill; return 0 if a token is available, else seconds until one is."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1 - self.tokens) / self.rate

    def take(self, now: float) -> float:
        """Consume one token; return 0 if allowed, else seconds until one is available."""
        wait = self.wait(now)
        if wait <= 0:
            self.tokens -= 1
        return wait


class RateLimiter:
    """Decides whether a call is allowed and what Retry-After to send."""

    def __init__(self, config: RateLimitConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def limit_for(self, method: str) -> tuple[float, float]:
        rate, burst = self.config.overrides.get(method) or METHOD_LIMITS.get(method, DEFAULT_LIMIT)
        return rate * self.config.scale, burst

    def set_limit(self, method: str, rate_per_second: float, burst: float) -> None:
        """Override one method's bucket at runtime (existing buckets are rebuilt)."""
        self.config.overrides[method] = (rate_per_second, burst)
        with self._lock:
            for key in [k for k in self._buckets if k[0] == method]:
                del self._buckets[key]

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def set_post_budget(self, per_minute: float | None) -> None:
        """The workspace-wide chat.postMessage budget in messages per minute (None: no workspace limit)."""
        self.config.post_message_budget_per_minute = per_minute
        with self._lock:
            self._buckets.pop(WORKSPACE_BUDGET_KEY, None)

    def _bucket(self, key: tuple[str, str], now: float, limit: tuple[float, float]) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            rate, burst = limit
            bucket = self._buckets[key] = TokenBucket(rate=rate, burst=burst, tokens=burst, updated=now)
        return bucket

    def check(self, method: str, channel: str | None = None) -> int | None:
        """Return None if allowed, else the Retry-After seconds (integer ≥ 1).

        A chat.postMessage passes only if both its channel's bucket and the workspace budget have a token; a
        refused call consumes neither (Slack does not count what it refused against the budget).
        """
        if not self.config.enabled:
            return None
        key = (method, channel or "") if method in PER_CHANNEL_METHODS else (method, "")
        now = self.clock()
        with self._lock:
            buckets = [self._bucket(key, now, self.limit_for(method))]
            budget = self.config.post_message_budget_per_minute
            if method == "chat.postMessage" and budget:
                # Burst: a tenth of a minute's budget (Slack tolerates "short bursts", not a minute's worth at once).
                limit = (budget / 60 * self.config.scale, max(1.0, budget / 10))
                buckets.append(self._bucket(WORKSPACE_BUDGET_KEY, now, limit))
            waits = [b.wait(now) for b in buckets]
            wait = max(waits)
            if wait <= 0:
                for bucket in buckets:
                    bucket.tokens -= 1
        if wait <= 0:
            return None
        return max(1, math.ceil(wait)) if math.isfinite(wait) else 60

"""Slack's per-method rate limits as token buckets.

Slack documents tiers per method per workspace (Tier 1 ≈ 1/min … Tier 4 ≈ 100/min,
bursts tolerated) and a special per-channel limit for chat.postMessage (≈ 1/s).
The emulator enforces them so the app's 429/Retry-After handling is exercised.
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
POST_MESSAGE_PER_CHANNEL = (1.0, 5.0)
VIEWS_LIMIT = (10.0, 50.0)  # views.* are trigger-bound, not tiered; stay generous

METHOD_LIMITS: dict[str, tuple[float, float]] = {
    "auth.test": TIERS[4],
    "chat.postMessage": POST_MESSAGE_PER_CHANNEL,
    "chat.postEphemeral": TIERS[4],
    "chat.update": TIERS[3],
    "chat.delete": TIERS[3],
    "conversations.open": TIERS[3],
    "conversations.info": TIERS[3],
    "conversations.history": TIERS[3],
    "conversations.replies": TIERS[3],
    "users.info": TIERS[4],
    "users.list": TIERS[2],
    "views.open": VIEWS_LIMIT,
    "views.update": VIEWS_LIMIT,
    "views.push": VIEWS_LIMIT,
    "views.publish": TIERS[4],
    "files.getUploadURLExternal": TIERS[4],
    "files.completeUploadExternal": TIERS[4],
}
DEFAULT_LIMIT = TIERS[3]
PER_CHANNEL_METHODS = {"chat.postMessage"}


@dataclass
class TokenBucket:
    """Classic token bucket: `burst` tokens, refilled at `rate` per second."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Consume one token; return 0 if allowed, else seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1 - self.tokens) / self.rate


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

    def check(self, method: str, channel: str | None = None) -> int | None:
        """Return None if allowed, else the Retry-After seconds (integer ≥ 1)."""
        if not self.config.enabled:
            return None
        key = (method, channel or "") if method in PER_CHANNEL_METHODS else (method, "")
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                rate, burst = self.limit_for(method)
                bucket = TokenBucket(rate=rate, burst=burst, tokens=burst, updated=now)
                self._buckets[key] = bucket
            wait = bucket.take(now)
        if wait <= 0:
            return None
        return max(1, math.ceil(wait)) if math.isfinite(wait) else 60

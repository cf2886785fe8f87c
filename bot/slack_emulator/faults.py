"""Fault injection: make Slack fail the way it does in production.

Queued faults (`fail_next`, `slow_next`) give deterministic tests; a seeded
random fault rate drives chaos runs and benchmarks. Failures (5xx, Slack error
strings, 429) replace the answer; delays happen after the call took effect,
which is how a client timeout can still leave a posted message behind.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """A replacement answer for one call."""

    status: int = 500
    error: str | None = None
    retry_after: int = 1
    extra: dict[str, Any] = field(default_factory=dict)  # more answer fields, e.g. needed/provided

    @property
    def label(self) -> str:
        if self.status == 429:
            return "ratelimited"
        if self.status != 200:
            return f"http_{self.status}"
        return f"error:{self.error}"


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random


class FaultInjector:
    """Holds queued and random faults, keyed by method (None = any method)."""

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self._fail: dict[str | None, deque[Fault]] = {}
        self._slow: dict[str | None, deque[float]] = {}
        self._random: dict[str | None, _RandomFaults] = {}

    def fail_next(
        self,
        method: str | None,
        *,
        status: int | None = None,
        error: str | None = None,
        count: int = 1,
        retry_after: int = 1,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Queue `count` failures: an HTTP status (5xx, 429) or a Slack `ok: false` error (with `extra` fields)."""
        if status is None:
            status = 200 if error else 500
        fault = Fault(
            status=status,
            error=error or ("ratelimited" if status == 429 else None),
            retry_after=retry_after,
            extra=dict(extra or {}),
        )
        with self._lock:
            self._fail.setdefault(method, deque()).extend([fault] * count)

    def slow_next(self, method: str | None, *, seconds: float, count: int = 1) -> None:
        """Queue `count` delays applied before the answer is sent."""
        with self._lock:
            self._slow.setdefault(method, deque()).extend([seconds] * count)

    def set_fault_rate(
        self,
        method: str | None,
        rate: float,
        kinds: Iterable[str] = ("500", "timeout", "429"),
        seed: int | None = None,
    ) -> None:
        """Fail a share `rate` of calls with one of `kinds` ("500", "503", "429", "timeout", or a Slack error)."""
        with self._lock:
            if rate <= 0:
                self._random.pop(method, None)
            else:
                self._random[method] = _RandomFaults(rate=rate, kinds=tuple(kinds), rng=random.Random(seed))

    def _pop(self, queues: dict, method: str) -> object | None:
        for key in (method, None):
            queue = queues.get(key)
            if queue:
                return queue.popleft()
        return None

    def draw(self, method: str) -> tuple[Fault | None, float, str | None]:
        """Decide this call's fate: (failure or None, delay seconds, delay label)."""
        with self._lock:
            failure = self._pop(self._fail, method)
            delay = self._pop(self._slow, method)
            label = f"slow:{delay}" if delay is not None else None
            spec = self._random.get(method) or self._random.get(None)
            if failure is None and delay is None and spec is not None and spec.rng.random() < spec.rate:
                kind = spec.rng.choice(spec.kinds)
                if kind in ("timeout", "slow"):
                    delay, label = self.timeout_seconds, "timeout"
                elif kind.isdigit():
                    failure = Fault(status=int(kind), error="ratelimited" if kind == "429" else None)
                else:
                    failure = Fault(status=200, error=kind)
        return failure, float(delay or 0.0), label  # type: ignore[arg-type]

"""The pacer keeps each of Slack's limits at the moments calls really go out, not only when they were booked."""

from __future__ import annotations

import asyncio
import time

from bot.delivery.pacing import PER_CHANNEL, Pacer


def most_in_any_window(times: list[float], rate: float) -> float:
    """The largest excess of calls over `rate` in any window: ≤ burst means a token bucket let every one pass."""
    return max(j - i + 1 - (times[j] - times[i]) * rate for i in range(len(times)) for j in range(i, len(times)))


async def test_posts_to_one_channel_keep_its_pace_while_the_workspace_budget_makes_them_wait():
    """A fan-out has booked the workspace's budget ahead; eight posts to one channel (the DM fallbacks of a rush,
    all to one person) wait for both. Each goes at its channel's pace: booked ahead of the budget's wait, they
    went out bunched together once their budget slots came, and Slack's per-channel limit answered 429."""
    scale = 10.0  # every rate ×10 (a channel: 10 posts a second, bursts of 3), so the test takes a second
    pacer = Pacer(message_rate=5.0, message_burst=20.0, scale=scale)
    went: dict[str, list[float]] = {}

    async def post(channel: str) -> None:
        await pacer.acquire("chat.postMessage", channel)
        went.setdefault(channel, []).append(time.monotonic())

    fan_out = [post(f"D{i:03d}") for i in range(40)]  # 20 at once, then the budget's 50 a second
    await asyncio.gather(*fan_out, *(post("DONEPERSON") for _ in range(8)))

    rate, burst = PER_CHANNEL
    assert len(went["DONEPERSON"]) == 8
    assert most_in_any_window(went["DONEPERSON"], rate * scale) <= burst + 0.5  # 0.5: the timer's jitter
    everything = sorted(t for times in went.values() for t in times)
    assert most_in_any_window(everything, 5.0 * scale) <= 20 + 0.5

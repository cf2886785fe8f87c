"""Slack's tiers for every method Headway calls, and the workspace-wide chat.postMessage budget (429 + Retry-After)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import RateLimitConfig, SlackEmulator
from bot.slack_emulator.contract import DOC_ERRORS, SPEC_ERRORS
from bot.slack_emulator.ratelimit import METHOD_LIMITS, TIERS, RateLimiter

from .conftest import make_config


def test_every_method_headway_calls_has_its_tier() -> None:
    assert set(SPEC_ERRORS) | set(DOC_ERRORS) <= set(METHOD_LIMITS)
    assert METHOD_LIMITS["users.info"] == TIERS[4] and METHOD_LIMITS["conversations.history"] == TIERS[3]
    assert METHOD_LIMITS["apps.connections.open"] == TIERS[1] and METHOD_LIMITS["views.open"] == TIERS[4]


def test_workspace_budget_spans_channels() -> None:
    now = [0.0]
    limiter = RateLimiter(RateLimitConfig(post_message_budget_per_minute=60), clock=lambda: now[0])
    allowed = [limiter.check("chat.postMessage", f"D{i}") for i in range(6)]
    assert allowed == [None] * 6  # a burst of a tenth of the minute's budget, each to its own DM
    assert limiter.check("chat.postMessage", "D99") == 1  # a seventh DM waits for the workspace budget
    now[0] = 1.0
    assert limiter.check("chat.postMessage", "D99") is None  # 60/min refills one a second
    assert limiter.check("users.info") is None  # other methods have their own tier


def test_refused_posts_do_not_spend_the_budget() -> None:
    now = [0.0]
    limiter = RateLimiter(RateLimitConfig(post_message_budget_per_minute=600), clock=lambda: now[0])
    for _ in range(5):
        assert limiter.check("chat.postMessage", "C1") is None
    for _ in range(10):  # the channel's own limit (1/s, burst 5) refuses these
        assert limiter.check("chat.postMessage", "C1") == 1
    assert [limiter.check("chat.postMessage", f"D{i}") for i in range(55)] == [None] * 55  # 60 - 5 spent


async def test_budget_answers_429_with_retry_after_over_http() -> None:
    config = make_config(rate_limits=RateLimitConfig(post_message_budget_per_minute=6))  # burst 1, one per 10 s
    async with SlackEmulator(config) as emu:
        client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, retry_handlers=[])
        await client.chat_postMessage(channel="U0ALICE", text="hi")
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="C0GENERAL", text="one too many")
        assert info.value.response.status_code == 429 and info.value.response["error"] == "ratelimited"
        assert int(info.value.response.headers["Retry-After"]) >= 1
        emu.set_post_budget(None)
        await client.chat_postMessage(channel="C0GENERAL", text="budget lifted")


async def test_users_info_is_tier_4() -> None:
    async with SlackEmulator(make_config(rate_limits=RateLimitConfig())) as emu:
        client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, retry_handlers=[])
        answered = 0
        with pytest.raises(SlackApiError) as info:
            while answered < 200:
                await client.users_info(user="U0ALICE")
                answered += 1
        assert info.value.response.status_code == 429
        assert 100 <= answered < 200  # a minute's quota (100+) as a burst, refilled at 100/min

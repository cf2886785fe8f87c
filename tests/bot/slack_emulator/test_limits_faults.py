"""Rate limits (429 + Retry-After), fault injection and the HTTP control surface."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import RateLimitConfig, SlackEmulator
from bot.slack_emulator.ratelimit import RateLimiter

from .conftest import make_config


async def test_post_message_rate_limited_per_channel() -> None:
    limits = RateLimitConfig(enabled=True, overrides={"chat.postMessage": (0.5, 2)})
    async with SlackEmulator(make_config(rate_limits=limits)) as emu:
        client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url, retry_handlers=[])
        for _ in range(2):
            await client.chat_postMessage(channel="C0GENERAL", text="burst")
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="C0GENERAL", text="one too many")
        response = info.value.response
        assert response.status_code == 429 and response["error"] == "ratelimited"
        assert int(response.headers["Retry-After"]) >= 1
        # another channel has its own bucket; users.info is unaffected
        await client.chat_postMessage(channel="U0ALICE", text="dm is fine")
        await client.users_info(user="U0ALICE")
        assert [c.status for c in emu.calls_to("chat.postMessage")] == [200, 200, 429, 200]
        assert emu.calls_to("chat.postMessage")[2].fault == "ratelimited"
        assert len(emu.messages("C0GENERAL")) == 2
        emu.set_rate_limits_enabled(False)
        await client.chat_postMessage(channel="C0GENERAL", text="limits off")


def test_token_bucket_refills_and_scale() -> None:
    now = [0.0]
    limiter = RateLimiter(RateLimitConfig(overrides={"users.list": (1.0, 2)}), clock=lambda: now[0])
    assert limiter.check("users.list") is None and limiter.check("users.list") is None
    assert limiter.check("users.list") == 1
    now[0] = 1.0
    assert limiter.check("users.list") is None
    slow = RateLimiter(RateLimitConfig(overrides={"users.list": (0.1, 1)}), clock=lambda: now[0])
    slow.check("users.list")
    assert slow.check("users.list") == 10
    fast = RateLimiter(RateLimitConfig(scale=10, overrides={"users.list": (0.1, 1)}), clock=lambda: now[0])
    fast.check("users.list")
    assert fast.check("users.list") == 1


async def test_fail_next_http_status_and_slack_error(emu: SlackEmulator, client: AsyncWebClient) -> None:
    emu.fail_next("chat.postMessage", status=500, count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel="C0GENERAL", text="x")
        assert info.value.response.status_code == 500
    await client.chat_postMessage(channel="C0GENERAL", text="third works")
    emu.fail_next("views.open", error="expired_trigger_id")
    with pytest.raises(SlackApiError) as info:
        await client.views_open(trigger_id=emu.issue_trigger("U0ALICE"), view={})
    assert info.value.response.status_code == 200 and info.value.response["error"] == "expired_trigger_id"
    emu.fail_next(None, status=429, retry_after=7)
    with pytest.raises(SlackApiError) as info:
        await client.auth_test()
    assert info.value.response.headers["Retry-After"] == "7"
    assert [c.fault for c in emu.calls] == ["http_500", "http_500", None, "error:expired_trigger_id", "ratelimited"]
    assert [m["text"] for m in emu.messages("C0GENERAL")] == ["third works"]


async def test_slow_next_causes_client_timeout_but_message_lands(emu: SlackEmulator) -> None:
    emu.slow_next("chat.postMessage", seconds=1.0)
    client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url, timeout=0.2, retry_handlers=[])
    with pytest.raises(asyncio.TimeoutError):
        await client.chat_postMessage(channel="C0GENERAL", text="slow")
    assert [m["text"] for m in emu.messages("C0GENERAL")] == ["slow"]  # Slack may act on a timed-out call
    assert emu.calls_to("chat.postMessage")[0].fault == "slow:1.0"
    await client.chat_postMessage(channel="C0GENERAL", text="fast again")


async def test_random_fault_rate_is_seeded(emu: SlackEmulator, client: AsyncWebClient) -> None:
    async def run() -> list[str | None]:
        emu.reset()
        emu.set_fault_rate("users.info", rate=0.5, kinds=("500", "503", "internal_error"), seed=42)
        for _ in range(20):
            with contextlib.suppress(SlackApiError):
                await client.users_info(user="U0ALICE")
        return [c.fault for c in emu.calls]

    first, second = await run(), await run()
    assert first == second and 3 < sum(f is not None for f in first) < 17
    assert {f for f in first if f} <= {"http_500", "http_503", "error:internal_error"}
    emu.set_fault_rate("users.info", rate=0)
    await client.users_info(user="U0ALICE")


async def test_http_control_surface(emu: SlackEmulator, client: AsyncWebClient) -> None:
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        await client.chat_postMessage(channel="C0GENERAL", text="hello")
        calls = (await http.get("/_emulator/calls", params={"method": "chat.postMessage"})).json()["calls"]
        assert calls[0]["params"]["text"] == "hello" and calls[0]["status"] == 200
        messages = (await http.get("/_emulator/messages", params={"channel": "C0GENERAL"})).json()["messages"]
        assert messages[0]["text"] == "hello"
        faults = [
            {"op": "fail_next", "method": "chat.postMessage", "status": 503},
            {"op": "slow_next", "method": "users.info", "seconds": 0.01},
        ]
        assert (await http.post("/_emulator/faults", json=faults)).json() == {"ok": True}
        with pytest.raises(SlackApiError):
            await client.chat_postMessage(channel="C0GENERAL", text="fails")
        await client.users_info(user="U0ALICE")
        assert emu.calls[-1].fault == "slow:0.01"
        assert (await http.post("/_emulator/faults", json={"op": "bogus"})).status_code == 400
        rpc = await http.post("/_emulator/rpc", json={"op": "issue_trigger", "args": {"user_id": "U0BOB"}})
        assert rpc.json()["result"] in emu.state.triggers
        assert (await http.post("/_emulator/rpc", json={"op": "state"})).status_code == 400
        await http.post("/_emulator/reset")
        assert emu.calls == [] and emu.messages("C0GENERAL") == [] and "U0ALICE" in emu.users

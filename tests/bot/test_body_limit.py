"""One body limit for every route, before anything reads the body (bot/body_limit.py): a declared length over the
route's maximum is 413 unread, a streamed body is answered 413 as soon as it passes it, and the API routes refuse a
bad token before reading a byte of the body."""

from __future__ import annotations

import itertools

import httpx
import pytest

from bot.body_limit import LIMITS, limit_for
from tests.bot.raw_http import post_half, post_streaming
from tests.bot.test_api import new_token
from tests.handlers.test_projects import create, make_pm

MIB = 1024 * 1024
ROUTES = [("POST", "/slack/events"), ("POST", "/api/v1/alertmanager"),
          ("POST", "/api/v1/projects/FRAUD/measurements"), ("GET", "/healthz"), ("GET", "/metrics"),
          ("GET", "/api/v1/openapi.json"), ("POST", "/no/such/route")]


def chunks(total: int, size: int = 256 * 1024):
    return itertools.repeat(b"x" * size, total // size)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_declared_length_over_the_routes_limit_is_413_unread(headway, method, path):
    limit = limit_for("headway", path).max_bytes
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.request(method, headway.url + path, content=b"y" * (limit + 1),
                                      headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "too_large" and response.json()["limit_bytes"] == limit


@pytest.fixture
async def token(slack, emulator) -> str:
    await make_pm(slack)
    await create(slack, emulator)
    return await new_token(slack)


@pytest.mark.parametrize("path", ["/api/v1/alertmanager", "/api/v1/projects/FRAUD/measurements", "/slack/events"])
@pytest.mark.parametrize("credentials", ["a live token", "any bearer token"])
async def test_a_huge_streamed_body_is_answered_before_it_is_all_sent(headway, token, path, credentials):
    """64 MB chunked: the answer (413 with a live token, 401 without) arrives once the limit is passed or the
    token refused, while the client is still sending — the server never waited for (or kept) the rest.
    (Before: Alertmanager read the whole body first, whatever `Bearer x` it came with.)"""
    bearer = token if credentials == "a live token" else "x"
    answer = await post_streaming(headway.url, path, chunks(64 * MIB),
                                  {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"})
    assert answer.status == (413 if credentials == "a live token" or path == "/slack/events" else 401)
    assert answer.sent_before_answer < 16 * MIB, answer.sent_before_answer


@pytest.mark.parametrize("path", ["/api/v1/alertmanager", "/api/v1/projects/FRAUD/measurements"])
@pytest.mark.parametrize("authorization", ["Bearer hwp_not-a-token", "Bearer x", None])
async def test_the_api_refuses_a_bad_token_before_reading_the_body(headway, path, authorization):
    """Half a body, never finished: only a server that checks the token first can answer at all."""
    answer = await post_half(headway.url, path, {"Authorization": authorization} if authorization else {})
    assert answer.status == 401


def test_every_server_has_a_limit_for_every_path():
    for server in ("headway", "emulator"):
        assert limit_for(server, "/anything").path == "/"
    assert all(limit.why for limit in LIMITS)

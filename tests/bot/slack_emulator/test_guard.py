"""The playground and the emulator's control routes refuse what a foreign web page could make a browser send: a
foreign Origin or Sec-Fetch-Site (CSRF), a foreign Host (DNS rebinding), a non-JSON write, a WebSocket from
another origin — 403/415 before anything happens. Headway's own clients and the page itself still get in."""

from __future__ import annotations

import httpx
import pytest
from aiohttp import ClientSession, WSServerHandshakeError

from bot.demo.cast import ADA, CHANNEL, PRIYA
from bot.demo.playground import Running

EVIL = "http://evil.example"
WRITES = [  # every state-changing route of the page, and the emulator's control routes
    ("/playground/api/compose", {"as": ADA.id, "channel": CHANNEL.id, "text": f"/headway role <@{PRIYA.id}> admin"}),
    ("/playground/api/action", {"as": ADA.id, "action_id": "x"}),
    ("/playground/api/submit", {"as": ADA.id, "view_id": "V0"}),
    ("/playground/api/close", {"as": ADA.id, "view_id": "V0"}),
    ("/playground/api/home", {"as": ADA.id}),
    ("/playground/api/clock", {"op": "next_tick"}),
    ("/_emulator/reset", {}),
    ("/_emulator/faults", {"op": "clear"}),
    ("/_emulator/rpc", {"op": "reset"}),
    ("/_emulator/socket/deliver", {"kind": "slash_command", "payload": {}}),
]
READS = ["/playground/api/workspace", "/_emulator/calls", "/_emulator/views"]




def seen(playground: Running) -> tuple[int, ...]:
    """Anything a request could have changed in the workspace (calls, messages, answers, views, clock ticks)."""
    return playground.hub.version()


async def test_the_reported_attack_is_refused_and_changes_nothing(playground):
    """A text/plain POST from a foreign page, through a rebound name: it ran `/headway role … admin` before."""
    before = seen(playground)
    async with httpx.AsyncClient(base_url=playground.emulator.base_url) as http:
        attack = await http.post("/playground/api/compose", content=WRITES[0][1].__repr__(), headers={
            "Content-Type": "text/plain", "Origin": EVIL, "Host": f"evil.example:{playground.emulator.port}"})
        wipe = await http.post("/_emulator/reset", headers={"Content-Type": "text/plain", "Origin": EVIL})
    assert (attack.status_code, wipe.status_code) == (403, 403)
    assert seen(playground) == before


@pytest.mark.parametrize("refused", ["foreign Origin", "foreign Host", "cross-site fetch", "same-site fetch",
                                     "Origin without a port"])
async def test_every_write_from_elsewhere_is_403_and_changes_nothing(playground, refused):
    port = playground.emulator.port
    headers = {"foreign Origin": {"Origin": EVIL}, "foreign Host": {"Host": f"evil.example:{port}"},
               "cross-site fetch": {"Sec-Fetch-Site": "cross-site"}, "same-site fetch": {"Sec-Fetch-Site": "same-site"},
               "Origin without a port": {"Origin": "http://127.0.0.1"}}[refused]
    before = seen(playground)
    async with httpx.AsyncClient(base_url=playground.emulator.base_url) as http:
        for path, body in WRITES:
            response = await http.post(path, json=body, headers=headers)
            assert response.status_code == 403, (path, response.text)
        for path in READS:
            assert (await http.get(path, params={"as": ADA.id}, headers=headers)).status_code == 403, path
    assert seen(playground) == before


@pytest.mark.parametrize("host", ["127.0.0.1:1", "localhost", "attacker.example", "127.0.0.1.nip.io:{port}",
                                  "[::2]:{port}", ""])
async def test_only_loopback_names_with_the_servers_own_port_are_answered(playground, host):
    async with httpx.AsyncClient(base_url=playground.emulator.base_url) as http:
        page = await http.get("/playground/", headers={"Host": host.format(port=playground.emulator.port)})
        api = await http.post("/api/auth.test", headers={"Host": host.format(port=playground.emulator.port)})
    assert (page.status_code, api.status_code) == (403, 403)


async def test_the_page_writes_json_only(playground):
    async with httpx.AsyncClient(base_url=playground.emulator.base_url) as http:
        for path, body in WRITES[:6]:
            for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
                response = await http.post(path, content=repr(body), headers={"Content-Type": kind})
                assert response.status_code == 415, (path, kind)


async def test_the_page_itself_and_headways_own_clients_get_in(playground):
    """What the page sends (same-origin fetches, under either loopback name) and what the driver and slack_sdk send
    (no Origin at all) are answered."""
    port = playground.emulator.port
    async with httpx.AsyncClient(base_url=playground.emulator.base_url) as http:
        for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
            host = origin.removeprefix("http://")
            sent = await http.post("/playground/api/compose", json={"as": ADA.id, "channel": CHANNEL.id,
                                                                    "text": "/headway help"},
                                   headers={"Origin": origin, "Host": host, "Sec-Fetch-Site": "same-origin"})
            assert sent.status_code == 200 and sent.json()["ok"], sent.text
            read = await http.get("/playground/api/workspace", params={"as": ADA.id},
                                  headers={"Host": host, "Sec-Fetch-Site": "same-origin"})
            assert read.status_code == 200
        navigation = await http.get("/playground/", headers={"Sec-Fetch-Site": "cross-site"})  # a link to it
        assert navigation.status_code == 200
        assert (await http.post("/_emulator/rpc", json={"op": "user_names"})).json()["ok"]
        assert (await http.post("/api/auth.test", data={"token": playground.emulator.config.bot_token})).json()["ok"]


@pytest.mark.parametrize("path", ["/playground/ws", "/_emulator/socket?ticket=x"])
async def test_a_websocket_from_another_origin_is_refused(playground, path):
    url = playground.emulator.base_url.replace("http", "ws") + path
    async with ClientSession() as session:
        with pytest.raises(WSServerHandshakeError) as refused:
            await session.ws_connect(url, origin=EVIL)
        assert refused.value.status == 403
        if path == "/playground/ws":
            async with session.ws_connect(url, origin=playground.emulator.base_url) as socket:
                assert (await socket.receive_json(timeout=5))["type"] == "changed"


async def test_a_body_over_the_routes_limit_is_413_before_it_is_read(playground):
    async def endless():
        for _ in range(64):
            yield b"x" * 65536

    async with httpx.AsyncClient(base_url=playground.emulator.base_url, timeout=10) as http:
        declared = await http.post("/playground/api/compose", content=b"x" * 300_000,
                                   headers={"Content-Type": "application/json"})
        streamed = await http.post("/playground/api/compose", content=endless(),
                                   headers={"Content-Type": "application/json"})
        control = await http.post("/_emulator/rpc", content=endless(), headers={"Content-Type": "application/json"})
    assert (declared.status_code, streamed.status_code, control.status_code) == (413, 413, 413)

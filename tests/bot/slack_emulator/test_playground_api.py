"""The playground's JSON + WebSocket API, over real HTTP, with Headway answering (no browser needed).

What the page shows is read from the emulator for one person (sidebar, unread marks, private answers, modals);
what the page does reaches Headway as Slack would send it (signed slash commands, view submissions, events).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiohttp import ClientSession, WSMsgType

from bot.demo.cast import ADA, CHANNEL, ELENA, KENJI, PRIYA
from bot.demo.playground import Running


@pytest.fixture
async def page(playground: Running) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=playground.emulator.base_url + "/playground", timeout=20) as client:
        yield client


async def until(check, timeout: float = 5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := await check()):
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.05)
    return found


async def test_the_page_and_its_scripts_are_served_without_any_cdn(page: httpx.AsyncClient) -> None:
    html = (await page.get("/")).text
    assert "<select id=\"acting-as\"" in html
    for script in ("mrkdwn.js", "blocks.js", "modal.js", "app.js", "style.css"):
        assert f"/playground/static/{script}" in html
        assert (await page.get(f"/static/{script}")).status_code == 200
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # nothing fetched from elsewhere


async def test_the_workspace_lists_the_cast_with_roles_and_zones_and_the_apps_dm(page: httpx.AsyncClient) -> None:
    data = (await page.get("/api/workspace", params={"as": PRIYA.id})).json()
    people = {p["id"]: p for p in data["people"]}
    assert set(people) == {ADA.id, PRIYA.id, ELENA.id, KENJI.id, "U0LUCAS01"}  # no bots, no Slackbot
    assert people[ELENA.id]["tz"] == "Europe/Madrid" and people[ELENA.id]["note"] == "executive, business owner"
    assert {c["name"] for c in data["channels"]} == {"general", "ml-projects"}
    assert data["dms"][0]["name"] == "Headway" and data["dms"][0]["id"] == "D" + PRIYA.id[1:]
    assert data["clock"]["ops"][2]["label"].startswith("Monday 08:30")


async def test_a_slash_command_answer_is_only_visible_to_whoever_typed_it(page: httpx.AsyncClient) -> None:
    sent = (await page.post("/api/compose", json={"as": ADA.id, "channel": CHANNEL.id, "text": "/headway help"}))
    assert sent.json()["ok"], sent.text

    async def adas_answer():
        messages = (await page.get("/api/conversation", params={"as": ADA.id, "channel": CHANNEL.id})).json()
        return [m for m in messages["messages"] if m.get("ephemeral")]
    answer = (await until(adas_answer))[-1]
    assert "/headway" in json.dumps(answer["blocks"] or answer["text"])
    priya = (await page.get("/api/conversation", params={"as": PRIYA.id, "channel": CHANNEL.id})).json()
    assert not [m for m in priya["messages"] if m.get("ephemeral")]


async def test_unread_marks_count_what_others_wrote_until_it_is_read(page: httpx.AsyncClient) -> None:
    await page.post("/api/compose", json={"as": KENJI.id, "channel": "C0GENERAL", "text": "Morning *all* :wave:"})

    def unread(data: dict) -> int:
        return next(c["unread"] for c in data["channels"] if c["name"] == "general")
    assert unread((await page.get("/api/workspace", params={"as": PRIYA.id})).json()) == 1
    assert unread((await page.get("/api/workspace", params={"as": KENJI.id})).json()) == 0  # his own
    read = (await page.get("/api/conversation", params={"as": PRIYA.id, "channel": "C0GENERAL"})).json()
    assert read["messages"][-1]["text"] == "Morning *all* :wave:" and read["name"] == "#general"
    assert unread((await page.get("/api/workspace", params={"as": PRIYA.id})).json()) == 0


async def test_a_modal_opens_shows_headways_inline_errors_and_closes(page: httpx.AsyncClient) -> None:
    await page.post("/api/compose", json={"as": ADA.id, "channel": CHANNEL.id,
                                           "text": f"/headway role {PRIYA.mention()} pm"})
    await until(lambda: _said(page, ADA.id, "is now"))
    await page.post("/api/compose", json={"as": PRIYA.id, "channel": CHANNEL.id, "text": "/headway project new"})

    async def form():
        modal = (await page.get("/api/views", params={"as": PRIYA.id})).json()["modal"]
        return modal if modal and modal.get("callback_id") else None
    modal = await until(form)
    values = {"key": {"key": "!"}, "name": {"name": "Voice"}, "metric_name": {"metric_name": "accuracy"},
              "target": {"target": "0.9"}, "expected_date": {"expected_date": "2030-01-31"}}
    values = {block: {_action(modal, block): value[block]} for block, value in values.items()}
    answer = (await page.post("/api/submit", json={"as": PRIYA.id, "view_id": modal["id"], "values": values})).json()
    assert answer["ok"] and "key" in answer["errors"]  # `response_action: errors`, for the page to show inline
    still = (await page.get("/api/views", params={"as": PRIYA.id})).json()
    assert still["modal"]["id"] == modal["id"] and still["modal"]["remembered"]["name"]  # what she typed is kept
    closed = (await page.post("/api/close", json={"as": PRIYA.id, "view_id": modal["id"]})).json()
    assert closed["ok"]
    assert (await page.get("/api/views", params={"as": PRIYA.id})).json()["modal"] is None


async def _said(page: httpx.AsyncClient, user: str, text: str) -> bool:
    data = (await page.get("/api/conversation", params={"as": user, "channel": CHANNEL.id})).json()
    return any(text in json.dumps(m) for m in data["messages"] if m.get("ephemeral"))


def _action(modal: dict, block_id: str) -> str:
    return next(b["element"]["action_id"] for b in modal["blocks"] if b.get("block_id") == block_id)


async def test_the_app_home_is_published_when_opened(page: httpx.AsyncClient) -> None:
    assert (await page.post("/api/home", json={"as": ELENA.id})).json()["ok"]

    async def home():
        return (await page.get("/api/views", params={"as": ELENA.id})).json()["home"]
    assert (await until(home))["type"] == "home"


async def test_the_clock_jumps_to_monday_0830_in_elenas_zone(page: httpx.AsyncClient) -> None:
    moved = (await page.post("/api/clock", json={"op": "monday"})).json()
    local = datetime.fromisoformat(moved["clock"]["now"]).astimezone(ZoneInfo(ELENA.user.tz))
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 30)
    assert datetime.fromisoformat(moved["clock"]["now"]) > datetime.now(UTC)
    quiet = (await page.post("/api/clock", json={"op": "tick"})).json()  # nothing scheduled: one minute passes
    assert quiet["did"] == {} and quiet["clock"]["now"].startswith(local.date().isoformat())
    assert datetime.fromisoformat(quiet["clock"]["now"]).astimezone(ZoneInfo(ELENA.user.tz)).minute == 31
    moved = quiet
    later = (await page.post("/api/clock", json={"op": "hour"})).json()
    assert datetime.fromisoformat(later["clock"]["now"]) - datetime.fromisoformat(moved["clock"]["now"]) \
        == (datetime(2000, 1, 1, 1) - datetime(2000, 1, 1))


async def test_bad_requests_get_a_4xx_that_names_the_problem(page: httpx.AsyncClient, playground: Running) -> None:
    assert (await page.post("/api/compose", json={"as": "U0NOBODY1", "channel": CHANNEL.id, "text": "hi"})
            ).status_code == 400
    assert (await page.post("/api/compose", content=b"{not json", headers={"Content-Type": "application/json"})
            ).status_code == 400
    assert (await page.post("/api/compose", json={"as": PRIYA.id, "channel": CHANNEL.id})).status_code == 400
    clicked = await page.post("/api/action", json={"as": PRIYA.id, "action_id": "nope", "channel": CHANNEL.id,
                                                   "ts": "1.000001"})
    assert clicked.status_code == 400 and "not found" in clicked.json()["error"]
    assert (await page.post("/api/clock", json={"op": "yesterday"})).json()["error"].startswith("op must be")
    assert (await page.get("/api/thread", params={"as": PRIYA.id, "channel": CHANNEL.id, "ts": "1.0"})
            ).status_code == 404
    assert (await page.get("/api/conversation", params={"as": PRIYA.id, "channel": "C0NOWHERE"})).status_code == 404
    assert (await page.post("/api/compose", content=b"x" * 300_000)).status_code == 413
    assert playground.server.url  # Headway itself was never bothered by any of these


async def test_files_are_served_as_the_images_they_are(page: httpx.AsyncClient, playground: Running) -> None:
    playground.emulator.state.files["F0CHART01"] = {"uploaded": True, "data": b"\x89PNG\r\n\x1a\n...."}
    chart = await page.get("/files/F0CHART01")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert (await page.get("/files/F0MISSING")).status_code == 404
    playground.emulator.state.files["F0REPORT1"] = {"uploaded": True, "name": "q3.md", "data": "# Q3 · é".encode()}
    report = await page.get("/files/F0REPORT1")
    assert report.headers["content-type"].startswith("text/plain") and report.text == "# Q3 · é"


async def test_a_channels_canvases_are_listed_and_open(page: httpx.AsyncClient, playground: Running) -> None:
    state = playground.emulator.state
    state.canvases["F0CANVAS1"] = {"id": "F0CANVAS1", "title": "FRAUD · Fraud detection", "markdown": "**On track**",
                                   "channel_id": None, "access": {"C0GENERAL": "read"}}
    shown = (await page.get("/api/conversation", params={"as": KENJI.id, "channel": "C0GENERAL"})).json()
    assert shown["canvases"] == [{"id": "F0CANVAS1", "title": "FRAUD · Fraud detection"}]
    opened = await page.get("/canvases/F0CANVAS1")
    assert opened.text == "# FRAUD · Fraud detection\n\n**On track**"
    assert (await page.get("/canvases/F0NOPE")).status_code == 404


async def test_the_feed_says_when_something_changed(page: httpx.AsyncClient, playground: Running) -> None:
    async with ClientSession() as session, session.ws_connect(playground.emulator.base_url + "/playground/ws") as ws:
        first = await ws.receive(timeout=5)
        assert first.type == WSMsgType.TEXT and json.loads(first.data)["type"] == "changed"
        await page.post("/api/compose", json={"as": KENJI.id, "channel": "C0GENERAL", "text": "hello"})
        again = await ws.receive(timeout=5)
        assert json.loads(again.data)["version"] != json.loads(first.data)["version"]


async def test_a_workflow_runs_headways_custom_step_and_shows_its_outcome(page: httpx.AsyncClient) -> None:
    await page.post("/api/compose", json={"as": PRIYA.id, "channel": CHANNEL.id, "text": "/workflow"})
    assert await until(lambda: _said(page, PRIYA.id, "`log_result` (Log a result)"))
    sent = await page.post("/api/compose", json={"as": PRIYA.id, "channel": CHANNEL.id,
                                                  "text": "/workflow log_result project=NOPE value=0.8"})
    assert sent.json()["ok"], sent.text
    assert await until(lambda: _said(page, PRIYA.id, "failed: There is no project with the key NOPE."))


async def test_a_person_sets_their_slack_status_and_the_app_hears_of_it(page: httpx.AsyncClient,
                                                                          playground: Running) -> None:
    answer = await page.post("/api/status", json={"as": KENJI.id, "emoji": ":palm_tree:", "text": "On vacation"})
    assert answer.status_code == 200 and answer.json()["profile"]["status_emoji"] == ":palm_tree:"
    assert playground.emulator.users[KENJI.id].status_text == "On vacation"
    await playground.emulator.flush_app_events()
    assert [e["status"] for e in playground.emulator.app_events() if e["type"] == "user_change"] == [200]
    assert (await page.post("/api/status", json={"as": KENJI.id, "emoji": "palm_tree"})).status_code == 400
    assert (await page.post("/api/status", json={"as": "U0NOBODY1", "text": "x"})).status_code == 400


async def test_add_to_slack_installs_headway_in_the_second_workspace_which_it_then_serves_with_its_own_token(
        page: httpx.AsyncClient, playground: Running) -> None:
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    from bot.demo.cast import NOOR, SECOND_TEAM_ID, TEAM_ID

    second = playground.emulator.workspace(SECOND_TEAM_ID)
    data = (await page.get("/api/workspace")).json()
    assert [(w["id"], w["installed"]) for w in data["workspaces"]] == [(TEAM_ID, True), (SECOND_TEAM_ID, False)]
    theirs = (await page.get("/api/workspace", params={"team": SECOND_TEAM_ID})).json()
    assert theirs["team"] == {"id": SECOND_TEAM_ID, "name": "Borealis Bio", "installed": False}
    assert [p["id"] for p in theirs["people"]][0] == NOOR.id and ADA.id not in theirs["users"]
    assert (await page.get("/api/workspace", params={"team": "T0NOWHERE"})).status_code == 404
    asked = await page.post("/api/compose", params={"team": SECOND_TEAM_ID},
                            json={"as": NOOR.id, "channel": "C0BOREAL1", "text": "/headway help"})
    assert "/headway project" not in asked.text  # not installed there: Headway has no token for it
    assert not [c for c in second.calls if c.ok]

    async with httpx.AsyncClient(timeout=20) as browser:  # the visitor's browser, from the page's button
        install = await browser.get(data["install_url"])
        assert install.status_code == 200 and "Add to Slack" in install.text
        # Bolt's state cookie is `Secure`; this browser keeps it as one on a loopback page would
        name, _, value = install.headers["set-cookie"].split(";")[0].partition("=")
        browser.cookies.set(name, value)
        authorize = unescape(re.search(r"href='([^']+)'", install.text).group(1))
        assert authorize.startswith(playground.emulator.base_url + "/oauth/v2/authorize")
        form = await browser.get(authorize)
        assert form.status_code == 200 and "Borealis Bio" in form.text
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
        allowed = await browser.post(authorize.split("?")[0], data={**query, "team": SECOND_TEAM_ID,
                                                                   "user": NOOR.id, "decision": "allow"})
        assert allowed.status_code == 302
        back = await browser.get(allowed.headers["location"])  # Headway's /slack/oauth_redirect
        assert back.status_code == 200 and "Borealis Bio" in back.text, back.text

    data = (await page.get("/api/workspace")).json()
    assert [(w["id"], w["installed"]) for w in data["workspaces"]] == [(TEAM_ID, True), (SECOND_TEAM_ID, True)]
    [token] = [t for t in second.state.tokens.values() if t.kind == "bot"]  # the one the install issued
    assert token.value != playground.emulator.config.bot_token
    stored = await playground.server.hw.installations.async_find_installation(enterprise_id=None,
                                                                              team_id=SECOND_TEAM_ID)
    assert stored.bot_token == token.value
    sent = await page.post("/api/compose", params={"team": SECOND_TEAM_ID},
                           json={"as": NOOR.id, "channel": "C0BOREAL1", "text": "/headway help"})
    assert sent.json()["ok"], sent.text
    shown = await until(lambda: _conversation_text(page, NOOR.id, "C0BOREAL1", SECOND_TEAM_ID))
    assert "/headway project" in shown  # Headway's help, answered in Borealis Bio
    opened = await page.post("/api/home", params={"team": SECOND_TEAM_ID}, json={"as": NOOR.id})
    assert opened.json()["ok"], opened.text
    home = await until(lambda: _home(page, NOOR.id, SECOND_TEAM_ID))
    assert home["type"] == "home"
    assert [c for c in second.calls if c.method == "views.publish" and c.ok]  # with Borealis Bio's own token
    first = (await page.get("/api/workspace", params={"as": ADA.id})).json()
    assert first["team"]["id"] == TEAM_ID and NOOR.id not in first["users"]  # the first workspace is untouched


async def _conversation_text(page: httpx.AsyncClient, user: str, channel: str, team: str) -> str:
    found = (await page.get("/api/conversation", params={"as": user, "channel": channel, "team": team})).json()
    return json.dumps(found.get("messages") or [])[:100000] if found.get("messages") else ""


async def _home(page: httpx.AsyncClient, user: str, team: str):
    return (await page.get("/api/views", params={"as": user, "team": team})).json().get("home")

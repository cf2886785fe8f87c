""""Add to Slack" end to end: workspaces installed through /slack/install → the emulator's authorize page →
/slack/oauth_redirect; each served with its own token and kept apart; uninstall pauses only that workspace and
reinstall sends what waited; failures end on a 4xx page with nothing stored; an org-wide Grid install; rotating
tokens refreshed by a scheduled send; the bot kicked from a channel."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, inspect, select, text
from sqlmodel import SQLModel

import bot.models  # noqa: F401
from bot.config import Settings, load_settings
from bot.db import create_engine
from bot.jobs import delete_uninstalled, send_due_digests
from bot.models import OutboxMessage, Project, SlackWorkspace, slack_bots, slack_installations
from bot.server import HeadwayServer
from bot.slack_emulator import EmulatorChannel, EmulatorConfig, EmulatorUser, SlackDriver, SlackEmulator
from bot.slack_emulator.oauth import OAuthApp
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, PM, SIGNING_SECRET, emulator_users
from tests.handlers.standup_support import answer, create_standup, dms_to, tick, wait_prompt
from tests.handlers.test_home import open_home
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, eventually, filled_view

PUBLIC = "https://headway.test"  # HEADWAY_PUBLIC_URL: Slack sends the browser back to PUBLIC/slack/oauth_redirect
REDIRECT = PUBLIC + "/slack/oauth_redirect"
ALPHA, BETA, GAMMA, DELTA, ORG = "T0ALPHA", "T0BETA", "T0GAMMA", "T0DELTA", "E0ACME"


def grid_users() -> list[EmulatorUser]:
    """Grid user ids are org-wide (W…): the same person in both workspaces of the organization."""
    return [EmulatorUser(id="W" + u.id[1:], name=u.name, real_name=u.real_name, tz=u.tz, is_admin=u.is_admin)
            for u in emulator_users()]


@pytest.fixture
async def slack_org() -> AsyncIterator[SlackEmulator]:
    """Alpha and Beta (standalone workspaces), Gamma and Delta (the Grid organization Acme): one Slack, one app."""
    emu = SlackEmulator(EmulatorConfig(team_id=ALPHA, team_name="Alpha", users=emulator_users(),
                                       channels=[EmulatorChannel(id=CHANNEL, name="general", bot_member=True)]),
                        oauth=OAuthApp(client_id="1111.2222", client_secret="app-secret", redirect_urls=[REDIRECT]))
    emu.add_workspace(EmulatorConfig(team_id=BETA, team_name="Beta", users=emulator_users(),
                                     channels=[EmulatorChannel(id=CHANNEL, name="general", bot_member=True)]))
    for team_id, name, channel in ((GAMMA, "Gamma", "CGAMMA001"), (DELTA, "Delta", "CDELTA001")):
        emu.add_workspace(EmulatorConfig(team_id=team_id, team_name=name, enterprise_id=ORG, enterprise_name="Acme",
                                         users=grid_users(),
                                         channels=[EmulatorChannel(id=channel, name="general", bot_member=True)]))
    async with emu:
        yield emu


@pytest.fixture
def oauth_settings(clean_database: str, slack_org: SlackEmulator) -> Settings:
    app = slack_org.oauth_app
    return load_settings(
        slack_client_id=app.client_id, slack_client_secret=app.client_secret, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_org.api_url, slack_authorization_url=slack_org.base_url + "/oauth/v2/authorize",
        public_url=PUBLIC, database_url=clean_database, host="127.0.0.1", port=0, scheduler_enabled=False,
    )


@pytest.fixture
async def server(oauth_settings: Settings, slack_org: SlackEmulator, clock) -> AsyncIterator[HeadwayServer]:
    async with HeadwayServer(oauth_settings, clock=clock) as running:
        slack_org.set_app_endpoint(running.url + "/slack/events", SIGNING_SECRET)  # the app's one Request URL
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """A person's browser: keeps cookies (Bolt's state cookie), follows nothing by itself."""
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


async def start(browser: httpx.AsyncClient, server: HeadwayServer) -> str:
    """Open Headway's install page; the authorize URL behind its "Add to Slack" button."""
    page = await browser.get(server.url + "/slack/install")
    assert page.status_code == 200 and "Add to Slack" in page.text
    # Bolt's state cookie is `Secure` (Headway is public over https); this test server speaks http on loopback,
    # so the browser is handed the cookie as an https browser would keep it
    name, _, value = page.headers["set-cookie"].split(";")[0].partition("=")
    browser.cookies.set(name, value)
    return html.unescape(re.search(r"href='([^']+)'", page.text).group(1))


async def approve(browser: httpx.AsyncClient, authorize_url: str, team: str, *, decision: str = "allow",
                  redirect_uri: str | None = None) -> str:
    """On Slack's authorize page: pick the workspace (or "org:E…") and press Allow or Cancel; where Slack sends
    the browser back (Headway's redirect URL with code and state)."""
    page = await browser.get(authorize_url)
    assert page.status_code == 200, page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    if redirect_uri:
        query["redirect_uri"] = redirect_uri
    answer = await browser.post(authorize_url.split("?")[0], data={**query, "team": team, "user": ADMIN,
                                                                   "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def come_back(browser: httpx.AsyncClient, server: HeadwayServer, location: str) -> httpx.Response:
    """The browser arrives at HEADWAY_PUBLIC_URL/slack/oauth_redirect (served here by the test's server)."""
    parts = urlsplit(location)
    return await browser.get(f"{server.url}{parts.path}?{parts.query}")


async def install(browser, server, team: str) -> httpx.Response:
    back = await come_back(browser, server, await approve(browser, await start(browser, server), team))
    assert back.status_code == 200, back.text
    return back


def driver(server: HeadwayServer, workspace: SlackEmulator) -> SlackDriver:
    return SlackDriver(server.url + "/slack/events", SIGNING_SECRET, workspace, team_id=workspace.config.team_id)


async def installation_rows(url: str) -> list[dict]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [dict(r) for r in (await connection.execute(select(slack_installations))).mappings()]
    finally:
        await engine.dispose()


async def rows_of_team(url: str) -> dict[str, dict[str, int]]:
    """team_id -> table -> rows, for every table that has a team_id column; and "*" -> table -> all rows."""
    engine = create_engine(url)
    found: dict[str, dict[str, int]] = {"*": {}}
    try:
        async with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                found["*"][table.name] = (await connection.execute(
                    select(func.count()).select_from(table))).scalar_one()
                if "team_id" in table.c:
                    for team, count in (await connection.execute(
                            select(table.c.team_id, func.count()).group_by(table.c.team_id))).all():
                        found.setdefault(str(team), {})[table.name] = count
    finally:
        await engine.dispose()
    return found


async def command_text(slack: SlackDriver, user: str, text: str, channel: str = CHANNEL) -> str:
    result = await slack.slash_command(user, "/headway", text, channel_id=channel)
    answer = result.body or await result.wait_for_response()
    return all_text(answer.get("blocks") or []) + str(answer.get("text", ""))


async def test_two_workspaces_install_and_see_nothing_of_each_other(slack_org, server, browser, clean_database,
                                                                     clock):
    back = await install(browser, server, ALPHA)
    assert "Headway is installed in Alpha" in back.text and "/invite @Headway" in back.text
    await install(browser, server, BETA)
    stored = await installation_rows(clean_database)
    assert {r["team_id"] for r in stored} == {ALPHA, BETA} and len({r["bot_token"] for r in stored}) == 2

    alpha, beta = slack_org, slack_org.workspace(BETA)
    slack_a, slack_b = driver(server, alpha), driver(server, beta)
    for slack, ws in ((slack_a, alpha), (slack_b, beta)):  # each workspace's first admin gets its own welcome
        await slack.event({"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D0HOME"})
        await eventually(lambda ws=ws: [c for c in ws.calls_to("chat.postMessage")
                                        if c.params.get("channel") == ADMIN and "Welcome" in str(c.params)])
    await make_pm(slack_a)
    result = await create(slack_a, alpha)
    assert result.status == 200 and not result.body, result.body
    await make_pm(slack_b)
    await create(slack_b, beta, dict(FRAUD, key="churn", name="Churn"))

    assert "FRAUD" in await command_text(slack_a, MEMBER, "project list")
    listed_b = await command_text(slack_b, MEMBER, "project list")
    assert "CHURN" in listed_b and "FRAUD" not in listed_b
    assert "There is no project with the key FRAUD" in await command_text(slack_b, PM, "token FRAUD")
    assert "FRAUD" not in await command_text(slack_b, PM, "digest preview")
    gate_b = await slack_b.slash_command(PM, "/gate", "status FRAUD", channel_id=CHANNEL)
    gate_answer = gate_b.body or await gate_b.wait_for_response()
    assert "Fraud detection" not in str(gate_answer) and "FRAUD" in str(gate_answer)  # "no project FRAUD"
    homes = {}
    for slack, ws in ((slack_a, alpha), (slack_b, beta)):
        homes[ws.config.team_id] = all_text((await open_home(slack, ws, PM))["blocks"])
    assert "FRAUD" in homes[ALPHA] and "FRAUD" not in homes[BETA] and "CHURN" in homes[BETA]
    for slack in (slack_a, slack_b):  # execs get the weekly digest: each of its own workspace
        await command_text(slack, ADMIN, f"role <@{EXEC}> exec")
    clock.set(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))  # Monday 08:31 in Berlin
    assert await send_due_digests(server.hw) == 2
    for ws, mine, other in ((alpha, "Fraud", "Churn"), (beta, "Churn", "Fraud")):
        [digest] = await eventually(lambda ws=ws: [c for c in ws.calls_to("chat.postMessage") if c.params.get(
            "channel") == EXEC and "portfolio" in str(c.params) and c.ok], timeout=15)
        assert mine in str(digest.params) and other not in str(digest.params)
    projects = {(p.team_id, p.key) for p in await _all(clean_database, Project)}
    assert projects == {(ALPHA, "FRAUD"), (BETA, "CHURN")}
    # every Slack call went to the workspace it was for, with that workspace's token
    assert [c for c in alpha.calls_to("chat.postMessage") if "FRAUD" in str(c.params)]
    assert not [c for c in beta.calls_to("chat.postMessage") if "FRAUD" in str(c.params)]
    assert not [c for c in alpha.calls_to("chat.postMessage") if "CHURN" in str(c.params)]
    await slack_a.aclose(), await slack_b.aclose()


async def _all(url: str, model) -> list:
    from tests.support import rows

    return await rows(url, model)


async def test_uninstall_pauses_only_that_workspace_and_reinstall_sends_what_waited(
        slack_org, server, browser, clean_database, clock):
    await install(browser, server, ALPHA)
    await install(browser, server, BETA)
    alpha, beta = slack_org, slack_org.workspace(BETA)
    slack_a, slack_b = driver(server, alpha), driver(server, beta)
    for slack, ws in ((slack_a, alpha), (slack_b, beta)):
        await create_standup(slack, ws, [MEMBER], PM)

    alpha.uninstall()  # Slack revokes Alpha's token and tells Headway
    await alpha.flush_app_events()
    await eventually(lambda: server.hw.outbox.paused.why.get(ALPHA) == "app_uninstalled")
    await until(lambda: _installed_teams_are(clean_database, {BETA}))  # Alpha's installation is deleted

    clock.set(clock.now().replace(hour=8, minute=35))  # 09:30 has passed in Kolkata: both prompts are due
    await tick(server, clock)
    await wait_prompt(beta, MEMBER)  # Beta goes on
    async with httpx.AsyncClient() as http:
        health = (await http.get(server.url + "/healthz")).json()
    assert health["workspaces"] == {ALPHA: "app_uninstalled", BETA: "ok"} and health["status"] == "ok"
    assert not dms_to(alpha, MEMBER, "prompt")  # Alpha's waits, nothing lost

    await install(browser, server, ALPHA)  # installed again: a new token, and what waited goes out
    await wait_prompt(alpha, MEMBER)
    assert ALPHA not in server.hw.outbox.paused
    await slack_a.aclose(), await slack_b.aclose()


@pytest.mark.parametrize("case", ["denied", "bad_state", "replayed_code", "mismatched_redirect"])
async def test_failed_installs_end_on_a_clear_page_and_store_nothing(slack_org, server, browser, clean_database,
                                                                     case):
    if case == "replayed_code":  # a code that worked once, sent again with a fresh state
        location = await approve(browser, await start(browser, server), ALPHA)
        assert (await come_back(browser, server, location)).status_code == 200
        engine = create_engine(clean_database)
        async with engine.begin() as connection:  # the workspace's first install is not what is checked here
            await connection.execute(slack_installations.delete())
            await connection.execute(slack_bots.delete())
        await engine.dispose()
        fresh = parse_qs(urlsplit(await start(browser, server)).query)["state"][0]
        code = parse_qs(urlsplit(location).query)["code"][0]
        back = await browser.get(f"{server.url}/slack/oauth_redirect?code={code}&state={fresh}")
    elif case == "denied":
        back = await come_back(browser, server, await approve(browser, await start(browser, server), ALPHA,
                                                              decision="deny"))
    elif case == "bad_state":
        location = await approve(browser, await start(browser, server), ALPHA)
        back = await come_back(browser, server, location.replace("state=", "state=forged"))
    else:  # Slack was asked with another redirect URI than the one Headway exchanges the code with
        location = await approve(browser, await start(browser, server), ALPHA, redirect_uri=REDIRECT + "/elsewhere")
        back = await come_back(browser, server, location.replace("/elsewhere", ""))
    assert 400 <= back.status_code < 500, (back.status_code, back.text)
    assert "Nothing was installed and nothing was stored" in back.text and "Traceback" not in back.text
    assert await installation_rows(clean_database) == []


async def test_an_org_wide_grid_install_serves_two_workspaces_apart(slack_org, server, browser, clean_database):
    back = await install(browser, server, "org:" + ORG)
    assert "whole organization" in back.text
    [stored] = await installation_rows(clean_database)
    assert stored["is_enterprise_install"] and stored["enterprise_id"] == ORG and stored["team_id"] is None
    gamma, delta = slack_org.workspace(GAMMA), slack_org.workspace(DELTA)
    admin, pm, member = "W" + ADMIN[1:], "W" + PM[1:], "W" + MEMBER[1:]
    for ws, key, channel in ((gamma, "fraud", "CGAMMA001"), (delta, "churn", "CDELTA001")):
        slack = driver(server, ws)
        made = await slack.slash_command(admin, "/headway", f"role <@{pm}> pm", channel_id=channel)
        await made.wait_for_response()
        from tests.handlers.test_projects import open_form

        view_id = await _open_project_form(slack, ws, pm, channel, open_form)
        result = await slack.view_submission(pm, view_id, dict(FRAUD, key=key, channel=channel, pms=[pm],
                                                                business_owner=admin, members=[member]))
        assert result.status == 200 and not result.body, result.body
        await slack.aclose()
    projects = {(p.team_id, p.key) for p in await _all(clean_database, Project)}
    assert projects == {(GAMMA, "FRAUD"), (DELTA, "CHURN")}
    workspaces = await _all(clean_database, SlackWorkspace)
    assert {w.team_id: w.enterprise_id for w in workspaces} == {GAMMA: ORG, DELTA: ORG}
    # first seen after the org-wide install, each is installed from its first request (`headway workspaces list`)
    assert all(w.installed_at is not None and w.uninstalled_at is None for w in workspaces)
    listed = await command_text(driver(server, delta), member, "project list", "CDELTA001")
    assert "CHURN" in listed and "FRAUD" not in listed


async def _open_project_form(slack, ws, user, channel, open_form) -> str:
    shown = len(ws.calls)
    result = await slack.slash_command(user, "/headway", "project new", channel_id=channel)
    assert result.status == 200 and not result.body, result.body
    return (await filled_view(ws, shown))["id"]


async def test_a_rotating_token_is_refreshed_by_a_scheduled_send_after_it_expired(
        slack_org, server, browser, clean_database, clock):
    slack_org.oauth_app.token_rotation = True
    slack_org.oauth_app.token_lifetime_seconds = 4 * 3600  # more than Headway's 120 minutes ahead: not refreshed yet
    await install(browser, server, ALPHA)
    [first] = await installation_rows(clean_database)
    assert first["bot_refresh_token"] and first["bot_token"].startswith("xoxe.xoxb-")
    slack = driver(server, slack_org)
    await create_standup(slack, slack_org, [MEMBER], PM)
    slack_org.advance_clock(5 * 3600)  # Slack's clock: the token expired overnight
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(server, clock)
    await wait_prompt(slack_org, MEMBER)  # sent after one token_expired and a refresh; nothing lost
    refreshes = [c for c in slack_org.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    [now] = await installation_rows(clean_database)
    assert now["bot_token"] != first["bot_token"] and now["bot_refresh_token"] != first["bot_refresh_token"]
    await slack.aclose()


async def test_the_bot_kicked_from_a_channel_is_known_at_once_and_the_pms_are_told(
        slack_org, server, browser, clean_database):
    private = "CPRIVATE1"
    slack_org.add_channel(id=private, name="fraud-team", is_private=True, members=[ADMIN, PM, MEMBER],
                          bot_member=True)
    await install(browser, server, ALPHA)
    slack = driver(server, slack_org)
    await make_pm(slack)
    # the channel is checked: postable (and remembered for a minute, so forms do not wait on Slack)
    assert not (await create(slack, slack_org, dict(FRAUD, channel=private))).body
    slack_org.remove_bot(private)  # /kick @Headway
    await slack_org.flush_app_events()
    notice = await eventually(lambda: [c for c in slack_org.calls_to("chat.postMessage")
                                       if c.params.get("channel") == PM and "no longer post" in str(c.params)])
    assert "/invite @Headway" in all_text(notice[0].params["blocks"]) if isinstance(
        notice[0].params["blocks"], list) else "/invite @Headway" in notice[0].params["blocks"]
    refused = await create(slack, slack_org, dict(FRAUD, key="churn", name="Churn", channel=private))
    assert "channel" in (refused.body or {}).get("errors", {}), refused.body
    await slack.aclose()


async def test_deleting_a_workspace_leaves_nothing_of_it_and_touches_no_other(
        slack_org, server, browser, clean_database, clock):
    await install(browser, server, ALPHA)
    await install(browser, server, BETA)
    for ws in (slack_org, slack_org.workspace(BETA)):
        slack = driver(server, ws)
        await make_pm(slack)
        await create(slack, ws)
        await create_standup(slack, ws, [MEMBER], PM)
        await slack.aclose()
    before = await rows_of_team(clean_database)
    slack_org.uninstall()
    await slack_org.flush_app_events()
    await eventually(lambda: ALPHA in server.hw.outbox.paused)
    await until(lambda: _uninstalled(clean_database, ALPHA))
    clock.advance(days=29)
    assert await delete_uninstalled(server.hw) == 0  # kept for HEADWAY_RETENTION_DAYS_AFTER_UNINSTALL
    clock.advance(days=2)
    assert await delete_uninstalled(server.hw) == 1
    after = await rows_of_team(clean_database)
    assert ALPHA not in after and after[BETA] == before[BETA]
    engine = create_engine(clean_database)
    async with engine.connect() as connection:  # rows without a team_id column went with their parents
        for table in await connection.run_sync(lambda c: inspect(c).get_table_names()):
            if table != "alembic_version":
                assert ALPHA not in str((await connection.execute(text(f"SELECT * FROM {table}"))).all()), table
    await engine.dispose()


async def _uninstalled(url: str, team_id: str) -> bool:
    rows = await _all(url, SlackWorkspace)
    return any(r.team_id == team_id and r.uninstalled_at for r in rows)


async def until(probe, timeout: float = 5.0) -> None:
    """`eventually` for a probe that reads the database (a coroutine)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not await probe():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.02)


async def test_a_token_about_to_expire_is_refreshed_before_use(slack_org, server, browser, clean_database):
    slack_org.oauth_app.token_rotation = True
    slack_org.oauth_app.token_lifetime_seconds = 3600  # within Headway's 120 minutes: refreshed before any call
    await install(browser, server, ALPHA)
    slack = driver(server, slack_org)
    await make_pm(slack)
    assert [c for c in slack_org.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert not [c for c in slack_org.calls if c.error == "token_expired"]
    await slack.aclose()


async def test_a_failed_refresh_tells_the_admins_then_holds_messages_once_the_token_expired(
        slack_org, server, browser, clean_database, clock):
    slack_org.oauth_app.token_rotation = True
    slack_org.oauth_app.token_lifetime_seconds = 3600  # within Headway's 120 minutes: it tries to refresh at once
    await install(browser, server, ALPHA)
    slack = driver(server, slack_org)
    await create_standup(slack, slack_org, [MEMBER], PM)  # the admin gave PM the role: the admin is known
    slack_org.fail_next("oauth.v2.access", error="invalid_refresh_token", count=100)  # Slack refuses refreshes
    server.hw.tokens.cache_seconds = 0.0  # every send looks at the token again (instead of twice a minute)
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(server, clock)
    await wait_prompt(slack_org, MEMBER)  # the current token still works: sent
    told = await eventually(lambda: [c for c in slack_org.calls_to("chat.postMessage") if c.params.get(
        "channel") == ADMIN and "could not refresh" in str(c.params)], timeout=15)
    assert "reinstall" in str(told[0].params).lower()
    slack_org.advance_clock(3600)  # now it expired, and still cannot be refreshed
    await tick(server, clock, minutes=61)  # the reminder is due
    await eventually(lambda: server.hw.outbox.paused.why.get(ALPHA) == "token_expired", timeout=15)
    assert len(dms_to(slack_org, MEMBER, "prompt")) == 1  # the reminder waits, held, not lost
    waiting = [m for m in await _all(clean_database, OutboxMessage) if m.status == "pending"]
    assert [m.key for m in waiting if m.key.endswith(":reminder")], [(m.key, m.status) for m in waiting]
    async with httpx.AsyncClient() as http:
        health = (await http.get(server.url + "/healthz")).json()
    assert health["workspaces"][ALPHA] == "token_expired"
    await slack.aclose()


async def test_a_channel_held_in_one_workspace_holds_nothing_in_another_with_the_same_id(
        slack_org, server, browser, clean_database, clock):
    await install(browser, server, ALPHA)
    await install(browser, server, BETA)
    alpha, beta = slack_org, slack_org.workspace(BETA)
    for ws in (alpha, beta):
        slack = driver(server, ws)
        await create_standup(slack, ws, [MEMBER], PM)  # both report to CGENERAL1, each in its own workspace
        await slack.aclose()
    alpha.archive_channel(CHANNEL)
    await alpha.flush_app_events()
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(server, clock)
    await eventually(lambda: [c for c in beta.calls_to("chat.postMessage")
                              if c.params.get("channel") == CHANNEL and c.ok], timeout=15)
    assert not [c for c in alpha.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL and c.ok]
    await until(lambda: _has_held(clean_database, ALPHA))
    slack_b = driver(server, beta)  # later, in Beta: the answer threads under Beta's report, held by nothing
    result = await answer(slack_b, beta, MEMBER, await wait_prompt(beta, MEMBER), {"q0": "Tried merchant features",
                                                                                   "q1": "Tune thresholds"})
    assert result.status == 200 and not result.body, result.body
    await eventually(lambda: [c for c in beta.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL
                              and c.params.get("thread_ts") and c.ok], timeout=15)
    assert not await _has_held(clean_database, BETA)
    await slack_b.aclose()


async def _installed_teams_are(url: str, teams: set[str]) -> bool:
    return {r["team_id"] for r in await installation_rows(url)} == teams


async def _has_held(url: str, team_id: str) -> bool:
    return any(m.status == "held" and m.team_id == team_id for m in await _all(url, OutboxMessage))


async def _grid_project(server: HeadwayServer, ws: SlackEmulator, key: str, channel: str) -> None:
    from tests.handlers.test_projects import open_form

    admin, pm, member = "W" + ADMIN[1:], "W" + PM[1:], "W" + MEMBER[1:]
    slack = driver(server, ws)
    await (await slack.slash_command(admin, "/headway", f"role <@{pm}> pm", channel_id=channel)).wait_for_response()
    view_id = await _open_project_form(slack, ws, pm, channel, open_form)
    result = await slack.view_submission(pm, view_id, dict(FRAUD, key=key, channel=channel, pms=[pm],
                                                            business_owner=admin, members=[member]))
    assert result.status == 200 and not result.body, result.body
    await slack.aclose()


async def test_an_org_wide_install_removed_from_one_workspace_pauses_it_alone_and_keeps_its_data(
        slack_org, server, browser, clean_database, clock, tmp_path):
    from tests.bot.test_cli import headway

    await install(browser, server, "org:" + ORG)
    gamma, delta = slack_org.workspace(GAMMA), slack_org.workspace(DELTA)
    await _grid_project(server, gamma, "fraud", "CGAMMA001")
    await _grid_project(server, delta, "churn", "CDELTA001")

    gamma.uninstall_from_workspace(user="W" + ADMIN[1:])  # an org admin removes Headway from Gamma alone
    await slack_org.flush_app_events()
    assert [e["status"] for e in gamma.app_events() if e["type"] == "app_uninstalled_team"] == [200]
    await eventually(lambda: server.hw.outbox.paused.why.get(GAMMA) == "app_uninstalled_team")
    await until(lambda: _uninstalled(clean_database, GAMMA))
    async with httpx.AsyncClient() as http:
        health = (await http.get(server.url + "/healthz")).json()
    assert health["workspaces"] == {GAMMA: "app_uninstalled_team", DELTA: "ok"} and health["status"] == "ok"
    [org_install] = await installation_rows(clean_database)  # the organization's install stays for Delta
    assert org_install["is_enterprise_install"] and org_install["enterprise_id"] == ORG

    member = "W" + MEMBER[1:]
    listed = await command_text(driver(server, delta), member, "project list", "CDELTA001")
    assert "CHURN" in listed and "FRAUD" not in listed  # Delta goes on with the org token
    before = [c for c in gamma.calls if c.ok]
    refused = await driver(server, gamma).slash_command(member, "/headway", "project list", channel_id="CGAMMA001")
    assert "FRAUD" not in str(refused.body)  # Gamma is no longer served: the org token is not used for it
    assert [c for c in gamma.calls if c.ok] == before

    cli = headway(tmp_path, "workspaces", "list", DATABASE_URL=clean_database)
    assert cli.returncode == 0, cli.stderr
    rows = {line.split()[0]: line for line in cli.stdout.strip().splitlines()[1:]}
    assert "uninstalled" in rows[GAMMA] and ORG in rows[GAMMA]
    assert "uninstalled" not in rows[DELTA]

    clock.advance(days=29)
    assert await delete_uninstalled(server.hw) == 0  # Gamma's data waits out HEADWAY_RETENTION_DAYS_AFTER_UNINSTALL
    assert {(p.team_id, p.key) for p in await _all(clean_database, Project)} == {(GAMMA, "FRAUD"), (DELTA, "CHURN")}
    clock.advance(days=2)
    assert await delete_uninstalled(server.hw) == 1
    assert {(p.team_id, p.key) for p in await _all(clean_database, Project)} == {(DELTA, "CHURN")}
    assert len(await installation_rows(clean_database)) == 1  # the organization's install is the organization's


async def test_team_access_revoked_pauses_the_named_workspaces_of_the_organization_only(
        slack_org, server, browser, clean_database):
    await install(browser, server, "org:" + ORG)
    gamma, delta = slack_org.workspace(GAMMA), slack_org.workspace(DELTA)
    await _grid_project(server, delta, "churn", "CDELTA001")
    slack = driver(server, gamma)  # Slack: the org token can no longer reach Gamma
    answer = await slack.event({"type": "team_access_revoked", "team_ids": [GAMMA]})
    assert answer.status == 200
    await eventually(lambda: server.hw.outbox.paused.why.get(GAMMA) == "team_access_revoked")
    await until(lambda: _uninstalled(clean_database, GAMMA))
    async with httpx.AsyncClient() as http:
        health = (await http.get(server.url + "/healthz")).json()
    assert health["workspaces"] == {GAMMA: "team_access_revoked", DELTA: "ok"}
    assert len(await installation_rows(clean_database)) == 1  # the organization's install stays
    listed = await command_text(driver(server, delta), "W" + MEMBER[1:], "project list", "CDELTA001")
    assert "CHURN" in listed
    await slack.aclose()

"""OAuth v2 as Slack does it: the authorize page, oauth.v2.access and its refusals, rotating tokens, several
workspaces and an Enterprise Grid organization on one emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import EmulatorConfig, EmulatorUser, SlackEmulator
from bot.slack_emulator.oauth import OAuthApp

from .conftest import SIGNING_SECRET, make_config

REDIRECT = "https://headway.example.com/slack/oauth_redirect"


@pytest.fixture
async def org() -> AsyncIterator[SlackEmulator]:
    """Workspace A (standalone), and B and C of the Grid organization E0ACME."""
    emu = SlackEmulator(make_config(team_id="T0AAAA", team_name="Alpha"),
                        oauth=OAuthApp(redirect_urls=[REDIRECT]))
    admin = EmulatorUser(id="W0ORGADMIN", name="root", is_admin=True)
    for team_id, name in (("T0BBBB", "Beta"), ("T0CCCC", "Gamma")):
        emu.add_workspace(EmulatorConfig(team_id=team_id, team_name=name, enterprise_id="E0ACME",
                                         enterprise_name="Acme", users=[admin]))
    async with emu:
        yield emu


async def authorize(emu: SlackEmulator, team: str, *, decision: str = "allow", redirect_uri: str | None = REDIRECT,
                    state: str = "s1") -> dict[str, list[str]]:
    """Open the authorize page, then press Allow (or Cancel) for `team`; returns the redirect's query."""
    query = {"client_id": emu.oauth_app.client_id, "scope": "chat:write,commands", "state": state}
    if redirect_uri:
        query["redirect_uri"] = redirect_uri
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        page = await http.get("/oauth/v2/authorize", params=query)
        assert page.status_code == 200 and "Allow" in page.text
        answer = await http.post("/oauth/v2/authorize", data={**query, "team": team, "user": "U0BOB",
                                                              "decision": decision})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(redirect_uri or REDIRECT)
    return parse_qs(urlsplit(location).query)


def sdk(emu: SlackEmulator, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=emu.api_url)


async def error_of(awaitable) -> str:
    with pytest.raises(SlackApiError) as info:
        await awaitable
    return str(info.value.response["error"])


async def exchange(emu: SlackEmulator, code: str, redirect_uri: str | None = REDIRECT, **overrides: str):
    app = emu.oauth_app
    args = {"client_id": app.client_id, "client_secret": app.client_secret, "code": code,
            "redirect_uri": redirect_uri, **overrides}
    return await sdk(emu).oauth_v2_access(**args)


async def test_install_gives_each_workspace_its_own_bot_token(org: SlackEmulator) -> None:
    tokens = {}
    for team in ("T0AAAA", "T0BBBB"):
        query = await authorize(org, team)
        assert query["state"] == ["s1"]
        answer = await exchange(org, query["code"][0])
        assert answer["team"]["id"] == team and answer["is_enterprise_install"] is False
        assert answer["token_type"] == "bot" and answer["access_token"].startswith("xoxb-")
        tokens[team] = answer["access_token"]
    assert tokens["T0AAAA"] != tokens["T0BBBB"]
    assert (await sdk(org, tokens["T0BBBB"]).auth_test())["team_id"] == "T0BBBB"
    await sdk(org, tokens["T0AAAA"]).chat_postMessage(channel="C0GENERAL", text="to alpha")
    assert [m["text"] for m in org.messages("C0GENERAL")] == ["to alpha"]
    assert org.workspace("T0BBBB").messages("C0GENERAL") == []


async def test_refusals_of_the_code_exchange(org: SlackEmulator) -> None:
    code = (await authorize(org, "T0AAAA"))["code"][0]
    assert await error_of(exchange(org, code, client_id="nope")) == "invalid_client_id"
    assert await error_of(exchange(org, code, client_secret="nope")) == "bad_client_secret"
    assert await error_of(exchange(org, code, redirect_uri=REDIRECT + "/elsewhere")) == "bad_redirect_uri"
    assert await error_of(exchange(org, "made-up")) == "invalid_code"
    await exchange(org, code)
    assert await error_of(exchange(org, code)) == "invalid_code"  # a code works once


async def test_denied_and_mismatched_redirects(org: SlackEmulator) -> None:
    query = await authorize(org, "T0AAAA", decision="deny")
    assert query == {"error": ["access_denied"], "state": ["s1"]}
    async with httpx.AsyncClient(base_url=org.base_url) as http:
        page = await http.get("/oauth/v2/authorize", params={"client_id": org.oauth_app.client_id,
                                                             "redirect_uri": "https://evil.example/cb"})
        assert page.status_code == 400 and "redirect_uri did not match" in page.text
        page = await http.get("/oauth/v2/authorize", params={"client_id": "unknown"})
        assert page.status_code == 400


async def test_org_wide_install_serves_every_workspace_of_the_organization(org: SlackEmulator) -> None:
    answer = await exchange(org, (await authorize(org, "org:E0ACME"))["code"][0])
    assert answer["is_enterprise_install"] is True and answer["team"] is None
    assert answer["enterprise"] == {"id": "E0ACME", "name": "Acme"}
    client = sdk(org, answer["access_token"])
    beta, gamma = org.workspace("T0BBBB"), org.workspace("T0CCCC")
    gamma.add_channel(id="C0GAMMA", name="gamma-only", bot_member=True)
    await client.chat_postMessage(channel="C0GAMMA", text="to gamma")
    assert [m["text"] for m in gamma.messages("C0GAMMA")] == ["to gamma"]
    assert beta.messages("C0GAMMA") == []
    assert (await client.auth_test())["is_enterprise_install"] is True
    assert await error_of(sdk(org, answer["access_token"]).chat_postMessage(channel="C0GENERAL", text="x")) in {
        "not_in_channel", "channel_not_found"}  # Alpha is not in the organization: the token cannot reach it


async def test_rotating_tokens_expire_and_refresh(org: SlackEmulator) -> None:
    org.oauth_app.token_rotation = True
    answer = await exchange(org, (await authorize(org, "T0AAAA"))["code"][0])
    assert answer["access_token"].startswith("xoxe.xoxb-") and answer["expires_in"] == 43200
    old, refresh = answer["access_token"], answer["refresh_token"]
    await sdk(org, old).auth_test()
    org.advance_clock(43200)
    assert await error_of(sdk(org, old).auth_test()) == "token_expired"
    app = org.oauth_app
    renewed = await sdk(org).oauth_v2_access(client_id=app.client_id, client_secret=app.client_secret,
                                              grant_type="refresh_token", refresh_token=refresh)
    assert renewed["access_token"] != old and renewed["refresh_token"] != refresh
    assert (await sdk(org, renewed["access_token"]).auth_test())["team_id"] == "T0AAAA"
    assert await error_of(sdk(org).oauth_v2_access(  # the old refresh token was used up
        client_id=app.client_id, client_secret=app.client_secret, grant_type="refresh_token",
        refresh_token=refresh)) == "invalid_refresh_token"


async def test_kick_invite_and_archive_are_told_to_the_app(org: SlackEmulator) -> None:
    org.add_channel(id="C0PROJ", name="proj", bot_member=True)
    org.remove_bot("C0PROJ")
    org.invite_bot("C0PROJ", inviter="U0BOB")
    org.archive_channel("C0PROJ")
    await org.flush_app_events()
    kinds = [e["type"] for e in org.app_events()]
    assert kinds == ["member_left_channel", "member_joined_channel", "channel_archive"]
    assert org.app_events()[0]["status"] == "no_endpoint"


async def test_an_org_wide_app_removed_from_one_workspace_hears_app_uninstalled_team(org: SlackEmulator,
                                                                                     receiver) -> None:
    answer = await exchange(org, (await authorize(org, "org:E0ACME"))["code"][0])
    org.set_app_endpoint(receiver.url + "/slack/events", SIGNING_SECRET)
    beta, gamma = org.workspace("T0BBBB"), org.workspace("T0CCCC")
    for ws, channel in ((beta, "C0BETA"), (gamma, "C0GAMMA")):
        ws.add_channel(id=channel, name=channel.lower(), bot_member=True)
    async with httpx.AsyncClient(base_url=org.base_url) as http:  # the control API, as the playground uses it
        refused = await http.post("/_emulator/rpc", json={"op": "uninstall_from_workspace", "team_id": "T0AAAA"})
        assert refused.status_code == 400  # Alpha has no org-wide install to remove
        removed = await http.post("/_emulator/rpc", json={"op": "uninstall_from_workspace", "team_id": "T0CCCC",
                                                          "args": {"user": "W0ORGADMIN"}})
        assert removed.status_code == 200, removed.text
    await org.flush_app_events()
    [delivery] = receiver.requests
    assert delivery["valid"]
    body = delivery["body"]
    assert body["type"] == "event_callback" and body["team_id"] == "T0CCCC" and body["enterprise_id"] == "E0ACME"
    assert body["is_enterprise_install"] is True
    event = body["event"]
    assert {k: event[k] for k in ("type", "team_id", "user_id", "app_id")} == {
        "type": "app_uninstalled_team", "team_id": "T0CCCC", "user_id": "W0ORGADMIN", "app_id": gamma.config.app_id}
    assert event["app_name"] and event["app_owner_id"] and event["team_domain"] and event["event_ts"]
    client = sdk(org, answer["access_token"])
    assert await error_of(client.chat_postMessage(channel="C0GAMMA", text="x")) == "token_revoked"
    await client.chat_postMessage(channel="C0BETA", text="beta goes on")  # the org install stays for Beta
    assert [m["text"] for m in beta.messages("C0BETA")] == ["beta goes on"]
    assert (await client.auth_test())["team_id"] == "T0BBBB"
    again = await exchange(org, (await authorize(org, "org:E0ACME"))["code"][0])  # installed org-wide again
    await sdk(org, again["access_token"]).chat_postMessage(channel="C0GAMMA", text="back")
    assert [m["text"] for m in gamma.messages("C0GAMMA")] == ["back"]

"""The contract: every error Slack lists for every method Headway calls can be produced on demand, each with a
behaviour class; the ones the emulator has rules for arise from those rules, without injected faults."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.manifest import BOT_SCOPES
from bot.slack_emulator import EmulatorUser, SlackEmulator
from bot.slack_emulator.contract import CONTRACT, DOC_ERRORS, SPEC_ERRORS, Behaviour

from .conftest import make_config

Scenario = Callable[[SlackEmulator, AsyncWebClient], Awaitable[object]]


def spec_path() -> Path | None:
    candidates = [os.environ.get("HEADWAY_SLACK_SPEC", ""), Path(__file__).parents[3] / "../shared/slack",
                  "/work/shared/slack"]
    for candidate in candidates:
        path = Path(candidate) / "web-api.openapi.v2.json" if candidate else None
        if path is not None and path.is_file():
            return path
    return None


def test_table_matches_the_shared_spec() -> None:
    path = spec_path()
    if path is None:
        pytest.skip("the shared Slack spec is not on this machine")
    spec = json.loads(path.read_text())
    for method, errors in SPEC_ERRORS.items():
        operation = next(iter(spec["paths"][f"/{method}"].values()))
        listed = operation["responses"]["default"]["schema"]["properties"]["error"]["enum"]
        assert set(errors) == set(listed), method
    for method in DOC_ERRORS:
        assert f"/{method}" not in spec["paths"] or method.startswith("views."), method


def test_every_error_has_a_behaviour() -> None:
    for method, errors in {**SPEC_ERRORS, **DOC_ERRORS}.items():
        for error in errors:
            assert isinstance(CONTRACT[(method, error)], Behaviour)
    assert CONTRACT[("chat.postMessage", "not_in_channel")] is Behaviour.HOLD
    assert CONTRACT[("chat.postMessage", "token_revoked")] is Behaviour.HOLD
    assert CONTRACT[("chat.postMessage", "ratelimited")] is Behaviour.RETRY
    assert CONTRACT[("views.open", "expired_trigger_id")] is Behaviour.TELL
    assert CONTRACT[("chat.postMessage", "invalid_arg_name")] is Behaviour.DROP


def _revoked(method: str, **args: object) -> Scenario:
    async def run(emu: SlackEmulator, client: AsyncWebClient) -> object:
        emu.revoke_token()
        return await client.api_call(method, json=args)

    return run


def _disabled(error: str, method: str, **args: object) -> Scenario:
    async def run(emu: SlackEmulator, client: AsyncWebClient) -> object:
        emu.disable_token(error)
        return await client.api_call(method, json=args)

    return run


def _unauthed(method: str) -> Scenario:
    async def run(emu: SlackEmulator, client: AsyncWebClient) -> object:
        return await AsyncWebClient(base_url=emu.api_url, retry_handlers=[]).api_call(method, json={})

    return run


def _call(method: str, **args: object) -> Scenario:
    async def run(emu: SlackEmulator, client: AsyncWebClient) -> object:
        return await client.api_call(method, json=args)

    return run


def _scoped(scopes: tuple[str, ...], method: str, **args: object) -> Scenario:
    async def run(emu: SlackEmulator, client: AsyncWebClient) -> object:
        emu.set_scopes(scopes)
        return await client.api_call(method, json=args)

    return run


async def _update_foreign(emu: SlackEmulator, client: AsyncWebClient) -> object:
    human = emu.add_message("C0GENERAL", "U0ALICE", "mine")
    return await client.chat_update(channel="C0GENERAL", ts=human["ts"], text="x")


async def _expired_trigger(emu: SlackEmulator, client: AsyncWebClient) -> object:
    emu.config.trigger_ttl_seconds = 0
    trigger = emu.issue_trigger("U0ALICE")
    return await client.views_open(trigger_id=trigger, view=MODAL)


async def _used_trigger(emu: SlackEmulator, client: AsyncWebClient) -> object:
    trigger = emu.issue_trigger("U0ALICE")
    await client.views_open(trigger_id=trigger, view=MODAL)
    return await client.views_open(trigger_id=trigger, view=MODAL)


async def _hash_conflict(emu: SlackEmulator, client: AsyncWebClient) -> object:
    opened = await client.views_open(trigger_id=emu.issue_trigger("U0ALICE"), view=MODAL)
    return await client.views_update(view_id=opened["view"]["id"], view=MODAL, hash="stale")


async def _app_token_wrong(emu: SlackEmulator, client: AsyncWebClient) -> object:
    return await client.api_call("apps.connections.open")  # a bot token where an app-level token is needed


async def _thread_gone(emu: SlackEmulator, client: AsyncWebClient) -> object:
    return await client.conversations_replies(channel="C0GENERAL", ts="1700000000.000100")


MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "T"},
         "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
NO_PUBLIC = tuple(s for s in BOT_SCOPES if s != "chat:write.public")

# (method, error) → how the emulator's own rules produce it (no fault injected).
NATURAL: dict[tuple[str, str], Scenario] = {
    ("chat.postMessage", "channel_not_found"): _call("chat.postMessage", channel="C0PRIVATE", text="x"),
    ("chat.postMessage", "not_in_channel"): _scoped(NO_PUBLIC, "chat.postMessage", channel="C0PUBLIC", text="x"),
    ("chat.postMessage", "is_archived"): _call("chat.postMessage", channel="C0OLD", text="x"),
    ("chat.postMessage", "msg_too_long"): _call("chat.postMessage", channel="C0GENERAL", text="x" * 40_001),
    ("chat.postMessage", "no_text"): _call("chat.postMessage", channel="C0GENERAL"),
    ("chat.postMessage", "not_authed"): _unauthed("chat.postMessage"),
    ("chat.postMessage", "invalid_auth"): _disabled("invalid_auth", "chat.postMessage", channel="C0GENERAL",
                                                    text="x"),
    ("chat.postMessage", "account_inactive"): _disabled("account_inactive", "chat.postMessage",
                                                        channel="C0GENERAL", text="x"),
    ("chat.postMessage", "token_revoked"): _revoked("chat.postMessage", channel="C0GENERAL", text="x"),
    ("chat.postMessage", "missing_scope"): _scoped(("commands",), "chat.postMessage", channel="C0GENERAL", text="x"),
    ("chat.update", "message_not_found"): _call("chat.update", channel="C0GENERAL", ts="1.000001", text="x"),
    ("chat.update", "cant_update_message"): _update_foreign,
    ("chat.update", "channel_not_found"): _call("chat.update", channel="C0NOPE", ts="1.000001", text="x"),
    ("chat.update", "token_revoked"): _revoked("chat.update", channel="C0GENERAL", ts="1.000001", text="x"),
    ("chat.postEphemeral", "channel_not_found"): _call("chat.postEphemeral", channel="C0PRIVATE", user="U0ALICE",
                                                      text="x"),
    ("chat.postEphemeral", "is_archived"): _call("chat.postEphemeral", channel="C0OLD", user="U0ALICE", text="x"),
    ("chat.postEphemeral", "user_not_in_channel"): _call("chat.postEphemeral", channel="C0GENERAL",
                                                         user="U0NOBODY", text="x"),
    ("chat.postEphemeral", "no_text"): _call("chat.postEphemeral", channel="C0GENERAL", user="U0ALICE"),
    ("conversations.history", "channel_not_found"): _call("conversations.history", channel="C0PRIVATE"),
    ("conversations.history", "not_in_channel"): _call("conversations.history", channel="C0PUBLIC"),
    ("conversations.history", "invalid_ts_oldest"): _call("conversations.history", channel="C0GENERAL",
                                                          oldest="soon"),
    ("conversations.history", "invalid_ts_latest"): _call("conversations.history", channel="C0GENERAL",
                                                          latest="later"),
    ("conversations.history", "missing_scope"): _scoped(("chat:write",), "conversations.history",
                                                        channel="C0GENERAL"),
    ("conversations.replies", "thread_not_found"): _thread_gone,
    ("conversations.replies", "channel_not_found"): _call("conversations.replies", channel="C0NOPE", ts="1.1"),
    ("conversations.open", "user_not_found"): _call("conversations.open", users="U0NOBODY"),
    ("conversations.open", "user_disabled"): _call("conversations.open", users="U0GONE"),
    ("conversations.open", "users_list_not_supplied"): _call("conversations.open"),
    ("conversations.open", "too_many_users"): _scoped((*BOT_SCOPES, "mpim:write"), "conversations.open",
                                                      users=",".join(f"U{i}" for i in range(9))),
    ("conversations.open", "missing_scope"): _scoped(("chat:write",), "conversations.open", users="U0ALICE"),
    ("conversations.info", "channel_not_found"): _call("conversations.info", channel="C0PRIVATE"),
    ("conversations.info", "missing_scope"): _scoped(
        tuple(s for s in BOT_SCOPES if s not in ("channels:read", "groups:read")), "conversations.info",
        channel="C0GENERAL"),
    ("conversations.join", "missing_scope"): _call("conversations.join", channel="C0PUBLIC"),
    ("conversations.join", "is_archived"): _scoped((*BOT_SCOPES, "channels:join"), "conversations.join",
                                                   channel="C0OLD"),
    ("conversations.join", "method_not_supported_for_channel_type"): _scoped(
        (*BOT_SCOPES, "channels:join"), "conversations.join", channel="C0MINE"),
    ("users.info", "user_not_found"): _call("users.info", user="U0NOBODY"),
    ("users.info", "missing_scope"): _scoped(("chat:write",), "users.info", user="U0ALICE"),
    ("auth.test", "token_revoked"): _revoked("auth.test"),
    ("auth.test", "not_authed"): _unauthed("auth.test"),
    ("views.open", "invalid_trigger_id"): _call("views.open", trigger_id="nope", view=MODAL),
    ("views.open", "expired_trigger_id"): _expired_trigger,
    ("views.open", "exchanged_trigger_id"): _used_trigger,
    ("views.update", "not_found"): _call("views.update", view_id="V0NOPE", view=MODAL),
    ("views.update", "hash_conflict"): _hash_conflict,
    ("views.publish", "user_not_found"): _call("views.publish", user_id="U0NOBODY",
                                               view={"type": "home", "blocks": []}),
    ("files.getUploadURLExternal", "missing_scope"): _scoped(("chat:write",), "files.getUploadURLExternal",
                                                             filename="a.png", length=3),
    ("files.completeUploadExternal", "file_not_found"): _call("files.completeUploadExternal",
                                                              files=[{"id": "F0NOPE"}]),
    ("apps.connections.open", "not_allowed_token_type"): _app_token_wrong,
}


def _workspace() -> SlackEmulator:
    emu = SlackEmulator(make_config(users=[*make_config().users, EmulatorUser(id="U0DAVE", name="dave")]))
    emu.add_channel(id="C0PUBLIC", name="public")
    emu.add_channel(id="C0OLD", name="old", is_archived=True, bot_member=True)
    emu.add_channel(id="C0MINE", name="mine", is_private=True, bot_member=True)
    return emu


async def _answer(emu: SlackEmulator, scenario: Scenario) -> tuple[str, dict]:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as info:
        await scenario(emu, client)
    return info.value.response["error"], dict(info.value.response.data)


@pytest.mark.parametrize(("method", "error"), sorted(NATURAL))
async def test_rules_produce_the_error(method: str, error: str) -> None:
    async with _workspace() as emu:
        got, body = await _answer(emu, NATURAL[(method, error)])
        assert got == error
        assert all(call.fault is None for call in emu.calls)
        if error == "missing_scope":
            assert body["needed"] and "provided" in body


async def test_every_listed_error_can_be_produced_on_demand() -> None:
    """The errors the emulator has no rule for come from fault injection, shaped like Slack's answer."""
    async with _workspace() as emu:
        for method, error in sorted(CONTRACT):
            if (method, error) in NATURAL:
                continue
            emu.fail_next(method, error=error, status=429 if error == "ratelimited" else None)
            token = emu.config.app_token if method == "apps.connections.open" else emu.bot_token
            client = AsyncWebClient(token=token, base_url=emu.api_url, retry_handlers=[])
            with pytest.raises(SlackApiError) as info:
                await client.api_call(method, json={})
            assert info.value.response["error"] == error, (method, error)
            if error == "ratelimited":
                assert info.value.response.status_code == 429 and info.value.response.headers["Retry-After"]
            if error == "missing_scope":
                assert info.value.response["needed"] and info.value.response["provided"]

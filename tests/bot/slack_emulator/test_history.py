"""Message metadata, conversations.history and conversations.replies over real HTTP with slack_sdk."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackEmulator

METADATA = {"event_type": "headway_outbox", "event_payload": {"key": "standup:42", "attempt": 1}}


async def error_of(awaitable) -> str:
    with pytest.raises(SlackApiError) as info:
        await awaitable
    return info.value.response["error"]


async def post_form(emu: SlackEmulator, method: str, data: dict) -> dict:
    """A form-encoded call, the way older clients send JSON arguments (as strings)."""
    async with httpx.AsyncClient() as http:
        response = await http.post(emu.api_url + method, data=data, headers={"Authorization": "Bearer xoxb-emulator"})
    return response.json()


async def post_many(client: AsyncWebClient, channel: str, count: int) -> list[str]:
    return [(await client.chat_postMessage(channel=channel, text=f"m{i}"))["ts"] for i in range(count)]


# ------------------------------------------------------------------ metadata
async def test_metadata_round_trip_json_and_form(emu: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="tracked", metadata=METADATA)
    assert posted["message"]["metadata"] == METADATA
    assert emu.get_message("C0GENERAL", posted["ts"])["metadata"] == METADATA
    # form body: metadata arrives as a JSON string and is stored decoded
    body = await post_form(
        emu, "chat.postMessage", {"channel": "C0GENERAL", "text": "t", "metadata": json.dumps(METADATA)}
    )
    assert body["ok"] is True and body["message"]["metadata"] == METADATA
    history = await client.conversations_history(channel="C0GENERAL", include_all_metadata=True)
    assert [m["metadata"] for m in history["messages"]] == [METADATA, METADATA]
    # no metadata → no key at all
    plain = await client.chat_postMessage(channel="C0GENERAL", text="plain")
    assert "metadata" not in plain["message"]


@pytest.mark.parametrize(
    "metadata",
    [
        {"event_payload": {"a": 1}},  # event_type missing
        {"event_type": "", "event_payload": {}},
        {"event_type": "has space", "event_payload": {}},
        {"event_type": "dash-ed", "event_payload": {}},
        {"event_type": "x" * 256, "event_payload": {}},
        {"event_type": 7, "event_payload": {}},
        {"event_type": "ok_type"},  # event_payload missing
        {"event_type": "ok_type", "event_payload": "not an object"},
        {"event_type": "ok_type", "event_payload": [1, 2]},
    ],
)
async def test_bad_metadata_is_rejected(emu: SlackEmulator, client: AsyncWebClient, metadata: dict) -> None:
    assert await error_of(client.chat_postMessage(channel="C0GENERAL", text="x", metadata=metadata)) == (
        "invalid_metadata_format"
    )
    assert emu.messages("C0GENERAL") == []


async def test_bad_metadata_in_form_is_rejected(emu: SlackEmulator) -> None:
    for raw in ("{not json", "[1, 2]", '"just a string"', json.dumps({"event_type": "a\n", "event_payload": {}})):
        body = await post_form(emu, "chat.postMessage", {"channel": "C0GENERAL", "text": "x", "metadata": raw})
        assert body["error"] == "invalid_metadata_format", raw
    longest = {"event_type": "A_z9" * 63 + "abc", "event_payload": {}}  # 255 characters is allowed
    body = await post_form(
        emu, "chat.postMessage", {"channel": "C0GENERAL", "text": "x", "metadata": json.dumps(longest)}
    )
    assert body["ok"] is True and body["message"]["metadata"] == longest
    assert len(emu.messages("C0GENERAL")) == 1


async def test_update_keeps_replaces_or_removes_metadata(emu: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="v1", metadata=METADATA)
    await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v2")
    assert emu.get_message("C0GENERAL", posted["ts"])["metadata"] == METADATA
    other = {"event_type": "other", "event_payload": {"n": 2}}
    updated = await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v3", metadata=other)
    assert updated["message"]["metadata"] == other
    bad = {"event_type": "no good"}
    assert await error_of(client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v4", metadata=bad)) == (
        "invalid_metadata_format"
    )
    assert emu.get_message("C0GENERAL", posted["ts"])["text"] == "v3"
    await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v5", metadata={})
    assert "metadata" not in emu.get_message("C0GENERAL", posted["ts"])


# ------------------------------------------------------------------- history
async def test_history_newest_first_top_level_only(emu: SlackEmulator, client: AsyncWebClient) -> None:
    first, second, third = await post_many(client, "C0GENERAL", 3)
    reply = await client.chat_postMessage(channel="C0GENERAL", text="reply", thread_ts=first)
    human = emu.add_message("C0GENERAL", "U0ALICE", "from alice")
    emu.invite_bot("C0PRIVATE")
    await client.chat_postMessage(channel="C0PRIVATE", text="elsewhere")
    history = await client.conversations_history(channel="C0GENERAL")
    assert [m["ts"] for m in history["messages"]] == [human["ts"], third, second, first]
    assert reply["ts"] not in [m["ts"] for m in history["messages"]]
    assert history["has_more"] is False and not history.get("response_metadata", {}).get("next_cursor")
    parent = history["messages"][-1]
    assert parent["thread_ts"] == first and parent["reply_count"] == 1 and parent["latest_reply"] == reply["ts"]
    assert parent["reply_users"] == [emu.config.bot_user_id] and parent["reply_users_count"] == 1
    assert history["messages"][0]["user"] == "U0ALICE" and "bot_id" not in history["messages"][0]


async def test_history_oldest_latest_inclusive(client: AsyncWebClient) -> None:
    ts = await post_many(client, "C0GENERAL", 5)
    page = await client.conversations_history(channel="C0GENERAL", oldest=ts[1])
    assert [m["ts"] for m in page["messages"]] == [ts[4], ts[3], ts[2]]
    page = await client.conversations_history(channel="C0GENERAL", oldest=ts[1], inclusive=True)
    assert [m["ts"] for m in page["messages"]] == [ts[4], ts[3], ts[2], ts[1]]
    page = await client.conversations_history(channel="C0GENERAL", oldest=ts[1], latest=ts[3])
    assert [m["ts"] for m in page["messages"]] == [ts[2]]
    page = await client.conversations_history(channel="C0GENERAL", oldest=ts[1], latest=ts[3], inclusive=True)
    assert [m["ts"] for m in page["messages"]] == [ts[3], ts[2], ts[1]]
    page = await client.conversations_history(channel="C0GENERAL", latest=ts[1])
    assert [m["ts"] for m in page["messages"]] == [ts[0]]
    # a float-ish oldest like the app sends (f"{since - 60:.6f}") and an integer oldest
    whole_second = ts[0].split(".")[0]
    page = await client.conversations_history(channel="C0GENERAL", oldest=f"{float(whole_second) - 60:.6f}")
    assert len(page["messages"]) == 5
    page = await client.conversations_history(channel="C0GENERAL", oldest=str(int(whole_second) + 10_000))
    assert page["messages"] == [] and page["has_more"] is False
    assert await error_of(client.conversations_history(channel="C0GENERAL", oldest="yesterday")) == "invalid_ts_oldest"
    assert await error_of(client.conversations_history(channel="C0GENERAL", latest="soon")) == "invalid_ts_latest"


async def test_history_pagination(client: AsyncWebClient) -> None:
    ts = await post_many(client, "C0GENERAL", 7)
    seen, cursor, pages = [], None, 0
    while True:
        page = await client.conversations_history(channel="C0GENERAL", limit=3, cursor=cursor)
        pages += 1
        seen += [m["ts"] for m in page["messages"]]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert pages == 3 and seen == ts[::-1]
    decoded = base64.b64decode(
        (await client.conversations_history(channel="C0GENERAL", limit=1))["response_metadata"]["next_cursor"]
    ).decode()
    assert decoded == "next_ts:" + ts[5].replace(".", "")
    # pages stay inside the oldest bound
    first = await client.conversations_history(channel="C0GENERAL", oldest=ts[2], limit=2)
    second = await client.conversations_history(
        channel="C0GENERAL", oldest=ts[2], limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["ts"] for m in first["messages"] + second["messages"]] == [ts[6], ts[5], ts[4], ts[3]]
    assert second["has_more"] is False
    # limit defaults to 100 and is capped at 999
    assert len((await client.conversations_history(channel="C0GENERAL", limit=5000))["messages"]) == 7
    assert await error_of(client.conversations_history(channel="C0GENERAL", cursor="bm9wZQ==")) == "invalid_cursor"
    assert await error_of(client.conversations_history(channel="C0GENERAL", cursor="%%%")) == "invalid_cursor"


async def test_history_default_limit_is_100(emu: SlackEmulator, client: AsyncWebClient) -> None:
    for i in range(105):
        emu.add_message("C0GENERAL", "U0BOB", f"n{i}")
    page = await client.conversations_history(channel="C0GENERAL")
    assert len(page["messages"]) == 100 and page["has_more"] is True
    rest = await client.conversations_history(channel="C0GENERAL", cursor=page["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["n4", "n3", "n2", "n1", "n0"]


async def test_dm_history_via_conversations_open(emu: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="U0ALICE", text="psst", metadata=METADATA)
    await client.chat_postMessage(channel="U0BOB", text="for bob")
    opened = await client.conversations_open(users="U0ALICE")
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and dm == posted["channel"]
    history = await client.conversations_history(channel=dm, include_all_metadata=True)
    assert [(m["text"], m["metadata"]) for m in history["messages"]] == [("psst", METADATA)]
    reply = emu.add_message(dm, "U0ALICE", "thanks", thread_ts=posted["ts"])
    thread = await client.conversations_replies(channel=dm, ts=posted["ts"])
    assert [m["ts"] for m in thread["messages"]] == [posted["ts"], reply["ts"]]
    # history takes conversation ids only: user ids, names and unknown ids are not found
    for channel in ("U0ALICE", "general", "C0NOPE", "D0NOBODY"):
        assert await error_of(client.conversations_history(channel=channel)) == "channel_not_found", channel


async def test_history_membership(emu: SlackEmulator, client: AsyncWebClient) -> None:
    emu.add_channel(id="C0CLOSED", name="closed", members=["U0ALICE"])
    assert await error_of(client.conversations_history(channel="C0CLOSED")) == "not_in_channel"
    # a private channel the bot is not in does not exist for the bot
    assert await error_of(client.conversations_history(channel="C0PRIVATE")) == "channel_not_found"
    emu.add_channel(id="C0TEAM", name="team", is_private=True, members=["U0ALICE", emu.config.bot_user_id])
    await client.chat_postMessage(channel="C0TEAM", text="inside")
    assert [m["text"] for m in (await client.conversations_history(channel="C0TEAM"))["messages"]] == ["inside"]


async def test_metadata_only_with_include_all_metadata(emu: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="tracked", metadata=METADATA)
    reply = await client.chat_postMessage(channel="C0GENERAL", text="r", thread_ts=posted["ts"], metadata=METADATA)
    for flag in (None, False):
        history = await client.conversations_history(channel="C0GENERAL", include_all_metadata=flag)
        assert "metadata" not in history["messages"][0]
        thread = await client.conversations_replies(channel="C0GENERAL", ts=posted["ts"], include_all_metadata=flag)
        assert all("metadata" not in m for m in thread["messages"])
    history = await client.conversations_history(channel="C0GENERAL", include_all_metadata=True)
    assert history["messages"][0]["metadata"] == METADATA
    thread = await client.conversations_replies(channel="C0GENERAL", ts=posted["ts"], include_all_metadata=True)
    assert [m["metadata"] for m in thread["messages"]] == [METADATA, METADATA]
    assert thread["messages"][1]["ts"] == reply["ts"]
    # GET with a query string, as slack_sdk sends it, also understands "true"
    async with httpx.AsyncClient() as http:
        response = await http.get(
            emu.api_url + "conversations.history",
            params={"channel": "C0GENERAL", "include_all_metadata": "true"},
            headers={"Authorization": "Bearer xoxb-emulator"},
        )
    assert response.json()["messages"][0]["metadata"] == METADATA


# ------------------------------------------------------------------- replies
async def test_replies_thread_order_and_pagination(emu: SlackEmulator, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C0GENERAL", text="parent")
    await client.chat_postMessage(channel="C0GENERAL", text="unrelated")
    replies = [
        (await client.chat_postMessage(channel="C0GENERAL", text=f"r{i}", thread_ts=parent["ts"]))["ts"]
        for i in range(4)
    ]
    human = emu.add_message("C0GENERAL", "U0BOB", "human reply", thread_ts=parent["ts"])
    thread = await client.conversations_replies(channel="C0GENERAL", ts=parent["ts"])
    assert [m["ts"] for m in thread["messages"]] == [parent["ts"], *replies, human["ts"]]
    assert thread["has_more"] is False
    head = thread["messages"][0]
    assert head["reply_count"] == 5 and head["reply_users"] == [emu.config.bot_user_id, "U0BOB"]
    assert head["reply_users_count"] == 2 and head["latest_reply"] == human["ts"]
    assert all(m["thread_ts"] == parent["ts"] and m["parent_user_id"] for m in thread["messages"][1:])
    # a reply's ts finds the same thread
    same = await client.conversations_replies(channel="C0GENERAL", ts=replies[2])
    assert [m["ts"] for m in same["messages"]] == [m["ts"] for m in thread["messages"]]
    # pagination: the parent heads the first page
    seen, cursor, pages = [], None, 0
    while True:
        page = await client.conversations_replies(channel="C0GENERAL", ts=parent["ts"], limit=2, cursor=cursor)
        pages += 1
        seen += [m["ts"] for m in page["messages"]]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    assert pages == 3 and seen == [parent["ts"], *replies, human["ts"]]
    # oldest narrows the replies; the parent is still returned first
    later = await client.conversations_replies(channel="C0GENERAL", ts=parent["ts"], oldest=replies[1])
    assert [m["ts"] for m in later["messages"]] == [parent["ts"], replies[2], replies[3], human["ts"]]


async def test_replies_errors_and_unthreaded(client: AsyncWebClient) -> None:
    lone = await client.chat_postMessage(channel="C0GENERAL", text="alone")
    thread = await client.conversations_replies(channel="C0GENERAL", ts=lone["ts"])
    assert [m["text"] for m in thread["messages"]] == ["alone"] and thread["has_more"] is False
    assert "reply_count" not in thread["messages"][0]
    assert await error_of(client.conversations_replies(channel="C0GENERAL", ts="1.000001")) == "thread_not_found"
    assert await error_of(client.conversations_replies(channel="C0NOPE", ts=lone["ts"])) == "channel_not_found"


async def test_history_and_replies_are_rate_limited_as_tier_3(emu: SlackEmulator, client: AsyncWebClient) -> None:
    from bot.slack_emulator.ratelimit import METHOD_LIMITS, TIERS

    assert METHOD_LIMITS["conversations.history"] == TIERS[3] == METHOD_LIMITS["conversations.replies"]
    emu.set_rate_limits_enabled(True)
    emu.set_rate_limit("conversations.history", 0.001, 1)
    await client.conversations_history(channel="C0GENERAL")
    with pytest.raises(SlackApiError) as info:
        await client.conversations_history(channel="C0GENERAL")
    assert info.value.response.status_code == 429 and info.value.response["error"] == "ratelimited"

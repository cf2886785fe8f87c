"""The one door to Slack: every outbound Web API call and response_url post goes through here.

It speaks Headway's plain types (Message, Profile) so callers never build raw API payloads, and, where callers
handle failures, raises Headway's own errors (bot.delivery.errors) so they never import slack_sdk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.delivery.bundles import metadata_keys
from bot.delivery.client import MeteredWebClient
from bot.delivery.errors import RateLimited, ResponseUrlFailed, SlackUnavailable
from bot.delivery.held import ChannelCheck
from bot.delivery.tokens import current_team
from bot.people.profile import Profile, Status, UnknownUser
from bot.render import Message

OUTBOX_EVENT = "headway_outbox"
MANY_PROFILES = 20  # above this, one users.list page (200 people) beats 200 users.info calls
DM_ATTEMPTS = 3  # a DM fallback that drew a 429 goes again after Slack's Retry-After, twice at most
_RESPONSE_URL_RETRIES = [AsyncConnectionErrorRetryHandler(max_retry_count=2), AsyncServerErrorRetryHandler(
    max_retry_count=2), AsyncRateLimitErrorRetryHandler(max_retry_count=1)]

log = logging.getLogger(__name__)


class UploadFailed(Exception):
    """The bytes of an external upload did not reach Slack's upload_url."""


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


POSTABLE_FOR = 60.0  # seconds a channel Headway could post to is taken as still postable, without asking again


class SlackGateway:
    def __init__(self, client: MeteredWebClient) -> None:
        self.client = client
        # (workspace, channel) -> until when (monotonic) a check said "can post"
        self._postable: dict[tuple[str, str], float] = {}

    async def post_message(
        self, channel: str, message: Message, *, thread_ts: str | None = None, key: str | None = None,
        keys: Sequence[str] = (),
    ) -> Posted:
        """Post a message; `key` (and, for a bundle of replies, every member's `keys`) rides along as message
        metadata so a crashed send can be found again."""
        payload: dict[str, Any] = {"key": key} if key else {}
        if len(keys) > 1:
            payload["keys"] = list(keys)
        response = await self.client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks or None, thread_ts=thread_ts,
            unfurl_links=False, unfurl_media=False,
            metadata={"event_type": OUTBOX_EVENT, "event_payload": payload} if payload else None,
        )
        return Posted(channel=response["channel"], ts=response["ts"])

    async def find_posted(
        self, channel: str, keys: set[str], since: datetime, *, thread_ts: str | None = None
    ) -> dict[str, Posted]:
        """Which of `keys` Slack already has in `channel` (in the thread when given) since `since`: one history
        walk for all of them (a crash leaves many possibly-sent messages; a channel is read once, not per key)."""
        if channel[:1] in ("U", "W"):
            channel = await self.open_dm(channel)
        oldest = f"{since.timestamp() - 60:.6f}"
        cursor, found = None, {}
        for _ in range(10):
            if thread_ts:
                page = await self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
            else:
                page = await self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
            for item in page.get("messages", []):
                metadata = item.get("metadata") or {}
                if metadata.get("event_type") != OUTBOX_EVENT:
                    continue
                for key in metadata_keys(metadata.get("event_payload")):
                    if key in keys:
                        found[key] = Posted(channel=channel, ts=item["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor or len(found) == len(keys):
                break
        return found

    async def update_message(self, channel: str, ts: str, message: Message) -> None:
        await self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    async def post_ephemeral(self, channel: str, user_id: str, message: Message) -> None:
        await self.client.chat_postEphemeral(
            channel=channel, user=user_id, text=message.text, blocks=message.blocks or None
        )

    async def respond(self, response_url: str, message: Message, *, replace_original: bool = False) -> None:
        """Answer a slash command or button privately through its response_url. 500/503 and lost connections are
        retried (slack_sdk's handlers); any other non-200 raises ResponseUrlFailed, never ignored."""
        webhook = AsyncWebhookClient(response_url, timeout=10, session=self.client.http_session(),
                                     retry_handlers=_RESPONSE_URL_RETRIES)
        try:
            response = await webhook.send(
                text=message.text, blocks=message.blocks or None, response_type="ephemeral",
                replace_original=replace_original,
            )
        except Exception as exc:  # aiohttp's errors after the retries: Slack was not reachable
            self.client._metrics.slack_calls.labels("response_url", type(exc).__name__).inc()
            raise ResponseUrlFailed(0, type(exc).__name__, message) from exc
        ok = response.status_code == 200
        self.client._metrics.slack_calls.labels("response_url", "ok" if ok else str(response.status_code)).inc()
        if not ok:
            raise ResponseUrlFailed(response.status_code, str(response.body or "")[:100], message)

    async def respond_or_dm(self, response_url: str, user_id: str, message: Message, *,
                            replace_original: bool = False) -> None:
        """An answer that must reach `user_id`: through the response_url, or, when that refuses it (expired,
        used up, too long…), by DM. The DM is the same answer; if Slack refuses that too, a short note with
        Slack's reason, so the person knows an answer was lost and why."""
        try:
            await self.respond(response_url, message, replace_original=replace_original)
            return
        except ResponseUrlFailed as failure:
            await self.dm_instead(user_id, message, failure.error)

    async def dm_instead(self, user_id: str, message: Message, reason: str) -> None:
        """The answer a response_url refused, by DM; if Slack refuses that too, a short note naming the reason.
        A DM that drew a 429 is sent again: the pacer holds it until Slack's Retry-After has passed."""
        log.warning("response_url refused an answer (%s); sending it by DM", reason)
        for attempt in range(1, DM_ATTEMPTS + 1):
            try:
                await self.post_message(user_id, message)
                return
            except SlackApiError as error:
                if error.response.get("error") == "ratelimited" and attempt < DM_ATTEMPTS:
                    continue
                log.warning("the DM fallback was refused too: %s", error.response.get("error"))
                break
        await self.post_message(user_id, Message(
            text=f":warning: Headway had an answer for you, but Slack refused to show it ({reason}). "
                 "Please try again; if it keeps happening, tell your Headway admin."))

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        response = await self.client.views_open(trigger_id=trigger_id, view=view)
        return response["view"]["id"]

    async def update_view(self, view_id: str, view: dict[str, Any]) -> None:
        await self.client.views_update(view_id=view_id, view=view)

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        await self.client.views_publish(user_id=user_id, view=view)

    async def upload_file(self, filename: str, content: bytes, *, title: str, alt_text: str | None = None) -> str:
        """Upload a private file with Slack's external flow; returns its id (for an image block's slack_file).

        files.getUploadURLExternal → POST the bytes to the one-time upload_url → files.completeUploadExternal
        without a channel: the file is shared nowhere, only messages that reference it show it.
        """
        ticket = await self.client.files_getUploadURLExternal(filename=filename, length=len(content),
                                                              alt_txt=alt_text)
        await self._post_upload(str(ticket["upload_url"]), content)
        await self.client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": title}])
        return str(ticket["file_id"])

    async def share_files(self, channel: str, files: list[dict[str, str]], *, comment: str = "",
                          thread_ts: str | None = None) -> list[str]:
        """Share files (filename, title, content) in one message of `channel` with `comment`, through slack_sdk's
        files_upload_v2 (files.getUploadURLExternal per file, the upload, one files.completeUploadExternal)."""
        response = await self.client.files_upload_v2(
            file_uploads=[{"content": f["content"].encode(), "filename": f["filename"], "title": f["title"]}
                          for f in files],
            channel=channel, initial_comment=comment or None, thread_ts=thread_ts)
        return [str(f.get("id")) for f in response.get("files") or []]

    async def create_channel_canvas(self, channel: str, title: str, markdown: str) -> str:
        """The channel's own canvas (its tab); Slack answers channel_canvas_already_exists when it has one."""
        response = await self.client.conversations_canvases_create(
            channel_id=channel, title=title, document_content={"type": "markdown", "markdown": markdown})
        return str(response["canvas_id"])

    async def create_canvas(self, title: str, markdown: str) -> str:
        response = await self.client.canvases_create(
            title=title, document_content={"type": "markdown", "markdown": markdown})
        return str(response["canvas_id"])

    async def share_canvas(self, canvas_id: str, channel: str, level: str = "read") -> None:
        await self.client.canvases_access_set(canvas_id=canvas_id, access_level=level, channel_ids=[channel])

    async def edit_canvas(self, canvas_id: str, markdown: str) -> None:
        """Rewrite the whole canvas (one `replace` change)."""
        await self.client.canvases_edit(canvas_id=canvas_id, changes=[
            {"operation": "replace", "document_content": {"type": "markdown", "markdown": markdown}}])

    async def conversation(self, channel: str) -> str:
        """A channel id for methods that need one: a person's id becomes the id of their DM with Headway."""
        return await self.open_dm(channel) if channel[:1] in ("U", "W") else channel

    async def _post_upload(self, url: str, content: bytes) -> None:
        """The middle step is a plain HTTP POST, not a Web API method: counted as `upload_url` in /metrics."""
        try:
            async with self.client.http_session().post(
                url, data=content, headers={"Content-Type": "application/octet-stream"}, proxy=self.client.proxy,
                ssl=self.client.ssl if self.client.ssl is not None else True,
            ) as response:
                status = response.status
                await response.read()
        except Exception as exc:
            self.client._metrics.slack_calls.labels("upload_url", type(exc).__name__).inc()
            raise
        self.client._metrics.slack_calls.labels("upload_url", "ok" if status == 200 else str(status)).inc()
        if status != 200:
            raise UploadFailed(f"upload_url answered HTTP {status}")

    async def check_channel(self, channel: str, *, fresh: bool = False) -> ChannelCheck:
        """Can Headway post in `channel`? A member may; a public channel is posted to with chat:write.public or,
        without that scope, joined (channels:join); a private one needs an invitation. 429s and outages raise
        SlackUnavailable.

        A channel found postable is remembered for POSTABLE_FOR seconds (unless `fresh`): forms that name the
        same channel again and again (a morning of project edits) must not each wait for conversations.info's
        Tier 3 pace inside their ack. A refusal is never remembered: the person fixes it and submits again."""
        key = (current_team() or "", channel)
        if not fresh and self._postable.get(key, 0.0) > time.monotonic():
            return ChannelCheck(channel)
        check = await self._check_channel(channel)
        if check.ok:
            self._postable[key] = time.monotonic() + POSTABLE_FOR
        else:
            self._postable.pop(key, None)
        return check

    def forget_postable(self, team_id: str, channel: str) -> None:
        """Slack said the bot left the channel (or it was archived): the next form that names it asks again."""
        self._postable.pop((team_id, channel), None)

    async def _check_channel(self, channel: str) -> ChannelCheck:
        try:
            info = (await self.client.conversations_info(channel=channel))["channel"]
        except SlackApiError as error:
            if error.response.get("error") == "channel_not_found":
                return ChannelCheck(channel, "channel_not_found")
            # missing_scope (channels:read/groups:read not granted) and the rest: Headway cannot tell; the send
            # decides, and holds the message with a DM if Slack refuses it
            raise _unavailable("conversations.info", error) from error
        name = str(info.get("name") or "")[:80]
        if info.get("is_archived"):
            return ChannelCheck(channel, "is_archived", name)
        if info.get("is_member") or info.get("is_im") or info.get("is_mpim"):
            return ChannelCheck(channel)
        if info.get("is_private"):
            return ChannelCheck(channel, "not_in_channel", name)
        try:
            scopes = await self.scopes()
        except SlackApiError as error:
            raise _unavailable("auth.test", error) from error
        if scopes is None or "chat:write.public" in scopes:  # posts without joining (no "joined" noise)
            return ChannelCheck(channel)
        try:
            await self.client.conversations_join(channel=channel)
            return ChannelCheck(channel)
        except SlackApiError as error:
            if error.response.status_code == 429:
                raise _unavailable("conversations.join", error) from error
        return ChannelCheck(channel, "not_in_channel", name)

    async def scopes(self) -> frozenset[str] | None:
        """The token's granted scopes, from auth.test's x-oauth-scopes header (None when Slack did not say)."""
        response = await self.client.auth_test()
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        if "x-oauth-scopes" not in headers:
            return None
        return frozenset(s.strip() for s in str(headers["x-oauth-scopes"]).split(",") if s.strip())

    async def auth_ok(self) -> str | None:
        """None when the token works; otherwise Slack's reason (token_revoked, invalid_auth…)."""
        try:
            await self.client.auth_test()
        except SlackApiError as error:
            return str(error.response.get("error") or error.response.status_code)
        return None

    async def open_dm(self, user_id: str) -> str:
        response = await self.client.conversations_open(users=user_id)
        return response["channel"]["id"]

    async def profiles(self, user_ids: list[str]) -> dict[str, Profile]:
        """Many profiles: users.list pages (200 people a call) when there are more than a few, otherwise
        users.info each; both paced. Users Slack does not know are left out."""
        wanted, found = set(user_ids), {}
        if len(wanted) <= MANY_PROFILES:
            for user_id in user_ids:
                try:
                    found[user_id] = await self.profile(user_id)
                except UnknownUser:
                    continue
            return found
        cursor = None
        while True:
            try:
                page = await self.client.users_list(limit=200, cursor=cursor)
            except SlackApiError as error:
                raise _unavailable("users.list", error) from error
            for user in page.get("members", []):
                if user.get("id") in wanted:
                    found[user["id"]] = _profile(user)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor or len(found) == len(wanted):
                return found

    async def profile(self, user_id: str) -> Profile:
        """users.info as a Profile; an unknown user is UnknownUser (the person can pick again), other refusals
        arrive as RateLimited (429) or SlackUnavailable."""
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "user_not_visible"):
                raise UnknownUser(user_id) from error
            raise _unavailable("users.info", error) from error
        return _profile(user)


def _profile(user: dict[str, Any]) -> Profile:
    return profile_from_user(user)


def profile_from_user(user: dict[str, Any]) -> Profile:
    """A Slack user object (users.info, users.list, the user_change event) as a Profile, with its status
    (profile.status_text / status_emoji / status_expiration: objs_user_profile in web-api.openapi.v2.json)."""
    fields = user.get("profile") or {}
    return Profile(
        user_id=user["id"],
        name=user.get("name", ""),
        real_name=user.get("real_name") or user.get("profile", {}).get("real_name", ""),
        tz=user.get("tz") or "UTC",
        is_slack_admin=bool(user.get("is_admin") or user.get("is_owner")),
        is_bot=bool(user.get("is_bot")),
        deleted=bool(user.get("deleted")),
        status=Status(text=str(fields.get("status_text") or "")[:200],
                      emoji=str(fields.get("status_emoji") or "")[:100],
                      expiration=_int(fields.get("status_expiration"))),
    )


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _unavailable(method: str, error: SlackApiError) -> SlackUnavailable:
    """A SlackApiError as Headway's error: 429 keeps its Retry-After (1 s when Slack sends none)."""
    if error.response.status_code == 429:
        return RateLimited(method, int(error.response.headers.get("Retry-After", 1)))
    return SlackUnavailable(method, str(error.response.get("error") or error.response.status_code))

"""auth.test, users.* and conversations.* methods."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .api import ApiRequest, SlackError, slack_method
from .config import EmulatorUser
from .state import WorkspaceState

# zoneinfo only knows abbreviations; Slack shows long names in tz_label.
TZ_LABELS = {
    "UTC": "Coordinated Universal Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "WET": "Western European Time",
    "WEST": "Western European Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "MSK": "Moscow Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "KST": "Korea Standard Time",
    "HKT": "Hong Kong Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
    "NZST": "New Zealand Standard Time",
    "NZDT": "New Zealand Daylight Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "AKST": "Alaska Standard Time",
    "AKDT": "Alaska Daylight Time",
    "HST": "Hawaii-Aleutian Standard Time",
}
MAX_USERS_PAGE = 1000


def tz_fields(tz_name: str, now: datetime | None = None) -> dict[str, Any]:
    """tz, tz_label and tz_offset (seconds) for the zone's offset *now* (DST-aware)."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, tz_name = ZoneInfo("UTC"), "UTC"
    local = (now or datetime.now(zone)).astimezone(zone)
    offset = int(local.utcoffset().total_seconds())  # type: ignore[union-attr]
    abbr = local.tzname() or "UTC"
    label = TZ_LABELS.get(abbr)
    if label is None:
        sign, rest = ("+" if offset >= 0 else "-"), abs(offset)
        label = f"UTC{sign}{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return {"tz": tz_name, "tz_label": label, "tz_offset": offset}


def user_payload(
    state: WorkspaceState, user: EmulatorUser, req_scopes: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The `user` object of users.info / users.list."""
    real_name = user.real_name or user.name
    profile: dict[str, Any] = {
        "real_name": real_name,
        "real_name_normalized": real_name,
        "display_name": user.display_name,
        "display_name_normalized": user.display_name,
        # objs_user_profile in /work/shared/slack/web-api.openapi.v2.json: status_text, status_emoji (strings) and
        # status_expiration (integer, Unix time; 0 = no expiry), in users.info, users.list and users.profile.get.
        "status_text": user.status_text,
        "status_emoji": user.status_emoji,
        "status_expiration": user.status_expiration,
        "team": state.config.team_id,
        "image_24": f"https://emulator.invalid/avatars/{user.id}_24.png",
        "image_48": f"https://emulator.invalid/avatars/{user.id}_48.png",
        "image_72": f"https://emulator.invalid/avatars/{user.id}_72.png",
    }
    if user.email and (req_scopes is None or "users:read.email" in req_scopes):
        # profile.email only with users:read.email (https://docs.slack.dev/reference/scopes/users.read.email)
        profile["email"] = user.email
    if user.is_bot:
        profile["bot_id"] = state.config.bot_id if user.id == state.config.bot_user_id else "B" + user.id[1:]
    return {
        "id": user.id,
        "team_id": state.config.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": real_name,
        **tz_fields(user.tz),
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": user.is_owner,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1700000000,
    }


def channel_payload(state: WorkspaceState, channel_id: str) -> dict[str, Any]:
    """The `channel` object of conversations.info/open."""
    if channel_id in state.dm_channels:
        members = state.dm_channels[channel_id]
        if channel_id.startswith("D"):
            user = state.users.get(members[0])
            return {
                "id": channel_id,
                "created": 1700000000,
                "is_im": True,
                "is_org_shared": False,
                "user": members[0],
                "is_user_deleted": bool(user and user.deleted),
                "priority": 0,
            }
        return {
            "id": channel_id,
            "name": "mpdm-" + "--".join(state.users[m].name for m in members if m in state.users) + "-1",
            "is_mpim": True,
            "is_private": True,
            "is_im": False,
            "created": 1700000000,
        }
    channel = state.channels[channel_id]
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "is_general": channel.name == "general",
        "is_member": state.is_member(channel.id, state.config.bot_user_id),
        "created": 1700000000,
        "topic": {"value": channel.topic, "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


@slack_method("auth.test")
def auth_test(req: ApiRequest) -> dict[str, Any]:
    config = req.state.config
    answer = {
        "url": f"https://{config.team_domain}.slack.com/",
        "team": config.team_name,
        "user": config.bot_name,
        "team_id": config.team_id,
        "user_id": config.bot_user_id,
        "bot_id": config.bot_id,
        "app_id": config.app_id,
        "is_enterprise_install": bool(req.state.org_installed and config.enterprise_id),
    }
    if config.enterprise_id:  # Grid workspaces only (https://docs.slack.dev/reference/methods/auth.test)
        answer["enterprise_id"] = config.enterprise_id
    return answer


@slack_method("users.info")
def users_info(req: ApiRequest) -> dict[str, Any]:
    user = req.state.users.get(str(req.require("user")))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user_payload(req.state, user, req.token.scopes if req.token else None)}


@slack_method("users.profile.get")
def users_profile_get(req: ApiRequest) -> dict[str, Any]:
    """users.profile.get (spec: scope users.profile:read, params user and include_labels; without `user`, the
    calling user's profile; answers {"profile": objs_user_profile}). A bot token's own user is the bot user."""
    user_id = str(req.get("user") or req.state.config.bot_user_id)
    user = req.state.users.get(user_id)
    if user is None:
        raise SlackError("user_not_found")
    return {"profile": user_payload(req.state, user, req.token.scopes if req.token else None)["profile"]}


def _decode_cursor(cursor: str) -> str:
    try:
        kind, _, user_id = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
    except ValueError:
        raise SlackError("invalid_cursor") from None
    if kind != "user":
        raise SlackError("invalid_cursor")
    return user_id


@slack_method("users.list")
def users_list(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    ids = list(state.users)
    limit = int(req.get("limit", 0) or 0)
    limit = MAX_USERS_PAGE if limit <= 0 or limit > MAX_USERS_PAGE else limit
    start = 0
    cursor = req.get("cursor")
    if cursor:
        user_id = _decode_cursor(str(cursor))
        if user_id not in ids:
            raise SlackError("invalid_cursor")
        start = ids.index(user_id)
    page = ids[start : start + limit]
    next_cursor = ""
    if start + limit < len(ids):
        next_cursor = base64.b64encode(f"user:{ids[start + limit]}".encode()).decode()
    return {
        "members": [user_payload(state, state.users[i], req.token.scopes if req.token else None) for i in page],
        "cache_ts": 1700000000,
        "response_metadata": {"next_cursor": next_cursor},
    }


@slack_method("conversations.open")
def conversations_open(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    if req.get("channel"):
        channel_id = str(req.get("channel"))
        if channel_id not in state.dm_channels:
            raise SlackError("channel_not_found")
        return {"no_op": True, "already_open": True, "channel": channel_payload(state, channel_id)}
    raw = req.get("users")
    user_ids = [u.strip() for u in (raw if isinstance(raw, list) else str(raw or "").split(",")) if u.strip()]
    if not user_ids:
        raise SlackError("users_list_not_supplied")
    if len(user_ids) > 8:
        raise SlackError("too_many_users")
    for user_id in user_ids:
        user = state.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
    if user_ids == [state.config.bot_user_id]:
        raise SlackError("cannot_dm_bot")
    already = state.dm_id_for(user_ids) in state.dm_channels
    channel_id = state.dm_channel_for(user_ids)
    payload = channel_payload(state, channel_id) if req.flag("return_im") else {"id": channel_id}
    return {"no_op": already, "already_open": already, "channel": payload}


@slack_method("conversations.info")
def conversations_info(req: ApiRequest) -> dict[str, Any]:
    """A private channel the bot is not in does not exist for it (channel_not_found, as in the spec's enum)."""
    state = req.state
    channel_id = str(req.require("channel"))
    channel = state.channels.get(channel_id)
    if channel is None and channel_id not in state.dm_channels:
        raise SlackError("channel_not_found")
    if channel is not None and channel.is_private and not state.is_member(channel_id, state.config.bot_user_id):
        raise SlackError("channel_not_found")
    return {"channel": channel_payload(state, channel_id)}


@slack_method("conversations.join")
def conversations_join(req: ApiRequest) -> dict[str, Any]:
    """The bot joins a public channel (needs channels:join). Errors from the spec's enum for conversations.join:
    channel_not_found, is_archived, method_not_supported_for_channel_type (private channels need an invite)."""
    state = req.state
    channel_id = str(req.require("channel"))
    channel = state.channels.get(channel_id)
    member = channel is not None and state.is_member(channel_id, state.config.bot_user_id)
    if channel is None or (channel.is_private and not member):
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")
    if channel.is_private:
        raise SlackError("method_not_supported_for_channel_type")
    state.set_bot_member(channel_id, True)
    answer: dict[str, Any] = {"channel": channel_payload(state, channel_id)}
    if member:
        answer["warning"] = "already_in_channel"
        answer["response_metadata"] = {"warnings": ["already_in_channel"]}
    return answer

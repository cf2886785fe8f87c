"""Tokens and scopes: who may call which Web API method, answered the way Slack answers.

Sources:
- Token errors (`not_authed`, `invalid_auth`, `token_revoked`, `account_inactive`) and `missing_scope`:
  the shared spec ../shared/slack/web-api.openapi.v2.json (each method's `default` error enum) and
  https://docs.slack.dev/authentication/tokens ("Token types").
- `missing_scope` carries `needed` and `provided`; every answer carries `x-oauth-scopes` (granted) and
  `x-accepted-oauth-scopes` (what the method accepts): https://docs.slack.dev/authentication/installing-with-oauth
  ("Checking scopes") and https://docs.slack.dev/reference/methods/auth.test.
- Per-method bot scopes: each method's reference page under https://docs.slack.dev/reference/methods/ ("Required
  scopes", granular bot token column). The spec's `security` lists predate granular bot scopes (it says
  `chat:write:bot`), so the bot-token names come from the docs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import WorkspaceState

APP_TOKEN_METHODS = frozenset({"apps.connections.open"})  # app-level (xapp-) tokens only

# One scope per method, whatever the conversation (docs.slack.dev/reference/methods/<method>).
METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "users.info": "users:read",
    "users.list": "users:read",
    "users.profile.get": "users.profile:read",  # spec: slackAuth users.profile:read
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "conversations.join": "channels:join",
    "apps.connections.open": "connections:write",
    "canvases.create": "canvases:write",  # https://docs.slack.dev/reference/methods/canvases.create (and below)
    "canvases.edit": "canvases:write",
    "canvases.delete": "canvases:write",
    "canvases.access.set": "canvases:write",
    "conversations.canvases.create": "canvases:write",
    # auth.test and views.* need no scope (their reference pages list none).
}
# Scopes that depend on the kind of conversation: public channel, private channel, DM, group DM.
CONVERSATION_SCOPES: dict[str, str] = {
    "conversations.history": "history",  # channels:history / groups:history / im:history / mpim:history
    "conversations.replies": "history",
    "conversations.info": "read",  # channels:read / groups:read / im:read / mpim:read
}
KIND_PREFIX = {"public": "channels", "private": "groups", "im": "im", "mpim": "mpim"}


@dataclass
class Token:
    """One issued token: `bot` (xoxb-) or `app` (xapp-), its granted scopes, and why it no longer works."""

    value: str
    kind: str
    scopes: tuple[str, ...]
    dead: str | None = None  # token_revoked, account_inactive… once revoked
    expires_at: float | None = None  # rotating tokens (oauth.py): `token_expired` from then on


class AuthError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def conversation_kind(state: WorkspaceState, ref: Any) -> str | None:
    channel_id = state.resolve_channel(str(ref)) if ref else None
    if channel_id is None:
        return None
    if channel_id in state.dm_channels:
        return "im" if channel_id.startswith("D") else "mpim"
    if not state.channels[channel_id].is_private:
        return "public"
    # A private channel the bot is not in is invisible: the method answers channel_not_found, not missing_scope.
    return "private" if state.is_member(channel_id, state.config.bot_user_id) else None


def needed_scope(state: WorkspaceState, method: str, params: dict[str, Any]) -> str | None:
    """The scope this call needs, or None (no scope, or a conversation that does not exist: the method answers)."""
    if method in METHOD_SCOPES:
        return METHOD_SCOPES[method]
    if method in CONVERSATION_SCOPES:
        kind = conversation_kind(state, params.get("channel"))
        return f"{KIND_PREFIX[kind]}:{CONVERSATION_SCOPES[method]}" if kind else None
    if method == "conversations.open":  # im:write for one person, mpim:write for a group DM
        users = params.get("users")
        count = len(users) if isinstance(users, list) else len([u for u in str(users or "").split(",") if u.strip()])
        return "mpim:write" if count > 1 else "im:write"
    return None


def authenticate(state: WorkspaceState, method: str, token: str | None, params: dict[str, Any]) -> Token:
    """The caller's token, or AuthError with Slack's answer (checked in Slack's order: auth, type, scope)."""
    if not token:
        raise AuthError("not_authed")
    found = state.tokens.get(token)
    if found is None:
        raise AuthError("invalid_auth")
    if found.dead:
        raise AuthError(found.dead)
    if found.expires_at is not None and found.expires_at <= state.now():
        raise AuthError("token_expired")  # https://docs.slack.dev/authentication/using-token-rotation
    if (method in APP_TOKEN_METHODS) != (found.kind == "app"):
        raise AuthError("not_allowed_token_type")
    needed = needed_scope(state, method, params)
    if needed is not None and needed not in found.scopes:
        raise AuthError("missing_scope", needed=needed, provided=",".join(found.scopes))
    return found

"""A person sets their Slack status: the profile changes and subscribed apps get `user_change`.

Slack sends `user_change` "when a member's data has changed" to apps subscribed to it with users:read
(/work/shared/slack/events-api.asyncapi.v1.json, "user.change": x-scopes-required users:read); the event carries the
whole user object as users.info shows it, and a `cache_ts` (https://docs.slack.dev/reference/events/user_change).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .methods_users import user_payload

if TYPE_CHECKING:
    from .config import EmulatorConfig
    from .state import WorkspaceState

MAX_STATUS_TEXT = 100  # users.profile.set: "status_text … up to 100 characters"


class StatusControl:
    """Mixed into SlackEmulator: `set_status` is the person's own move (the playground and the control API)."""

    state: WorkspaceState
    config: EmulatorConfig

    if TYPE_CHECKING:
        def _send_app_event(self, event: dict[str, Any]) -> None: ...  # provided by InstallControl

    def set_status(self, user_id: str, text: str = "", emoji: str = "", expiration: int = 0) -> dict[str, Any]:
        """Set (or, with empty text and emoji, clear) a person's status; returns their profile."""
        user = self.state.users.get(user_id)
        if user is None:
            raise KeyError(f"no user {user_id}")
        emoji = emoji.strip()
        if emoji and not (emoji.startswith(":") and emoji.endswith(":") and len(emoji) > 2):
            raise ValueError("status_emoji must look like :palm_tree:")
        user.status_text, user.status_emoji = text[:MAX_STATUS_TEXT], emoji
        user.status_expiration = max(0, int(expiration or 0))
        payload = user_payload(self.state, user)
        if "users:read" in self.state.bot_token().scopes:
            self._send_app_event({"type": "user_change", "user": payload, "cache_ts": int(time.time())})
        return payload["profile"]

"""Emulator operations the driver needs (also exposed via POST /_emulator/rpc).

Everything returns plain JSON-able data (copies, not live state), so the same
calls work in-process, across threads and over HTTP.
"""

from __future__ import annotations

import copy
from typing import Any

from . import interactions
from .config import EmulatorConfig
from .state import WorkspaceState


class DriverSupport:
    """Mixin for SlackEmulator: trigger_ids, response_urls, held views, view answers."""

    config: EmulatorConfig
    state: WorkspaceState
    base_url: str

    def workspace_info(self) -> dict[str, Any]:
        c = self.config
        default_channel = next(iter(self.state.channels), "C0GENERAL")
        return {
            "team_id": c.team_id,
            "team_domain": c.team_domain,
            "app_id": c.app_id,
            "bot_user_id": c.bot_user_id,
            "base_url": self.base_url,
            "default_channel_id": default_channel,
            "enterprise_id": c.enterprise_id,
            "is_enterprise_install": bool(c.enterprise_id and self.state.org_installed),
        }

    def channel_name(self, channel_id: str) -> str:
        return self.state.channel_name(channel_id)

    def user_info(self, user_id: str) -> dict[str, Any] | None:
        user = self.state.users.get(user_id)
        return user.to_dict() if user else None

    def issue_trigger(self, user_id: str) -> str:
        return self.state.issue_trigger(user_id)

    def new_response_url(
        self, channel_id: str | None, user_id: str | None, message_ts: str | None = None, is_ephemeral: bool = False
    ) -> dict[str, str]:
        return interactions.new_response_url(
            self.state,
            self.base_url,
            channel_id=channel_id,
            user_id=user_id,
            message_ts=message_ts,
            is_ephemeral=is_ephemeral,
        )

    def responses_for(self, response_id: str) -> list[dict[str, Any]]:
        target = self.state.response_urls.get(response_id)
        return list(target.posts) if target else []

    def get_view(self, view_id: str) -> dict[str, Any] | None:
        view = self.state.views.get(view_id)
        return copy.deepcopy(view) if view else None

    def top_view(self, user_id: str) -> dict[str, Any] | None:
        stack = self.state.modal_stacks.get(user_id) or []
        return self.get_view(stack[-1]) if stack else None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        view_id = self.state.home_views.get(user_id)
        return self.get_view(view_id) if view_id else None

    def view_values(self, view_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.state.view_state.get(view_id, {}))

    def set_view_value(self, view_id: str, block_id: str, action_id: str, value: dict[str, Any]) -> None:
        interactions.set_view_value(self.state, view_id, block_id, action_id, value)

    def apply_view_response(self, view_id: str, body: Any) -> dict[str, Any]:
        return interactions.apply_view_response(self.state, view_id, body)

    def close_view(self, view_id: str, clear: bool = False) -> list[str]:
        return interactions.close_view(self.state, view_id, clear=clear)

    def get_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A channel message, or an ephemeral one (marked `is_ephemeral`)."""
        channel_id = self.state.resolve_channel(channel) or channel
        message = self.state.get_message(channel_id, ts)
        if message is None:
            found = [e for e in self.state.ephemerals if e["ts"] == ts and e["channel"] == channel_id]
            message = {**found[0], "is_ephemeral": True} if found else None
        return copy.deepcopy(message) if message else None

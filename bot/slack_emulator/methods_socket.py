"""apps.connections.open: a short-lived WebSocket URL for Socket Mode (app-level token with connections:write).

Source: https://docs.slack.dev/reference/methods/apps.connections.open — answers `{"ok": true, "url": "wss://…"}`;
the token checks (not_authed, invalid_auth, not_allowed_token_type for a bot token) happen in auth.py.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .api import ApiRequest, slack_method


@slack_method("apps.connections.open")
def apps_connections_open(req: ApiRequest) -> dict[str, Any]:
    ticket = uuid.uuid4().hex
    req.state.socket_tickets[ticket] = time.monotonic()
    ws_base = "ws" + req.base_url.removeprefix("http")
    return {"url": f"{ws_base}/_emulator/socket?ticket={ticket}&app_id={req.state.config.app_id}"}

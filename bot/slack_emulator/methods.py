"""The Web API method table: importing the handler modules registers them.

`call_method` turns one authenticated, non-faulted call into Slack's JSON answer.
"""

from __future__ import annotations

import logging
from typing import Any

from . import (  # noqa: F401  (registration)
    methods_canvases,
    methods_chat,
    methods_conversations,
    methods_files,
    methods_functions,
    methods_socket,
    methods_users,
    methods_views,
)
from .api import REGISTRY, ApiRequest, SlackError
from .auth import Token
from .state import WorkspaceState

log = logging.getLogger(__name__)


def is_known(method: str) -> bool:
    return method in REGISTRY


def call_method(
    state: WorkspaceState, method: str, params: dict[str, Any], base_url: str, token: Token | None = None
) -> tuple[int, dict]:
    """Run a handler; return (HTTP status, body). Emulator bugs surface as HTTP 500."""
    handler = REGISTRY.get(method)
    if handler is None:
        return 200, {"ok": False, "error": "unknown_method"}
    try:
        return 200, {"ok": True, **handler(ApiRequest(method, params, state, base_url, token))}
    except SlackError as exc:
        return 200, exc.body
    except Exception as exc:  # pragma: no cover - emulator bug, keep serving
        log.exception("slack emulator handler %s crashed", method)
        return 500, {"ok": False, "error": "internal_error", "emulator_exception": repr(exc)}

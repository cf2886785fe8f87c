"""Plumbing shared by all Web API method handlers.

A handler is a plain function `(ApiRequest) -> dict` registered under its Slack
method name; it raises `SlackError` for `ok: false` answers. Keeping handlers
synchronous makes every method atomic with respect to the event loop.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .auth import Token
from .state import WorkspaceState

JSON_PARAMS = ("blocks", "attachments", "view", "files", "metadata", "document_content", "changes", "channel_ids",
               "user_ids")
_TRUE = {"1", "true", "yes", "on"}


class SlackError(Exception):
    """An `ok: false` answer with Slack's error code and optional extra fields."""

    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.body: dict[str, Any] = {"ok": False, "error": error, **extra}
        if messages:
            self.body["response_metadata"] = {"messages": messages}


@dataclass
class ApiRequest:
    """One call's arguments plus the workspace it acts on."""

    method: str
    params: dict[str, Any]
    state: WorkspaceState
    base_url: str
    token: Token | None = None

    def has_scope(self, scope: str) -> bool:
        return self.token is not None and scope in self.token.scopes

    def get(self, key: str, default: Any = None) -> Any:
        value = self.params.get(key)
        return default if value is None or value == "" else value

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise SlackError("invalid_arguments", [f"[ERROR] missing required field: {key}"])
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.params.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in _TRUE

    def json_value(self, key: str, error: str = "invalid_arguments") -> Any:
        """A JSON argument that may arrive decoded (JSON body) or as a string (form body)."""
        value = self.params.get(key)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(error, [f"[ERROR] `{key}` is not valid JSON"]) from None
        return value


Handler = Callable[[ApiRequest], dict[str, Any]]
REGISTRY: dict[str, Handler] = {}


def slack_method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under a Slack Web API method name."""

    def decorate(func: Handler) -> Handler:
        REGISTRY[name] = func
        return func

    return decorate


def decode_json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Decode JSON-in-form values (blocks, view, …) so recorded calls are easy to assert on."""
    decoded = dict(params)
    for key in JSON_PARAMS:
        value = decoded.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                decoded[key] = json.loads(value)
    return decoded

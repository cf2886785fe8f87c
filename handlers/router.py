"""One Bolt listener per kind of request; the id picks the handler in a dict.

Bolt asks every listener in turn whether it matches, building that listener's arguments each time (~30 µs a
listener): with Headway's 27 listeners that was most of an ack. Here Bolt sees four listeners — slash commands,
block actions, view submissions, events — and the command, action_id, callback_id or event type finds the
handler in one lookup. Modules still register their own handlers with `register(router, hw)`, with the same
decorator shape as Bolt's app (`router.action(ActionId.X)(listener)`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

Listener = Callable[..., Awaitable[None]]
Key = str | re.Pattern[str]
KINDS = ("command", "action", "view", "event", "shortcut")


class Router:
    def __init__(self) -> None:
        self._exact: dict[str, dict[str, Listener]] = {kind: {} for kind in KINDS}
        self._patterns: dict[str, list[tuple[re.Pattern[str], Listener]]] = {kind: [] for kind in KINDS}

    def command(self, name: str) -> Callable[[Listener], Listener]:
        return self._add("command", name)

    def action(self, action_id: Key) -> Callable[[Listener], Listener]:
        return self._add("action", action_id)

    def view(self, callback_id: Key) -> Callable[[Listener], Listener]:
        return self._add("view", callback_id)

    def event(self, event_type: str) -> Callable[[Listener], Listener]:
        return self._add("event", event_type)

    def shortcut(self, callback_id: Key) -> Callable[[Listener], Listener]:
        """Global and message shortcuts, by callback_id."""
        return self._add("shortcut", callback_id)

    def _add(self, kind: str, key: Key) -> Callable[[Listener], Listener]:
        def add(listener: Listener) -> Listener:
            if isinstance(key, re.Pattern):
                self._patterns[kind].append((key, listener))
            elif key in self._exact[kind]:
                raise ValueError(f"the {kind} {key!r} is registered twice; only one handler would ever run")
            else:
                self._exact[kind][str(key)] = listener
            return listener

        return add

    def find(self, kind: str, key: str) -> Listener | None:
        found = self._exact[kind].get(key)
        if found is None:
            found = next((listener for pattern, listener in self._patterns[kind] if pattern.search(key)), None)
        return found

    def attach(self, app: AsyncApp, unknown_command: Callable[[str], dict[str, Any]]) -> None:
        """Register the four Bolt listeners. Anything without a handler is still acked (a link button sends a
        block action too); an unknown slash command gets `unknown_command(name)` as its ephemeral answer."""

        def route(kind: str, key_of: Callable[[dict[str, Any]], str]) -> Listener:
            async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext,
                               view: dict[str, Any] | None, event: dict[str, Any] | None) -> None:
                key = key_of(body)
                handler = self.find(kind, key)
                if handler is not None:
                    await handler(ack=ack, body=body, context=context, view=view, event=event)
                elif kind == "command":
                    await ack(**unknown_command(key))
                else:
                    await ack()

            listener.__name__ = listener.__qualname__ = f"route_{kind}"
            return listener

        anything = re.compile(".*")
        app.command(anything)(route("command", lambda body: str(body.get("command", ""))))
        app.action(anything)(route("action", lambda body: str((body.get("actions") or [{}])[0].get("action_id", ""))))
        app.view(anything)(route("view", lambda body: str((body.get("view") or {}).get("callback_id", ""))))
        app.event(anything)(route("event", lambda body: str((body.get("event") or {}).get("type", ""))))
        app.shortcut(anything)(route("shortcut", lambda body: str(body.get("callback_id", ""))))

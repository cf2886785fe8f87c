"""Socket Mode's client, guarded like the HTTP door: a malformed envelope is acked (so Slack does not send it
again) and logged as one warning line, never a traceback; a frame over the size limit is logged as such and the
connection reopened at once. Everything else is slack_sdk's aiohttp client and Bolt's handler, unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMessage
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack_shape import envelope_problem

log = logging.getLogger("headway.slack")
MAX_FRAME_BYTES = 4 * 1024 * 1024  # aiohttp's default max_msg_size, which slack_sdk's client keeps


class GuardedSocketModeClient(SocketModeClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running: set[asyncio.Future[None]] = set()
        self.on_error_listeners.append(self._on_error)

    async def process_message(self) -> None:
        raw = await self.message_queue.get()
        if raw is None:
            return
        try:
            message = json.loads(raw) if raw.startswith("{") else {}
        except ValueError:
            log.warning("Socket Mode: ignored a frame that is not JSON (%d characters)", len(raw))
            return
        if envelope_problem(message) is not None:
            await self._refuse(message)
            return
        task = asyncio.ensure_future(self.run_message_listeners(message, raw))  # concurrently, as slack_sdk does
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _refuse(self, message: Any) -> None:
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if isinstance(envelope_id, str) and envelope_id:
            await self.send_socket_mode_response(SocketModeResponse(envelope_id=envelope_id))
        log.warning("Socket Mode: malformed envelope %s ignored%s: %s", str(envelope_id)[:64] or "(no id)",
                    " (acked)" if isinstance(envelope_id, str) and envelope_id else "", envelope_problem(message))

    async def _on_error(self, message: WSMessage) -> None:
        error = message.data
        if getattr(error, "code", None) == WSCloseCode.MESSAGE_TOO_BIG:
            log.warning("Socket Mode: Slack sent a frame over %d bytes; it was dropped with the connection, "
                        "which is reopened now", MAX_FRAME_BYTES)
        else:
            log.warning("Socket Mode: the connection failed (%s); it is reopened now", error)
        if not self.closed:
            await self.connect_to_new_endpoint()


class GuardedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's aiohttp Socket Mode handler on GuardedSocketModeClient (built here, not replaced after the fact,
    so no second client session is opened)."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:  # noqa: D107 - what AsyncSocketModeHandler does
        self.app = app
        self.app_token = app_token
        self.client = GuardedSocketModeClient(app_token=app_token, logger=app.logger, web_client=app.client)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

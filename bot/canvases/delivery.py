"""Sending a project's canvas from the outbox: the first send creates it — the channel's own canvas
(conversations.canvases.create) when the channel has none, else a canvas shared to the channel
(canvases.create + canvases.access.set) — later sends rewrite it (canvases.edit, replace).

- An edit superseded by a newer one already queued is skipped: only the latest content matters.
- A canvas someone deleted (canvas_not_found) is forgotten and the row held with a DM (bot.delivery.held):
  Retry creates a new one. A channel Headway cannot use is held the same way, like any message.
- missing_scope (canvases:write not granted): skipped, not held — Headway works without canvases, and
  `headway check` says how to get them.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import col, select

from bot.db import Database
from bot.delivery.gateway import SlackGateway
from bot.models import OutboxMessage, ProjectCanvas

log = logging.getLogger(__name__)


async def deliver_canvas(db: Database, gateway: SlackGateway, row: OutboxMessage, payload: dict[str, Any]
                         ) -> tuple[str | None, str | None]:
    wanted = payload["canvas"]
    async with db.unit_of_work() as session:
        canvas = (await session.exec(select(ProjectCanvas).where(
            ProjectCanvas.project_id == wanted["project_id"]))).first()
    if canvas is None or int(wanted["version"]) < canvas.version:
        return row.channel, None  # the project is gone, or a newer version is queued behind this one
    try:
        if canvas.canvas_id is None:
            canvas_id = await _create(gateway, row.channel, wanted["title"], wanted["markdown"])
            async with db.unit_of_work() as session:
                await session.exec(update(ProjectCanvas).where(col(ProjectCanvas.id) == canvas.id)  # type: ignore[call-overload]
                                   .values(canvas_id=canvas_id))
            return row.channel, None
        await gateway.edit_canvas(canvas.canvas_id, wanted["markdown"])
        return row.channel, None
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "missing_scope":
            log.info("no canvases:write: %s keeps working without its canvas", row.channel)
            return row.channel, None
        if code == "canvas_not_found":  # deleted in Slack: a Retry makes a new one
            async with db.unit_of_work() as session:
                await session.exec(update(ProjectCanvas).where(col(ProjectCanvas.id) == canvas.id)  # type: ignore[call-overload]
                                   .values(canvas_id=None))
        raise


async def _create(gateway: SlackGateway, channel: str, title: str, markdown: str) -> str:
    try:
        return await gateway.create_channel_canvas(channel, title, markdown)
    except SlackApiError as error:
        if error.response.get("error") != "channel_canvas_already_exists":
            raise
    canvas_id = await gateway.create_canvas(title, markdown)
    await gateway.share_canvas(canvas_id, channel)
    return canvas_id

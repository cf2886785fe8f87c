"""Modals open within a trigger_id's 3 s: filled when the view is ready almost at once, otherwise with a loading
view that is filled when it is; a problem becomes a notice."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot import save_budget
from bot.app import Headway
from bot.errors import HeadwayError

log = logging.getLogger(__name__)
LOADING = ":hourglass_flowing_sand: Loading…"
# A view built by this long after the request arrived opens filled: one Slack call and no flicker. Later than
# that, the loading view goes first (the trigger would not wait for a slow read) and the view follows.
FILLED_WITHIN = 0.5


def is_loading(view: dict[str, Any] | None) -> bool:
    """Whether a modal still shows the loading view (for those who wait for it to be filled: tests, the demo)."""
    return LOADING in json.dumps(view or {}, ensure_ascii=False)


def notice(hw: Headway, title: str, text: str) -> dict[str, Any]:
    return hw.renderer.view("views/notice.json.j2", title=title, text=text)


async def open_then_fill(hw: Headway, trigger_id: str, title: str,
                         build: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Open `build()`'s view (or the problem it raised): filled if it is ready in time, else loading, then filled."""
    building = asyncio.ensure_future(_view_or_problem(hw, title, build))
    try:
        await asyncio.wait({building}, timeout=max(0.0, FILLED_WITHIN - save_budget.since_arrival()))
        if building.done():
            await hw.gateway.open_view(trigger_id, building.result())
            return
        view_id = await hw.gateway.open_view(trigger_id, notice(hw, title, LOADING))
        await hw.gateway.update_view(view_id, await building)
    finally:
        building.cancel()  # the trigger expired or the open failed: nothing will show the view


async def fill_view(hw: Headway, view_id: str, title: str, build: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Replace an open modal with `build()`'s view, or with the problem it raised."""
    await hw.gateway.update_view(view_id, await _view_or_problem(hw, title, build))


async def _view_or_problem(hw: Headway, title: str, build: Callable[[], Awaitable[dict[str, Any]]]
                           ) -> dict[str, Any]:
    """The view, or what went wrong in its place: the person who opened the modal is told either way."""
    try:
        return await build()
    except HeadwayError as error:
        return notice(hw, title, f":warning: {error}")
    except Exception:
        log.exception("building the %r modal failed", title)
        internal = hw.renderer.message("errors/internal.json.j2").text
        return notice(hw, title, f":warning: {internal} Please try again in a moment.")

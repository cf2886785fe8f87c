"""Modals open at once with a loading view (a trigger_id lives 3 s), then fill; a problem becomes a notice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.app import Headway
from bot.errors import HeadwayError

LOADING = ":hourglass_flowing_sand: Loading…"


def notice(hw: Headway, title: str, text: str) -> dict[str, Any]:
    return hw.renderer.view("views/notice.json.j2", title=title, text=text)


async def open_then_fill(hw: Headway, trigger_id: str, title: str,
                         build: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Open a loading modal, then replace it with `build()`'s view, or with the problem it raised."""
    view_id = await hw.gateway.open_view(trigger_id, notice(hw, title, LOADING))
    await fill_view(hw, view_id, title, build)


async def fill_view(hw: Headway, view_id: str, title: str, build: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Replace an open modal with `build()`'s view, or with the problem it raised."""
    try:
        view = await build()
    except HeadwayError as error:
        view = notice(hw, title, f":warning: {error}")
    await hw.gateway.update_view(view_id, view)

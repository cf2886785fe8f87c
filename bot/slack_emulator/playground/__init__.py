"""A Slack-like web page on the emulator: click through the app as any person of the workspace.

`PlaygroundEmulator` serves the page (plain HTML/CSS/JS in `static/`, no build step), a small JSON API under
`/playground/api/` and a WebSocket change feed. `headway playground` (bot/demo/playground.py) runs it with Headway.
"""

from .hub import ClockControl, Playground
from .routes import PlaygroundEmulator, add_playground_routes

__all__ = ["ClockControl", "Playground", "PlaygroundEmulator", "add_playground_routes"]

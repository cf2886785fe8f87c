"""Slack listeners. Each module registers its own with `register(app, hw)`; nothing registers on import."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.app import Headway


def register_all(app: AsyncApp, hw: Headway) -> None:
    from handlers import headway, home, standup_prompts, standups

    headway.register(app, hw)
    standups.register(app, hw)
    standup_prompts.register(app, hw)
    home.register(app, hw)

    from handlers import gate_actions, gates

    gates.register(app, hw)
    gate_actions.register(app, hw)

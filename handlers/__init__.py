"""Slack listeners. Each module registers its own with `register(router, hw)`; nothing registers on import."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.app import Headway


def register_all(app: AsyncApp, hw: Headway) -> None:
    from handlers import (
        delivery,
        evidence,
        follow_through,
        gate_actions,
        gates,
        headway,
        home,
        membership,
        onboarding,
        standup_prompts,
        standups,
        time_off,
    )
    from handlers.replies import ack_body
    from handlers.router import Router

    router = Router()
    for module in (headway, standups, standup_prompts, home, gates, gate_actions, delivery, onboarding, evidence,
                   follow_through, time_off, membership):
        module.register(router, hw)

    def unknown_command(name: str) -> dict[str, object]:
        return ack_body(hw.renderer.message("errors/problem.json.j2",
                                            problem=f"Headway has no {name} command. Try /headway help."))

    from handlers.steps import register_steps

    register_steps(app, hw)  # Workflow Builder's custom steps: Bolt's function listeners, before the router
    router.attach(app, unknown_command)

"""The `/headway` command: its subcommands come from the domain handler modules."""

from __future__ import annotations

from bot.app import Headway
from handlers import digests, experiments, mlflow, production, projects, roles
from handlers.commands import register_command
from handlers.registry import CommandRegistry
from handlers.router import Router


def build_registry() -> CommandRegistry:
    registry = CommandRegistry("/headway", "Projects, roles and progress for your ML portfolio.")
    registry.add("help", "This list", None)
    projects.add_subcommands(registry)
    roles.add_subcommands(registry)
    experiments.add_subcommands(registry)
    mlflow.add_subcommands(registry)
    digests.add_subcommands(registry)
    production.add_subcommands(registry)
    return registry


def register(router: Router, hw: Headway) -> None:
    register_command(router, hw, build_registry())
    projects.register(router, hw)
    experiments.register(router, hw)
    production.register(router, hw)

"""The `/headway` command: its subcommands come from the domain handler modules."""

from __future__ import annotations

from bot.app import Headway
from handlers import digests, experiments, lifecycles, mlflow, production, projects, reports, roles
from handlers.commands import register_command
from handlers.registry import Audience, CommandRegistry
from handlers.router import Router

# `/headway help` by what people do; a subcommand added without a place here is listed under "More".
AUDIENCES = (
    Audience("Team members", ("log", "goal", "experiment new", "experiment close", "show", "project list",
                              "project show")),
    Audience("PMs", ("project new", "project edit", "token", "token revoke", "mlflow", "mlflow webhook")),
    Audience("Executives", ("digest subscribe", "digest preview", "digest unsubscribe", "report")),
    Audience("Admins", ("role",)),
)
SEE_ALSO = (("/standup", "async standups in everyone's time zone: set one up, skip a day, go away"),
            ("/gate", "go/no-go decisions at stage boundaries: request one, see status and votes"))


def build_registry() -> CommandRegistry:
    registry = CommandRegistry("/headway", "Projects, roles and progress for your ML portfolio.",
                               audiences=AUDIENCES, see_also=SEE_ALSO)
    registry.add("help", "This list", None)
    projects.add_subcommands(registry)
    roles.add_subcommands(registry)
    experiments.add_subcommands(registry)
    mlflow.add_subcommands(registry)
    digests.add_subcommands(registry)
    lifecycles.add_subcommands(registry)
    production.add_subcommands(registry)
    reports.add_subcommands(registry)
    return registry


def register(router: Router, hw: Headway) -> None:
    register_command(router, hw, build_registry())
    projects.register(router, hw)
    experiments.register(router, hw)
    lifecycles.register(router, hw)
    production.register(router, hw)

"""The one-line business reason behind a health label ("now catches 7 of every 10 fraud cases, down from 8 at
launch"), through the project's lens; the words live in templates/production/reason.json.j2."""

from __future__ import annotations

from bot.models import ProductionHealth, Project
from bot.progress.judgement import MetricSpec
from bot.progress.lenses import lens_facts, lens_for
from bot.projects.status import lens_params
from bot.render import Renderer


def health_reason(renderer: Renderer, project: Project, health: ProductionHealth, live: float | None,
                  alert: str | None = None) -> str:
    """Already mrkdwn-escaped (like LensText): embed with `|plain` in JSON templates."""
    spec = MetricSpec(direction=str(project.metric_direction), baseline=None,  # type: ignore[arg-type]
                      target=health.launch_value, name=health.metric or project.metric_name,
                      unit=project.metric_unit or "")
    lens = lens_for(project.metric_name, project.lens)
    facts = lens_facts(lens, spec, live, lens_params(project), base=lens_for(project.metric_name))
    data = renderer.render_json("production/reason.json.j2", alert=alert, **facts)
    return str(data["reason"]).strip()

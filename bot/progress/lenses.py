"""Business lenses: a project's evaluation metric said in terms the business cares about.

"Recall 0.81" means little to an executive; "catches 8 of every 10 fraud cases (target 9)" does. A lens is
a name; its numbers come from `lens_facts` (Python) and its words from `templates/lenses/<lens>.json.j2`,
which renders `{"headline": …, "technical": …}` through the project's one Jinja environment. A team can
add a lens by dropping a template of that name into HEADWAY_TEMPLATES_DIR/lenses/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateNotFound

from bot.progress.figures import Scale, scale_of
from bot.progress.judgement import MetricSpec
from bot.progress.lens_facts import BUILT_IN_LENSES, LensParams, lens_facts
from bot.render import Renderer, TemplateOutputError

__all__ = ["BUILT_IN_LENSES", "LensParams", "LensText", "UnknownLensError", "describe", "lens_facts", "lens_for",
           "project_scale"]

_LENS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # fits the projects.lens column

# Leftmost match in the metric name wins ("precision at 90% recall" is a precision metric).
_KEYWORDS = re.compile(
    r"(?P<false_positive_rate>(?<![a-z])(?:false (?:positive|alarm) rate|fpr|fall ?out)(?![a-z]))"
    r"|(?P<recall>(?<![a-z])(?:recall|sensitivity|tpr|true positive rate|hit rate|detection rate)(?![a-z]))"
    r"|(?P<precision>(?<![a-z])(?:precision|ppv|positive predictive value)(?![a-z]))"
    r"|(?P<accuracy>(?<![a-z])(?:accuracy|acc)(?![a-z]))"
    r"|(?P<error>(?<![a-z])(?:mae|rmse|mse|mape|mean absolute|error)(?![a-z]))"
    r"|(?P<latency>(?<![a-z0-9])(?:latency|p50|p90|p95|p99|p999|ms|milliseconds?|response time)(?![a-z]))"
)


class UnknownLensError(LookupError):
    """No template for this lens, neither built in nor in HEADWAY_TEMPLATES_DIR."""


@dataclass(frozen=True)
class LensText:
    """A lens's sentences, ALREADY mrkdwn-escaped (user text such as the project name went through the
    environment's escaping): `&lt;!channel&gt;`, never a live mention.

    Do not escape them again. They are not JSON-escaped any more (render_json parsed them), so in a JSON
    template embed them with `{{ lens.headline|plain }}` (JSON escaping only). Wrapping them in Markup
    would skip the JSON escaping too and break on a quote or newline in a project name.
    """

    headline: str
    technical: str


def lens_for(metric_name: str, explicit: str | None = None) -> str:
    """The lens for a metric: `explicit` when given (a built-in or custom lens name), else from the name.

    recall/sensitivity/tpr → recall; precision/ppv → precision; accuracy; fpr/false positive rate →
    false_positive_rate; mae/rmse/mape/error → error; latency/p95/p99/ms → latency; anything else → generic.
    """
    if explicit and explicit.strip():
        name = explicit.strip().lower()
        if not _LENS_NAME.match(name):
            raise ValueError(f"{explicit!r} is not a lens name (lowercase letters, digits and _)")
        return name
    words = re.sub(r"[^a-z0-9]+", " ", (metric_name or "").lower())
    match = _KEYWORDS.search(words)
    return match.lastgroup if match and match.lastgroup else "generic"


def project_scale(project: Any, latest: float | None = None) -> Scale:
    """The one scale a project's figures are said in, on every surface (bot/progress/figures.py)."""
    lens = lens_for(project.metric_name or "", getattr(project, "lens", None))
    base = lens if lens in BUILT_IN_LENSES else lens_for(project.metric_name or "")
    return scale_of(MetricSpec.of(project), base, latest)


def describe(
    renderer: Renderer,
    lens: str,
    project_name: str,
    spec: MetricSpec,
    latest: float | None,
    params: LensParams = LensParams(),  # noqa: B008 - frozen, so a shared default is safe
    fallback: str | None = "generic",
) -> LensText:
    """Render a lens's headline and technical line for one project (see LensText about escaping).

    A lens without a template falls back to `fallback` (a digest should not fail for one misconfigured
    project); pass fallback=None to get UnknownLensError instead.
    """
    name = lens_for("", lens)
    template = f"lenses/{name}.json.j2"
    facts = lens_facts(name, spec, latest, params, base=lens_for(spec.name))
    try:
        data = renderer.render_json(template, project=project_name, **facts)
    except TemplateNotFound as exc:
        if exc.name != template:
            raise
        if fallback is None or fallback == name:
            raise UnknownLensError(f"no template {template}") from None
        return describe(renderer, fallback, project_name, spec, latest, params, fallback=None)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("headline", "technical")):
        raise TemplateOutputError(f"{template} must render {{'headline': str, 'technical': str}}")
    return LensText(headline=data["headline"].strip(), technical=data["technical"].strip())

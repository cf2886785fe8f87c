"""Every template, rendered with hostile maximal text everywhere, stays within Slack's limits as sent.

Each template is rendered with every variable it reads bound to `Hostile`: text that is all `&`, `<`, `>`,
`<!channel>`, control characters and emoji, as long as the longest form field Headway accepts (3,000), wherever
text is shown; a number wherever the template computes; a list of 60 wherever it loops. Templates that pick a
wording by a known key (`what`, `decision`…) get each of those keys. Every message and view is then checked by
the emulator's Block Kit validator (Slack's rules) and by `slack_limit_problems` (lengths counted as sent, no
half-cut `&amp;`, no `<` that Headway did not build).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jinja2 import meta

from bot.gates.approvers import ROLE_LABELS
from bot.gates.form import CRITERION_STATUSES, RULE_LABELS
from bot.ids import ActionId, CallbackId
from bot.lifecycle import builtin
from bot.models import ProjectState
from bot.production.notify import words as production_words
from bot.projects.lifecycles import stage_field
from bot.render import Renderer
from bot.render.escaping import fit_mrkdwn
from bot.slack_emulator.blocks import validate_blocks, validate_view
from tests.support import slack_limit_problems

MAX_FORM_TEXT = 3000  # the longest plain_text_input Headway offers (a project's problem statement)
PIECES = ["R&D ", "&", "&amp;", "<", ">", "<!channel>", "<@U0EVIL01>", "<https://evil.example|x>", "\x00", "\x1b",
          "\u202e", "😀", "👩‍👩‍👧‍👦", " ", "\n", '"', "\\", "word "]
HOSTILE_TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map(
    lambda parts: ("".join(parts) * MAX_FORM_TEXT)[:MAX_FORM_TEXT])
# Wordings chosen by a key the code passes (never user text): each key is rendered.
KEYED = {
    "gates/done.json.j2": {"what": ["voted", "cancelled", "reminded", "conditions_met", "extended", "closed",
                                    "experiment_extended", "experiment_closed"]},
    "standups/done.json.j2": {"what": ["created", "updated", "paused", "resumed", "deleted", "run", "skip", "away",
                                       "back"]},
    "gates/vote_form.json.j2": {"decision": ["go_conditions", "pivot", "hold", "no_go"]},
    "production/decision_form.json.j2": {"choice": ["keep", "retrain", "roll_back", "retire"]},
    "gates/notice.json.j2": {"what": ["requested", "closed", "conditions_met", "remind", "nudge", "last_call",
                                      "quorum", "resumed"]},
}
# Fields whose values the code chooses from a fixed set and templates look up in their own dicts.
KEY_FIELDS = {
    "label": ["Not started", "On track", "Breakthrough", "Stalled", "At risk", "Off track", "Target reached"],
    "confidence": ["low", "medium", "high"],
    "stage": [stage.key for stage in builtin("default").stages],
    "state": [state.value for state in ProjectState],
    "kind": ["goalpost", "stage", "created", "gate"],  # a history entry's kind (bot/projects/history.py)
    "choice": ["keep", "retrain", "roll_back", "retire"],  # a PM's answer to a degradation
}
CHOSEN: dict[str, str] = {}
# Values Headway makes, not people: record ids (the largest the database holds), dates, and the short fields
# whose forms cap them (a project key is at most 12 characters, a name 80).
MAX_ID = 2**31 - 1
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
RECORD_IDS = ("gate_id", "experiment_id", "project_id", "prompt_id", "run_id", "standup_id", "link_id", "ref",
              "measurement_id", "outbox_id", "decision_id", "answer_id")
PRE_RENDERED = ("headline", "technical")  # lens sentences: mrkdwn the renderer already escaped
SHORT = {"key": 12, "name": 80, "metric_name": 80, "metric_unit": 20, "lens_subject": 80, "title": 150}


def typed(name: str, hostile: Hostile) -> Any:
    """What an attribute (or variable) of this name holds when Headway fills it in."""
    if name in KEY_FIELDS:
        return CHOSEN.get(name, KEY_FIELDS[name][0])
    if name in PRE_RENDERED:
        return fit_mrkdwn(str(hostile), 300)
    if name == "reason":  # a live model's reason (production/reason.json.j2) or a move's: escaped, a few hundred
        return Hostile(fit_mrkdwn(str(hostile), 600), hostile.depth + 1, hostile.index)
    if name == "channel":  # a Slack channel or user id, as Slack gives it
        return "C0HOSTILE1"
    if name == "slots":
        return list(ROLE_LABELS)
    if name in ("groups", "others") and hostile.depth >= 0:  # a digest's groups: each key names a partial
        keys = GROUP_KEYS if name == "groups" else GROUP_KEYS[1:]
        return [Group(str(hostile), key) for key in keys]
    if name == "id" or name in RECORD_IDS:
        return MAX_ID - hostile.index  # distinct per item, as rows are
    if name in ("key", "role"):  # distinct per item too (criteria, roles): block ids are built from them
        return Hostile(f"{hostile.index}{str(hostile)[:SHORT['key']]}"[:SHORT["key"]], hostile.depth + 1)
    if name.endswith("_at") or name in ("at", "now"):
        return NOW
    if "date" in name or name.startswith("default_") or name in ("deadline", "hold_until", "until", "today", "day",
                                                                  "start", "end"):
        return TODAY
    if name == "local_time":
        return time(9, 30)
    if name in SHORT:
        return Hostile(str(hostile)[:SHORT[name]], hostile.depth + 1, hostile.index)
    return Hostile(str(hostile), hostile.depth + 1, hostile.index)  # an item's parts belong to that item
LISTS = 60


class Hostile(str):
    """Whatever a template asks of a context value: hostile text when shown, 0.5 when computed with, 60 items
    when looped over (an item of an item unpacks into two, for `for key, value in …`)."""

    def __new__(cls, text: str, depth: int = 0, index: int = 0) -> Hostile:
        made = super().__new__(cls, text)
        made.depth, made.index = depth, index
        return made

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return typed(name, self)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return list(self)[key]
        return Hostile(str(self), self.depth + 1)

    def __call__(self, *args: Any, **kwargs: Any) -> Hostile:
        return Hostile(str(self), self.depth + 1)

    def __iter__(self) -> Any:
        count = LISTS if self.depth == 0 else 2
        return iter([Hostile(str(self), self.depth + 1, self.index * 100 + index) for index in range(count)])

    def __len__(self) -> int:
        return LISTS if self.depth == 0 else 2

    def __format__(self, spec: str) -> str:
        return format(0.5, spec) if spec else str(self)

    def __float__(self) -> float:
        return 0.5

    def __int__(self) -> int:
        return 5

    def __index__(self) -> int:
        return 5

    def __abs__(self) -> float:
        return 0.5

    def __round__(self, digits: int | None = None) -> float:
        return 0.5

    def __neg__(self) -> float:
        return -0.5

    def __lt__(self, other: Any) -> bool:
        return other > 0.5 if isinstance(other, int | float) else str(self) < str(other)

    def __le__(self, other: Any) -> bool:
        return other >= 0.5 if isinstance(other, int | float) else str(self) <= str(other)

    def __gt__(self, other: Any) -> bool:
        return other < 0.5 if isinstance(other, int | float) else str(self) > str(other)

    def __ge__(self, other: Any) -> bool:
        return other <= 0.5 if isinstance(other, int | float) else str(self) >= str(other)

    def __add__(self, other: Any) -> Any:
        return 0.5 + other if isinstance(other, int | float) else str(self) + str(other)

    def __radd__(self, other: Any) -> Any:
        return other + 0.5 if isinstance(other, int | float) else str(other) + str(self)

    def __sub__(self, other: Any) -> Any:
        return 0.5 - other

    def __rsub__(self, other: Any) -> Any:
        return other - 0.5

    def __mul__(self, other: Any) -> Any:
        return 0.5 * other if isinstance(other, int | float) else str(self) * other

    def __rmul__(self, other: Any) -> Any:
        return other * 0.5

    def __truediv__(self, other: Any) -> Any:
        return 0.5 / other

    def __rtruediv__(self, other: Any) -> Any:
        return other / 0.5

    def __hash__(self) -> int:
        return hash(str(self))

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other)


GROUP_KEYS = ("active", "paused", "shipped", "stopped")


class Group(Hostile):
    """A digest group: its key and title are Headway's (they pick the partial); what it lists is hostile."""

    def __new__(cls, text: str, key: str) -> Group:
        made = super().__new__(cls, text, 0)
        made.group_key = key
        return made

    @property
    def key(self) -> str:
        return self.group_key

    @property
    def title(self) -> str:
        return self.group_key.title()


# What the code passes that is not data: action/callback ids and the lifecycle.
COLLABORATORS = {"ids": ActionId, "field": stage_field, "statuses": CRITERION_STATUSES, "retry": ActionId.OUTBOX_RETRY,
                 "rule_labels": {k.value: v for k, v in RULE_LABELS.items()},
                 "callback_id": CallbackId.GATE_VOTE, "open_gate_action": ActionId.DIGEST_OPEN_GATE,
                 "lifecycle": builtin("default"), "metadata": {"gate": MAX_ID, "decision": "pivot"},
                 "states": [state.value for state in ProjectState]}
RENDERER = Renderer()
# Block Kit templates (Markdown documents, *.md.j2, become files, not blocks: tests/bot/reports cover them).
TEMPLATES = sorted(name for name in RENDERER.env.list_templates(extensions=["j2"])
                   if name.endswith(".json.j2") and "/_" not in name)


@cache  # parsing a template costs far more than rendering it, and `render` asks for each collaborator
def variables(name: str) -> frozenset[str]:
    source = RENDERER.env.loader.get_source(RENDERER.env, name)[0]
    return frozenset(meta.find_undeclared_variables(RENDERER.env.parse(source)))


def keyed_cases() -> list[tuple[str, dict[str, str]]]:
    cases: list[tuple[str, dict[str, str]]] = []
    for name in TEMPLATES:
        choices = KEYED.get(name, {})
        if not choices:
            cases.append((name, {}))
        for key, values in choices.items():
            cases.extend((name, {key: value}) for value in values)
    return cases


def render(name: str, text: str, fixed: dict[str, str]) -> dict[str, Any]:
    top = Hostile(text, -1)
    context = {var: typed(var, top) for var in variables(name)} | {
        k: v for k, v in (COLLABORATORS | (production_words() if name.startswith("production/") else {})).items()
        if k in variables(name)} | fixed
    data = RENDERER.render_json(name, **context)
    if isinstance(data, dict) and data.get("type") in ("modal", "home"):
        return RENDERER.view(name, **context)
    message = RENDERER.message(name, **context)
    return {"text": message.text, "blocks": message.blocks}


def test_every_template_is_covered():
    assert len(TEMPLATES) > 40
    assert set(KEYED) <= set(TEMPLATES)


@pytest.mark.parametrize(("name", "fixed"), keyed_cases(), ids=lambda v: v if isinstance(v, str) else
                         ",".join(f"{k}={x}" for k, x in v.items()))
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=HOSTILE_TEXT, chosen=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in KEY_FIELDS.items()}))
def test_hostile_maximal_text_stays_within_slacks_limits(name, fixed, text, chosen):
    CHOSEN.clear()
    CHOSEN.update(chosen)
    surface = render(name, text, fixed)
    if surface.get("type") in ("modal", "home"):
        errors = validate_view(surface, expected_type=surface["type"])
    else:
        errors = validate_blocks(surface["blocks"])
    assert errors == [], (name, errors[:3])
    assert slack_limit_problems(surface) == [], name

"""The shipped lifecycles, and the navigation helpers gates and handlers rely on."""

from __future__ import annotations

from importlib.resources import files

import pytest
from pydantic import ValidationError

from bot.lifecycle import APPROVER_ROLES, ExitCriterion, Lifecycle, Stage, builtin, builtin_keys, slugify

DEFAULT_STAGES = [
    ("discovery", "Discovery"),
    ("feasibility", "Feasibility"),
    ("design", "Design & Requirements"),
    ("development", "Model & Product Development"),
    ("production", "Production"),
    ("support", "Support & Maintenance"),
]
RESEARCH_NAMES = ["Ideation", "Experimentation", "Data Collection", "Prototyping", "Tech Transfer", "Monitoring"]


def criterion_texts(stage: Stage) -> str:
    return " | ".join(c.text.lower() for c in stage.required_criteria)


def test_builtin_keys_and_files_ship_inside_the_package() -> None:
    assert builtin_keys() == ("default", "research")
    for key in builtin_keys():
        assert (files("bot.lifecycle") / "builtin" / f"{key}.yaml").is_file()


def test_default_has_six_stages_in_order() -> None:
    lifecycle = builtin()
    assert lifecycle.key == "default"
    assert lifecycle.name == "ML product lifecycle"
    assert [(s.key, s.name) for s in lifecycle.stages] == DEFAULT_STAGES


def test_research_has_six_stages_in_order() -> None:
    lifecycle = builtin("research")
    assert lifecycle.key == "research"
    assert lifecycle.name == "Experimental R&D lifecycle"
    assert [s.name for s in lifecycle.stages] == RESEARCH_NAMES
    assert [s.key for s in lifecycle.stages] == [slugify(name) for name in RESEARCH_NAMES]


@pytest.mark.parametrize("key", ["default", "research"])
def test_every_stage_is_fully_described(key: str) -> None:
    for stage in builtin(key).stages:
        assert stage.goal.endswith(".") and stage.inputs and stage.outputs
        assert 3 <= len(stage.exit_criteria) <= 6, stage.key
        assert stage.timebox_weeks is None or stage.timebox_weeks >= 1
        assert stage.approver_roles and set(stage.approver_roles) <= set(APPROVER_ROLES)
    # Ongoing stages have no timebox; the rest do.
    assert [s.timebox_weeks is None for s in builtin(key).stages] == [False] * 5 + [True]


def test_discovery_gate_requires_agreement_with_the_business() -> None:
    discovery = builtin().stage("discovery")
    required = {c.key for c in discovery.required_criteria}
    assert {"problem-statement", "business-success-criteria", "metric-to-value"} <= required
    texts = criterion_texts(discovery)
    assert "problem statement" in texts and "business owner" in texts
    assert "success criteria" in texts
    assert "evaluation metric" in texts and "business value" in texts
    assert "business_owner" in discovery.approver_roles


def test_feasibility_gate_requires_baseline_and_data() -> None:
    feasibility = builtin().stage("feasibility")
    assert {"baseline", "data-available", "data-quality"} <= {c.key for c in feasibility.required_criteria}
    assert "baseline measured" in criterion_texts(feasibility)


def test_production_gate_requires_reviews_and_their_approvers() -> None:
    production = builtin().stage("production")
    required = {c.key for c in production.required_criteria}
    assert {"privacy-review", "legal-compliance-review", "model-validation", "monitoring-plan"} <= required
    assert {"privacy", "legal_compliance", "model_validation"} <= set(production.approver_roles)
    assert {"business_owner", "executive_sponsor"} & set(production.approver_roles)


def test_builtin_is_cached_and_unknown_keys_are_explained() -> None:
    assert builtin("default") is builtin("default")
    with pytest.raises(KeyError, match="default, research"):
        builtin("waterfall")


def test_navigation_helpers() -> None:
    lifecycle = builtin()
    assert lifecycle.keys == tuple(key for key, _ in DEFAULT_STAGES)
    assert lifecycle.first_stage.key == "discovery"
    assert lifecycle.index("production") == 4
    assert lifecycle.stage("design").name == "Design & Requirements"
    assert lifecycle.next_stage("discovery").key == "feasibility"
    assert lifecycle.next_stage("support") is None
    assert [s.key for s in lifecycle.previous_stages("design")] == ["discovery", "feasibility"]
    assert lifecycle.previous_stages("discovery") == ()


@pytest.mark.parametrize("method", ["stage", "index", "next_stage", "previous_stages"])
def test_unknown_stage_key_error_names_the_valid_keys(method: str) -> None:
    with pytest.raises(KeyError, match="no stage 'prod'.*discovery, feasibility"):
        getattr(builtin(), method)("prod")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("production", "production"),
        ("PRODUCTION", "production"),
        ("  Production ", "production"),
        ("Model & Product Development", "development"),
        ("model and product development", "development"),
        ("design & requirements", "design"),
        ("Support and maintenance", "support"),
        ("nonsense", None),
        ("", None),
        ("&", None),
    ],
)
def test_find_matches_keys_and_names_loosely(typed: str, expected: str | None) -> None:
    found = builtin().find(typed)
    assert (found.key if found else None) == expected


def test_find_in_research() -> None:
    research = builtin("research")
    assert research.find("data collection").key == "data-collection"
    assert research.find("Tech-Transfer").key == "tech-transfer"
    assert research.find("data_collection").key == "data-collection"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Model & Product Development", "model-product-development"),
        ("Data Collection", "data-collection"),
        ("  Pilot / Review  ", "pilot-review"),
        ("Évaluation_finale", "evaluation-finale"),
        ("!!!", ""),
        ("word " * 30, ("word-" * 12)[:-1]),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_models_are_frozen_and_hashable() -> None:
    stage = builtin().first_stage
    with pytest.raises(ValidationError):
        stage.name = "Other"  # type: ignore[misc]
    assert hash(builtin()) == hash(builtin())


def minimal_stage(**changes: object) -> dict[str, object]:
    stage: dict[str, object] = {
        "key": "s",
        "name": "S",
        "goal": "g",
        "exit_criteria": [{"key": "c", "text": "t"}],
        "approver_roles": ["pm"],
    }
    return {**stage, **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"exit_criteria": [{"key": "c", "text": "t"}, {"key": "c", "text": "u"}]},
        {"exit_criteria": []},
        {"approver_roles": ["pm", "boss"]},
        {"approver_roles": ["pm", "pm"]},
        {"approver_roles": []},
        {"timebox_weeks": 0},
        {"timebox_weeks": True},
        {"name": "  "},
        {"key": "Not A Slug"},
        {"key": "x" * 65},
        {"colour": "blue"},
    ],
)
def test_direct_construction_is_validated(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Stage.model_validate(minimal_stage(**changes))


def test_direct_construction_lifecycle_rules() -> None:
    with pytest.raises(ValidationError, match="at least one stage"):
        Lifecycle(key="x", name="X", stages=())
    with pytest.raises(ValidationError, match="duplicate key 's'"):
        Lifecycle.model_validate({"name": "X", "stages": [minimal_stage(), minimal_stage(name="T")]})
    with pytest.raises(ValidationError, match="duplicate name"):
        Lifecycle.model_validate({"name": "X", "stages": [minimal_stage(), minimal_stage(key="t", name="s")]})


def test_keys_are_derived_from_names() -> None:
    stage = Stage.model_validate({k: v for k, v in minimal_stage(name="Pilot & Review").items() if k != "key"})
    assert stage.key == "pilot-review"
    lifecycle = Lifecycle.model_validate({"name": "Lean ML", "stages": [minimal_stage()]})
    assert lifecycle.key == "lean-ml"
    assert ExitCriterion(key="c", text=" trimmed ").text == "trimmed"

"""Reading the request and vote forms: malformed input comes back per field, good input as a draft."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import InvalidInput
from bot.gates.approvers import signoff_roles
from bot.gates.form import add_working_days, end_of_day, valid_link, validate_request, validate_vote
from bot.lifecycle import builtin
from bot.models import GateDecision, GateRule

LIFECYCLE = builtin("default")
FEASIBILITY = LIFECYCLE.stage("feasibility")
TODAY = date(2026, 11, 23)  # a Monday


def good(**overrides):
    values = {f"crit_{c.key}": "met" for c in FEASIBILITY.exit_criteria}
    values.update(to_stage="design", summary="Go?", approvers=["UEXEC001", "UPM00001"], deadline="2026-11-30",
                  rule="majority")
    return values | overrides


def errors_of(raw, leaving=FEASIBILITY, slots=()):
    with pytest.raises(InvalidInput) as caught:
        validate_request(raw, LIFECYCLE, leaving, slots, TODAY)
    return caught.value.errors


def test_a_good_request():
    draft = validate_request(good(**{"ev_baseline": "https://wiki.example.com/eval?run=7"}), LIFECYCLE, FEASIBILITY,
                             (), TODAY)
    assert (draft.to_stage, draft.rule, draft.deadline) == ("design", GateRule.MAJORITY, date(2026, 11, 30))
    assert draft.approvers == ("UEXEC001", "UPM00001")
    assert [c.evidence for c in draft.criteria if c.evidence] == ["https://wiki.example.com/eval?run=7"]


def test_malformed_requests_are_answered_per_field():
    raw = good(**{"crit_baseline": None, "crit_data-quality": "maybe", "ev_gap-and-risks": "javascript:alert(1)",
                  "ev_data-available": "https://x.example.com/<!channel>", "summary": "  ", "approvers": [],
                  "deadline": "2026-11-01", "rule": "dictator", "to_stage": "discovery"})
    assert set(errors_of(raw)) == {"crit_baseline", "crit_data-quality", "ev_gap-and-risks", "ev_data-available",
                                   "summary", "approvers", "deadline", "rule", "to_stage"}
    assert "within 90 days" in errors_of(good(deadline="2027-12-01"))["deadline"]
    assert "15 approvers" in errors_of(good(approvers=[f"U{i:08d}" for i in range(16)]))["approvers"]
    assert "from the list" in errors_of(good(approvers=["<!channel>"]))["approvers"]
    assert "under 2,000" in errors_of(good(summary="x" * 2001))["summary"]


def test_production_needs_named_signoffs():
    development, production = LIFECYCLE.stage("development"), LIFECYCLE.stage("production")
    slots = signoff_roles(development, production)
    assert slots == ("privacy", "legal_compliance", "model_validation")
    assert signoff_roles(production, LIFECYCLE.stage("support")) == slots  # leaving Production too
    assert signoff_roles(FEASIBILITY, LIFECYCLE.stage("design")) == ()
    raw = {f"crit_{c.key}": "na" for c in development.exit_criteria} | {
        "to_stage": "production", "summary": "Ship it", "approvers": ["UEXEC001"], "deadline": "2026-11-30",
        "rule": "all", "signoff_privacy": "UPRIV001", "signoff_legal_compliance": "UPRIV001"}
    errors = errors_of(raw, development, slots)
    assert set(errors) == {"signoff_model_validation"}
    draft = validate_request(raw | {"signoff_model_validation": "UVALID01"}, LIFECYCLE, development, slots, TODAY)
    assert draft.approvers == ("UEXEC001", "UPRIV001", "UVALID01")
    assert draft.signoffs == {"privacy": "UPRIV001", "legal_compliance": "UPRIV001", "model_validation": "UVALID01"}
    design = LIFECYCLE.stage("design")
    skipping = {f"crit_{c.key}": "met" for c in design.exit_criteria} | dict(good(), to_stage="production")
    assert "named sign-offs" in errors_of(skipping, design, ())["to_stage"]


@pytest.mark.parametrize(("decision", "raw", "fields"), [
    (GateDecision.GO_CONDITIONS, {}, {"conditions"}),
    (GateDecision.PIVOT, {"pivot_stage": "design"}, {"pivot_stage", "problem_statement"}),
    (GateDecision.HOLD, {"hold_until": "2026-11-23"}, {"hold_until", "rationale"}),
    (GateDecision.HOLD, {"hold_until": "2028-01-01", "rationale": "wait"}, {"hold_until"}),
    (GateDecision.NO_GO, {"rationale": "   "}, {"rationale"}),
])
def test_votes_need_their_words(decision, raw, fields):
    with pytest.raises(InvalidInput) as caught:
        validate_vote(decision, raw, LIFECYCLE, "feasibility", TODAY)
    assert set(caught.value.errors) == fields


def test_good_votes():
    assert validate_vote(GateDecision.GO, {}, LIFECYCLE, "feasibility", TODAY).decision == GateDecision.GO
    pivot = validate_vote(GateDecision.PIVOT, {"pivot_stage": "discovery", "problem_statement": " Reframed "},
                          LIFECYCLE, "feasibility", TODAY)
    assert (pivot.pivot_stage, pivot.problem_statement) == ("discovery", "Reframed")
    hold = validate_vote(GateDecision.HOLD, {"hold_until": "2026-12-14", "rationale": "labels"}, LIFECYCLE,
                         "feasibility", TODAY)
    assert hold.hold_until == date(2026, 12, 14)


def test_dates_and_links():
    assert add_working_days(TODAY, 5) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday + 1 → Monday
    assert end_of_day(date(2026, 11, 30), "America/New_York") == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert end_of_day(date(2026, 11, 30), "Not/AZone") == datetime(2026, 12, 1, tzinfo=UTC)
    assert valid_link("https://example.com/report.pdf") and valid_link("http://wiki.corp.example:8080/a")
    for bad in ("ftp://example.com/x", "https://", "example.com", "https://a b.com", "https://localhost",
                "https://example.com/|x", "x" * 600):
        assert not valid_link(bad), bad

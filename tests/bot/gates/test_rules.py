"""The decision rule as a pure function: every rule with every outcome, sign-offs, changes, deadlines."""

from __future__ import annotations

import pytest

from bot.gates.rules import Approver, Ballot, decide, needed, quorum, standing
from bot.models import GateDecision, GateRule

GO, COND, PIVOT, HOLD, NO_GO = (GateDecision.GO, GateDecision.GO_CONDITIONS, GateDecision.PIVOT, GateDecision.HOLD,
                                GateDecision.NO_GO)
ALL, MAJORITY, ANY = GateRule.ALL, GateRule.MAJORITY, GateRule.ANY
THREE = [Approver("A"), Approver("B"), Approver("C")]


def votes(*pairs: tuple[str, GateDecision]) -> list[Ballot]:
    return [Ballot(user, decision, seq) for seq, (user, decision) in enumerate(pairs, start=1)]


def outcome(rule, approvers, ballots, **flags):
    verdict = decide(rule, approvers, ballots, **flags)
    return None if verdict is None else verdict.outcome


def test_thresholds():
    assert [needed(ALL, n) for n in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert [needed(MAJORITY, n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert [needed(ANY, n) for n in (1, 5)] == [1, 1]
    assert [quorum(ALL, 3), quorum(MAJORITY, 4), quorum(ANY, 4)] == [2, 3, 1]


@pytest.mark.parametrize("decision", [GO, COND, PIVOT, HOLD, NO_GO])
def test_all_needs_everyone(decision):
    assert outcome(ALL, THREE, votes(("A", decision), ("B", decision))) is None
    assert outcome(ALL, THREE, votes(("A", decision), ("B", decision), ("C", decision))) == decision


@pytest.mark.parametrize("decision", [GO, COND, PIVOT, HOLD, NO_GO])
def test_majority_needs_more_than_half(decision):
    assert outcome(MAJORITY, THREE, votes(("A", decision))) is None
    assert outcome(MAJORITY, THREE, votes(("A", decision), ("B", decision))) == decision
    four = [*THREE, Approver("D")]
    assert outcome(MAJORITY, four, votes(("A", decision), ("B", decision))) is None  # 2 of 4 is not more than half
    assert outcome(MAJORITY, four, votes(("A", decision), ("B", decision), ("C", decision))) == decision


@pytest.mark.parametrize("decision", [GO, COND, PIVOT, HOLD, NO_GO])
def test_any_one_vote_decides(decision):
    assert outcome(ANY, THREE, votes(("B", decision))) == decision


def test_go_and_go_with_conditions_are_one_camp_and_conditions_stick():
    verdict = decide(ALL, THREE, votes(("A", GO), ("B", COND), ("C", GO)))
    assert verdict.outcome == COND and [b.user_id for b in verdict.ballots] == ["A", "B", "C"]
    assert outcome(MAJORITY, THREE, votes(("A", GO), ("B", GO))) == GO


def test_split_votes_decide_nothing_until_the_deadline():
    split = votes(("A", GO), ("B", HOLD), ("C", NO_GO))
    assert outcome(MAJORITY, THREE, split) is None
    assert outcome(MAJORITY, THREE, split, final=True) is None  # the PM is asked to extend or close as is
    assert decide(MAJORITY, THREE, split, forced=True).outcome == GateDecision.NO_DECISION


def test_any_with_two_camps_takes_the_earliest_vote():
    assert outcome(ANY, THREE, votes(("A", HOLD), ("B", GO))) == HOLD
    assert outcome(ANY, THREE, votes(("A", GO), ("B", NO_GO))) == GO


def test_the_latest_vote_of_each_approver_counts_and_strangers_do_not():
    ballots = votes(("A", GO), ("B", GO), ("A", NO_GO), ("X", GO), ("X", GO))
    assert [(b.user_id, b.decision) for b in standing(ballots, THREE)] == [("B", GO), ("A", NO_GO)]
    assert outcome(MAJORITY, THREE, ballots) is None
    assert outcome(MAJORITY, THREE, [*ballots, Ballot("C", NO_GO, 99)]) == NO_GO


def test_required_signoffs_must_say_go():
    approvers = [Approver("A"), Approver("B"), Approver("P", signoff=True), Approver("L", signoff=True)]
    assert outcome(MAJORITY, approvers, votes(("A", GO), ("B", GO), ("P", GO))) is None  # legal has not signed
    assert outcome(MAJORITY, approvers, votes(("A", GO), ("B", GO), ("P", GO), ("L", COND))) == COND
    assert outcome(ANY, approvers, votes(("A", GO))) is None  # even "any one" cannot skip a sign-off
    assert outcome(ANY, approvers, votes(("A", GO), ("P", HOLD))) == HOLD  # a sign-off can hold the project
    blocked = votes(("A", GO), ("B", GO), ("P", NO_GO), ("L", GO))
    assert outcome(MAJORITY, approvers, blocked) is None
    assert outcome(MAJORITY, approvers, blocked, final=True) is None
    assert decide(MAJORITY, approvers, blocked, forced=True).outcome == GateDecision.NO_DECISION


@pytest.mark.parametrize("rule", [ALL, MAJORITY])
def test_at_the_deadline_non_voters_abstain_if_a_quorum_voted(rule):
    verdict = decide(rule, THREE, votes(("A", PIVOT), ("B", PIVOT)), final=True)
    assert (verdict.outcome, verdict.basis, verdict.voters) == (PIVOT, "deadline" if rule == ALL else "rule", 2)
    assert decide(rule, THREE, votes(("A", PIVOT)), final=True) is None  # 1 of 3 is no quorum
    forced = decide(rule, THREE, votes(("A", PIVOT)), forced=True)
    assert (forced.outcome, forced.basis) == (PIVOT, "as_is")


def test_no_votes_at_all():
    assert decide(ANY, THREE, [], final=True) is None
    assert decide(ANY, THREE, [], forced=True).outcome == GateDecision.NO_DECISION
    assert decide(ALL, [], [], forced=True).outcome == GateDecision.NO_DECISION

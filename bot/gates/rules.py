"""When does a gate close, and with what outcome? A pure function of the approvers and their votes.

Decisions fall into four camps: *proceed* (Go, Go with conditions), Pivot, Hold and No-go. Each approver has
one standing vote (their latest; earlier ones stay in the audit trail). With n approvers a camp needs

- all:      n votes            (unanimity),
- majority: n // 2 + 1 votes   (more than half),
- any:      1 vote             (any one approver settles it; of two camps the earliest vote wins).

Required sign-offs (privacy, legal & compliance, model validation) are named approvers whose proceed vote
a Go needs whatever the rule: without them the project cannot move on, though it can be held or stopped.
The proceed outcome is "Go with conditions" as soon as one deciding vote attaches conditions.

At the deadline, approvers who did not vote count as abstaining: the rule is applied to the voters alone,
provided a quorum voted (more than half the approvers; one for "any"). Without a quorum, or when the
voters are split, nothing is decided and the PM chooses to extend or to close as is; closing as is applies
the rule to whoever voted and otherwise ends with "no decision" (the project stays where it is).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models.gates import GateDecision, GateRule

PROCEED = "proceed"
_CAMPS = (PROCEED, GateDecision.PIVOT.value, GateDecision.HOLD.value, GateDecision.NO_GO.value)
VOTES = (GateDecision.GO, GateDecision.GO_CONDITIONS, GateDecision.PIVOT, GateDecision.HOLD, GateDecision.NO_GO)


@dataclass(frozen=True)
class Approver:
    user_id: str
    signoff: bool = False


@dataclass(frozen=True)
class Ballot:
    """A vote as cast; `seq` orders votes (the vote row's id), later ones replace earlier ones."""

    user_id: str
    decision: GateDecision
    seq: int


@dataclass(frozen=True)
class Verdict:
    outcome: GateDecision
    basis: str  # "rule", "deadline" or "as_is"
    ballots: tuple[Ballot, ...]  # the standing votes of the winning camp, earliest first
    voters: int
    approvers: int


def camp(decision: GateDecision) -> str:
    return PROCEED if decision in (GateDecision.GO, GateDecision.GO_CONDITIONS) else decision.value


def needed(rule: GateRule, approvers: int) -> int:
    """Votes one camp needs among `approvers` people."""
    if rule == GateRule.ALL:
        return approvers
    if rule == GateRule.MAJORITY:
        return approvers // 2 + 1
    return 1


def quorum(rule: GateRule, approvers: int) -> int:
    """How many must have voted for a deadline to decide anything."""
    return 1 if rule == GateRule.ANY else approvers // 2 + 1


def standing(ballots: Iterable[Ballot], approvers: Sequence[Approver]) -> list[Ballot]:
    """Each approver's latest vote, earliest first; votes of people who are not approvers are ignored."""
    allowed = {a.user_id for a in approvers}
    latest: dict[str, Ballot] = {}
    for ballot in sorted(ballots, key=lambda b: b.seq):
        if ballot.user_id in allowed:
            latest[ballot.user_id] = ballot
    return sorted(latest.values(), key=lambda b: b.seq)


def _winner(rule: GateRule, pool: int, votes: list[Ballot], signoffs: set[str]) -> tuple[Ballot, ...] | None:
    """The ballots of the camp that satisfies the rule among `pool` people, or None."""
    if pool <= 0 or not votes:
        return None
    by_camp: dict[str, list[Ballot]] = {c: [] for c in _CAMPS}
    for ballot in votes:
        by_camp[camp(ballot.decision)].append(ballot)
    signed = {b.user_id for b in by_camp[PROCEED]}
    winners = [c for c in _CAMPS if len(by_camp[c]) >= needed(rule, pool) and (c != PROCEED or signoffs <= signed)]
    if not winners:
        return None
    first = min(winners, key=lambda c: by_camp[c][0].seq)  # only "any" can satisfy two camps at once
    return tuple(by_camp[first])


def _outcome(ballots: tuple[Ballot, ...]) -> GateDecision:
    decisions = {b.decision for b in ballots}
    if camp(ballots[0].decision) == PROCEED:
        return GateDecision.GO_CONDITIONS if GateDecision.GO_CONDITIONS in decisions else GateDecision.GO
    return ballots[0].decision


def decide(rule: GateRule, approvers: Sequence[Approver], ballots: Iterable[Ballot], *, final: bool = False,
           forced: bool = False) -> Verdict | None:
    """The verdict if the gate should close now, else None.

    `final`: the deadline has passed. `forced`: the PM closes as is (always returns a verdict).
    """
    votes = standing(ballots, approvers)
    signoffs = {a.user_id for a in approvers if a.signoff}
    count = len(approvers)

    def verdict(chosen: tuple[Ballot, ...] | None, basis: str) -> Verdict:
        outcome = _outcome(chosen) if chosen else GateDecision.NO_DECISION
        return Verdict(outcome, basis, chosen or (), len(votes), count)

    chosen = _winner(rule, count, votes, signoffs)
    if chosen:
        return verdict(chosen, "rule")
    if not (final or forced):
        return None
    among_voters = _winner(rule, len(votes), votes, signoffs)
    if among_voters and len(votes) >= quorum(rule, count):
        return verdict(among_voters, "deadline")
    if forced:
        return verdict(among_voters, "as_is")
    return None

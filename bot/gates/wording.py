"""The names of decisions and the sentence that says how a gate was decided, shared by cards and notices."""

from __future__ import annotations

from bot.gates.rules import Verdict, camp
from bot.models import GateDecision, GateRule

DECISION_LABELS = {
    GateDecision.GO: "Go", GateDecision.GO_CONDITIONS: "Go with conditions", GateDecision.PIVOT: "Pivot",
    GateDecision.HOLD: "Hold", GateDecision.NO_GO: "No-go", GateDecision.NO_DECISION: "No decision",
}
DECISION_ICONS = {
    GateDecision.GO: ":white_check_mark:", GateDecision.GO_CONDITIONS: ":ballot_box_with_check:",
    GateDecision.PIVOT: ":twisted_rightwards_arrows:", GateDecision.HOLD: ":double_vertical_bar:",
    GateDecision.NO_GO: ":no_entry:", GateDecision.NO_DECISION: ":grey_question:",
}
RULE_NAMES = {GateRule.ALL: "all must agree", GateRule.MAJORITY: "majority", GateRule.ANY: "any one approver"}


def _camp_words(outcome: GateDecision) -> str:
    if camp(outcome) == "proceed":
        return "to go ahead"
    return {GateDecision.PIVOT: "to pivot", GateDecision.HOLD: "to hold", GateDecision.NO_GO: "to stop"}.get(
        outcome, "")


def how_decided(verdict: Verdict, rule: GateRule) -> str:
    """One plain sentence: "2 of 3 approvers voted to stop (rule: majority)."""
    deciding, voters, total = len(verdict.ballots), verdict.voters, verdict.approvers
    words = _camp_words(verdict.outcome)
    if verdict.basis == "rule":
        return f"{deciding} of {total} approvers voted {words} (rule: {RULE_NAMES[rule]})."
    if verdict.basis == "deadline":
        return (f"At the deadline {voters} of {total} approvers had voted and {deciding} of them {words}; "
                "those who did not vote abstained.")
    if verdict.outcome == GateDecision.NO_DECISION:
        return f"Closed as is with {voters} of {total} votes: not enough to decide, so nothing changes."
    return f"Closed as is: {deciding} of the {voters} approvers who voted chose {words}."

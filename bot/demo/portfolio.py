"""The last acts of `headway demo`: FRAUD's unconfirmed result, a go/no-go gate on FRAUD, a No-go that stops CHURN,
then the executive digest and the App Home with the whole portfolio (the stopped project included)."""

from __future__ import annotations

from bot.demo.cast import ELENA, PRIYA
from bot.demo.stage import Stage


class PortfolioActs:
    def __init__(self, scenario: Stage) -> None:
        self.s = scenario

    async def evidence(self) -> None:
        s = self.s
        s.out.step(f"{PRIYA.first_name} runs /headway show FRAUD")
        s.out.say("Lucas's 0.74 came with low confidence, so FRAUD is judged on Kenji's 0.71 for now; the card shows "
                  "the unconfirmed result with a Confirm button for Lucas or Priya.")
        answer = await s.command(PRIYA, "show FRAUD")
        s.out.ephemeral(PRIYA.first_name, answer)
        s.expect(answer, "Unconfirmed (low confidence)", "FRAUD's card")
        s.expect(answer, "latest 0.71", "FRAUD's judgement, made of confirmed results only")

    async def gate(self) -> None:
        s = self.s
        s.out.step(f"{PRIYA.first_name} runs /gate request FRAUD")
        s.out.say("Feasibility is done: Priya asks for a go/no-go decision to move FRAUD to Design & Requirements. "
                  "The form lists Feasibility's exit criteria; she marks them and names Elena as approver.")
        view_id = await s.open_modal(PRIYA, "request FRAUD", command="/gate")
        view = s.emu.views[view_id]
        criteria = [b["block_id"] for b in view["blocks"] if str(b.get("block_id", "")).startswith("crit_")]
        values = {key: "met" for key in criteria}
        values.update({"summary": "Recall 0.74 on held-out data against a 0.62 baseline; the data is good enough "
                                  "to design the product around it.", "approvers": [ELENA.id], "rule": "all"})
        posts = len(s.emu.calls_to("chat.postMessage"))
        result = await s.slack.view_submission(PRIYA.id, view_id, values)
        if result.status != 200 or result.response_action == "errors":
            raise s.failure(f"Headway refused the gate request: {result.errors or result.status}")
        await s.wait_for_posts(posts + 2, "the gate card in the channel and Elena's DM")
        s.show_new_posts()
        card = await s.wait_for(lambda: next((c for c in reversed(s.emu.calls_to("chat.postMessage"))
                                              if c.ok and c.params.get("channel") == ELENA.id), None),
                                "the gate card in Elena's DM")
        s.out.step(f"{ELENA.first_name} clicks Go on the card in her DM")
        updates = len(s.emu.calls_to("chat.update"))
        clicked = await s.slack.block_action(ELENA.id, "gate_go", message=(card.response["channel"],
                                                                          card.response["ts"]))
        s.check_ack(clicked, "the Go button")
        await s.wait_for(lambda: len(s.emu.calls_to("chat.update")) > updates, "the card updated in place")
        await s.wait_for(lambda: False if not clicked.responses else clicked.responses, "Elena's confirmation")
        s.out.ephemeral(ELENA.first_name, clicked.responses[-1])
        s.show_new_posts()
        answer = await s.command(ELENA, "project show FRAUD")
        s.expect(answer, "Design & Requirements", "FRAUD's stage after the gate")
        s.out.say("FRAUD is now in Design & Requirements; the stage change is in its history with the decision.")

    async def stop_churn(self) -> None:
        s = self.s
        s.out.step(f"{PRIYA.first_name} asks for a go/no-go on CHURN; {ELENA.first_name} says No-go")
        s.out.say("Discovery found no way to act on a churn score in time. Rather than let CHURN linger, Priya asks "
                  "for a decision, and Elena stops it with her reason, which stays with the project for good.")
        view_id = await s.open_modal(PRIYA, "request CHURN", command="/gate")
        view = s.emu.views[view_id]
        values: dict[str, object] = {b["block_id"]: "met" for b in view["blocks"]
                                     if str(b.get("block_id", "")).startswith("crit_")}
        values.update({"summary": "Retention calls are booked a quarter ahead: a churn score would come too late.",
                       "approvers": [ELENA.id], "rule": "all"})
        dms = len([c for c in s.emu.calls_to("chat.postMessage") if c.ok and c.params.get("channel") == ELENA.id])
        result = await s.slack.view_submission(PRIYA.id, view_id, values)
        if result.status != 200 or result.response_action == "errors":
            raise s.failure(f"Headway refused the CHURN gate request: {result.errors or result.status}")
        card = await s.wait_for(lambda: ([c for c in s.emu.calls_to("chat.postMessage")
                                          if c.ok and c.params.get("channel") == ELENA.id][dms:]
                                         and next((c for c in reversed(s.emu.calls_to("chat.postMessage"))
                                                   if c.ok and c.params.get("channel") == ELENA.id
                                                   and "gate_no_go" in str(c.params.get("blocks"))
                                                   and "CHURN" in str(c.params.get("text"))), None)),
                                "the CHURN gate card in Elena's DM")
        s.show_new_posts()
        s.out.step(f"{ELENA.first_name} clicks No-go and says why")
        since = s.modal_mark()
        clicked = await s.slack.block_action(ELENA.id, "gate_no_go", message=(card.response["channel"],
                                                                             card.response["ts"]))
        s.check_ack(clicked, "the No-go button")
        vote_view = await s.filled_modal(since, "the No-go form")
        result = await s.slack.view_submission(ELENA.id, vote_view, {
            "rationale": "nobody can act on a churn score in time: retention calls are booked a quarter ahead"})
        if result.status != 200 or result.response_action == "errors":
            raise s.failure(f"Headway refused Elena's No-go: {result.errors or result.status}")
        s.show_new_posts()
        answer = await s.command(ELENA, "project list stopped")
        s.out.ephemeral(ELENA.first_name, answer)
        s.expect(answer, "stopped at Discovery because", "CHURN in the stopped projects")

    async def digest_and_home(self) -> None:
        s = self.s
        s.out.step(f"{ELENA.first_name}'s weekly executive digest (/headway digest preview)")
        s.out.say("Execs get it every Monday at 08:30 in their own time zone; the preview shows it now.")
        answer = await s.command(ELENA, "digest preview")
        s.out.ephemeral(ELENA.first_name, answer)
        s.expect(answer, "ML portfolio", "the executive digest")
        s.expect(answer, "target moved", "FRAUD's moved target in the executive digest")
        s.expect(answer, "What we learned from stopped projects", "the executive digest")
        s.expect(answer, "*CHURN* · Churn prediction — stopped at Discovery because", "the executive digest")
        s.out.step(f"{PRIYA.first_name} opens Headway's App Home")
        publishes = len(s.emu.calls_to("views.publish"))
        result = await s.slack.event({"type": "app_home_opened", "user": PRIYA.id, "tab": "home"})
        s.check_ack(result, "app_home_opened")
        await s.wait_for(lambda: len(s.emu.calls_to("views.publish")) > publishes, "the App Home")
        home = s.emu.calls_to("views.publish")[-1].response["view"]
        s.out.view(PRIYA.first_name, home)

"""The after-launch acts of `headway demo`: ETA goes live and degrades through an Alertmanager alert, Priya
decides Retrain; and Lucas's standup blocker, still open three working days later, is escalated to Priya."""

from __future__ import annotations

import re
from datetime import UTC

import httpx

from bot.clock import ManualClock
from bot.demo.cast import ELENA, LUCAS, PRIYA
from bot.demo.stage import Stage
from bot.jobs import follow_through
from bot.slack_emulator import render_message


class AfterLaunchActs:
    def __init__(self, scenario: Stage) -> None:
        self.s = scenario

    async def play(self) -> None:
        await self.blocker_escalated()
        await self.launch()
        await self.alert_and_retrain()
        await self.digest()

    async def launch(self) -> None:
        s = self.s
        s.out.step(f"{PRIYA.first_name} logs ETA's release candidate, then runs /gate request ETA")
        answer = await s.command(PRIYA, "log ETA MAE=1.6 release candidate")
        s.out.ephemeral(PRIYA.first_name, answer)
        s.out.say("Model & Product Development is done: she asks to go to Production. The control functions sign off "
                  "too; Elena approves.")
        view_id = await s.open_modal(PRIYA, "request ETA", command="/gate")
        view = s.emu.views[view_id]
        values: dict[str, object] = {b["block_id"]: "met" for b in view["blocks"]
                                     if str(b.get("block_id", "")).startswith("crit_")}
        values.update({b["block_id"]: ELENA.id for b in view["blocks"]
                       if str(b.get("block_id", "")).startswith("signoff_")})
        values.update({"summary": "Off by 1.6 days on last quarter's deliveries, against 3.1 today.",
                       "approvers": [ELENA.id], "rule": "all"})
        result = await s.slack.view_submission(PRIYA.id, view_id, values)
        if result.status != 200 or result.response_action == "errors":
            raise s.failure(f"Headway refused ETA's gate request: {result.errors or result.status}")
        card = await s.wait_for(lambda: next((c for c in reversed(s.emu.calls_to("chat.postMessage"))
                                              if c.ok and c.params.get("channel") == ELENA.id
                                              and "ETA" in str(c.params.get("text"))), None),
                                "ETA's gate card in Elena's DM")
        s.out.step(f"{ELENA.first_name} clicks Go: ETA goes to Production and its launch value (1.6 days) is frozen")
        clicked = await s.slack.block_action(ELENA.id, "gate_go", message=(card.response["channel"],
                                                                          card.response["ts"]))
        s.check_ack(clicked, "the Go button")
        await s.wait_for(lambda: clicked.responses, "Elena's confirmation")
        s.show_new_posts()
        answer = await s.command(PRIYA, "health ETA 20%")
        s.out.ephemeral(PRIYA.first_name, answer)
        s.expect(answer, "Healthy", "ETA's health right after launch")

    async def alert_and_retrain(self) -> None:
        s = self.s
        answer = await s.command(PRIYA, "token ETA")
        found = re.search(r"hwp_[\w-]+", render_message(answer.get("blocks"), answer.get("text")))
        if not found:
            raise s.failure("no API token in the answer to /headway token ETA")
        token = {"Authorization": f"Bearer {found.group(0)}"}
        s.out.step("The delivery service reports live values; a week later Prometheus Alertmanager fires")
        s.out.say("POST /api/v1/projects/ETA/measurements with \"kind\": \"production\" (1.7 days: within the 20% "
                  "tolerance), then Alertmanager's webhook (payload version 4) on /api/v1/alertmanager, labelled "
                  "headway_project=ETA.")
        now = s.server.hw.clock.now()
        alert = {"version": "4", "status": "firing", "receiver": "headway", "groupKey": "{}:{alertname=\"EtaDrift\"}",
                 "alerts": [{"status": "firing", "fingerprint": "e7a0d1f7c0ffee01",
                             "labels": {"alertname": "EtaDrift", "headway_project": "ETA", "severity": "page"},
                             "annotations": {"summary": "Delivery estimates off by 2.6 days for 2 hours",
                                             "description": "New carrier in the north-east since Monday; its "
                                                            "deliveries are not in the training data."},
                             "startsAt": now.astimezone(UTC).isoformat(), "endsAt": "0001-01-01T00:00:00Z"}]}
        async with httpx.AsyncClient(base_url=s.server.url) as client:
            live = await client.post("/api/v1/projects/ETA/measurements", headers=token, json={
                "metric": "MAE", "value": 1.7, "kind": "production", "client_id": "eta-live-1"})
            s.out.activity(f"pipeline → Headway: HTTP {live.status_code} {live.json()}")
            if isinstance(s.server.hw.clock, ManualClock):
                s.server.hw.clock.advance(days=7)  # a week of healthy service
            posts = len(s.emu.calls_to("chat.postMessage"))
            fired = await client.post("/api/v1/alertmanager", headers=token, json=alert)
            s.out.activity(f"Alertmanager → Headway: HTTP {fired.status_code} {fired.json()}")
        if fired.status_code != 200:
            raise s.failure(f"Headway refused the Alertmanager webhook: {fired.text[:200]}")
        dm = await s.wait_for(lambda: next((c for c in s.emu.calls_to("chat.postMessage")[posts:]
                                            if c.ok and c.params.get("channel") == PRIYA.id
                                            and "production_retrain" in str(c.params.get("blocks"))), None),
                              "the degradation DM to Priya")
        await s.wait_for(lambda: any(c.ok and c.params.get("channel") != PRIYA.id and "EtaDrift" in str(
            c.params.get("blocks")) for c in s.emu.calls_to("chat.postMessage")[posts:]), "the channel post")
        s.show_new_posts()
        s.out.step(f"{PRIYA.first_name} clicks Retrain and says why")
        since = s.modal_mark()
        clicked = await s.slack.block_action(PRIYA.id, "production_retrain", message=(dm.response["channel"],
                                                                                     dm.response["ts"]))
        s.check_ack(clicked, "the Retrain button")
        view_id = await s.filled_modal(since, "the Retrain modal")
        posts = len(s.emu.calls_to("chat.postMessage"))
        result = await s.slack.view_submission(PRIYA.id, view_id, {
            "rationale": "Retrain with the new carrier's first two weeks of deliveries."})
        s.check_ack(result, "the Retrain modal")
        await s.wait_for(lambda: any(c.ok and "decided" in str(c.params.get("blocks"))
                                     for c in s.emu.calls_to("chat.postMessage")[posts:]),
                         "the decision in #ml-projects")
        s.show_new_posts()
        answer = await s.command(ELENA, "health ETA")
        s.out.ephemeral(ELENA.first_name, answer)
        s.expect(answer, "chose *Retrain*", "ETA's health after the decision")

    async def blocker_escalated(self) -> None:
        s = self.s
        s.out.step(f"Days pass; {LUCAS.first_name}'s standup blocker is still open")
        s.out.say("Headway keeps a standup blocker until its owner says it is resolved; one older than "
                  "HEADWAY_BLOCKER_ESCALATE_DAYS (3) working days goes to the project's PMs, once. The scheduler "
                  "checks every half hour; here the story runs that check once a day.")
        clock = s.server.hw.clock
        if not isinstance(clock, ManualClock):
            raise s.failure("the after-launch acts need Headway to run on a ManualClock")
        posts = len(s.emu.calls_to("chat.postMessage"))
        for day in range(1, 11):
            clock.advance(days=1)
            done = await follow_through(s.server.hw)
            if done.get("escalated"):
                s.out.activity(f"{clock.now():%a %d %b}: escalated ({day} days after the standup)")
                break
            s.out.activity(f"{clock.now():%a %d %b}: nothing to escalate yet")
        else:
            raise s.failure("Lucas's blocker was never escalated")
        await s.wait_for(lambda: any(c.ok and c.params.get("channel") == PRIYA.id and "has been blocked" in str(
            c.params.get("blocks")) for c in s.emu.calls_to("chat.postMessage")[posts:]), "the escalation DM to Priya")
        s.show_new_posts()
        again = await follow_through(s.server.hw)
        if again.get("escalated"):
            raise s.failure("a blocker was escalated twice")

    async def digest(self) -> None:
        s = self.s
        answer = await s.command(ELENA, "digest preview")
        s.expect(answer, "Decisions and help needed", "the help needed in Elena's digest")
        s.expect(answer, "In production", "the In production group of Elena's digest")
        s.out.step(f"{ELENA.first_name}'s digest now shows the help needed and what is in production")
        s.out.ephemeral(ELENA.first_name, answer)

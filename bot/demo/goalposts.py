"""A demo act: Priya moves FRAUD's target. Headway asks why, records it, tells Elena and the channel, and
`/headway project history FRAUD` lists it with the gate decision."""

from __future__ import annotations

from bot.demo.cast import ELENA, PRIYA
from bot.demo.stage import Stage


async def move_goalposts(s: Stage) -> None:
    s.out.step(f"{PRIYA.first_name} runs /headway project edit FRAUD and lowers the target to 0.85")
    s.out.say("Goalposts (metric, baseline, target, dates) may move, but never silently.")
    view_id = await s.open_modal(PRIYA, "project edit FRAUD")
    refused = await s.slack.view_submission(PRIYA.id, view_id, {"target": "0.85"})
    if refused.response_action != "errors" or "change_reason" not in refused.errors:
        raise s.failure("Headway saved a moved target without asking why")
    s.out.say(f"Without a reason the form answers inline: “{refused.errors['change_reason']}”")
    posts = len(s.emu.calls_to("chat.postMessage"))
    saved = await s.slack.view_submission(PRIYA.id, view_id, {
        "target": "0.85", "change_reason": "Finance: 8.5 in 10 already pays for the review team"})
    if saved.status != 200 or saved.response_action == "errors":
        raise s.failure(f"Headway refused the edit: {saved.errors or saved.status}")
    await s.wait_for_posts(posts + 2, f"{ELENA.first_name}'s DM and the channel post")
    s.show_new_posts()
    answer = await s.command(ELENA, "project history FRAUD")
    s.out.ephemeral(ELENA.first_name, answer)
    s.expect(answer, "Target moved", "FRAUD's history")
    s.out.say("The exec digest marks FRAUD “target moved” for four weeks.")

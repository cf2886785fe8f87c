"""`/headway report SCOPE PERIOD`: a short summary here, the full report (Markdown and CSV) in the asker's DM."""

from __future__ import annotations

from bot.app import Headway
from bot.people import service as people
from bot.reports import service as reports
from handlers.registry import CommandRegistry
from handlers.replies import respond
from handlers.requests import CommandRequest

SUMMARY_PROJECTS = 12  # projects listed in the Slack summary; the file has them all


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("report", "The record of a project, a standup, a person or the portfolio over any period, as "
                 "files (Markdown and CSV) in your DM", run_report, args="KEY|portfolio|standup NAME|me|@person "
                 "[this week|last month|Q3|2026-07-01..2026-09-30|since DATE|as of DATE|all]", min_args=1,
                 max_args=8, who="your own answers and projects; PMs: their teams; execs: the portfolio")


async def run_report(hw: Headway, req: CommandRequest) -> None:
    now = hw.clock.now()
    async with hw.db.unit_of_work() as session:
        reader = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        report = await reports.read_request(session, reader, list(req.args), now,
                                            lambda p: hw.lifecycle(p.lifecycle))
        delivered = await reports.send_to_dm(session, hw.renderer, reader, report,
                                             req.trigger_id or f"{req.user_id}:{now.timestamp()}")
    hw.deliver()
    await respond(hw, req.response_url, "reports/summary.json.j2", report=report, files=delivered.files,
                  shown=report.projects[:SUMMARY_PROJECTS])

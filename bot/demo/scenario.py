"""The scripted story `headway demo` tells, one async method per act.

Every act plays Slack's side over real HTTP with `SlackDriver` (signed slash commands, modal submissions, button
clicks) against a running Headway, then prints what each person would see. Later acts (gates, digests) are added as
new methods and listed in `Scenario.ACTS`; the standup round lives in `bot.demo.standups`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.demo.after_launch import AfterLaunchActs
from bot.demo.cast import ADA, CAST, CHANNEL, ELENA, PRIYA, describe_fields
from bot.demo.goalposts import move_goalposts
from bot.demo.portfolio import PortfolioActs
from bot.demo.real_week import public_holiday
from bot.demo.stage import DemoError, Stage
from bot.demo.standups import StandupRound

__all__ = ["DemoError", "Scenario"]


class Scenario(Stage):
    ACTS = ("introduce_cast", "grant_roles", "create_projects", "list_projects", "show_project", "standup_round",
            "evidence", "gate", "move_goalposts", "stop_churn", "digest_and_home", "after_launch",
            "public_holiday")

    async def run(self) -> None:
        for act in self.ACTS:
            await getattr(self, act)()
            await self._close_left_views()
            self._check_calls()

    async def _close_left_views(self) -> None:
        """Close what an act left on people's screens ("Recorded", "Your vote is in"…), as they would with Close:
        otherwise the playground opens on a stale modal over the page."""
        for user_id, stack in list(self.emu.state.modal_stacks.items()):
            if stack:
                await self.slack.view_closed(user_id, stack[-1], is_cleared=True)

    # ------------------------------------------------------------------ acts
    async def introduce_cast(self) -> None:
        self.out.step("The cast")
        self.out.say(f"A Slack workspace with {len(CAST)} people in different time zones (emulated on this "
                     "machine). Headway runs against it exactly as it would against Slack.")
        now = self.server.hw.clock.now()
        for person in CAST:
            local = now.astimezone(ZoneInfo(person.user.tz)).strftime("%H:%M")
            self.out.line(f"  {person.user.real_name:<16} @{person.handle:<7} {person.role:<27} "
                          f"{local} in {person.user.tz}")

    async def grant_roles(self) -> None:
        for person, role in ((PRIYA, "pm"), (ELENA, "exec")):
            text = f"role {person.mention()} {role}"
            self.out.step(f"{ADA.first_name} runs /headway role @{person.handle} {role}")
            answer = await self.command(ADA, text)
            self.out.ephemeral(ADA.first_name, answer)
            self.expect(answer, "is now", f"{ADA.first_name}'s `/headway {text}`")
            self.show_new_posts()

    async def create_projects(self) -> None:
        for number, project in enumerate(self.projects):
            self.out.step(f"{PRIYA.first_name} runs /headway project new ({project.key})")
            view_id = await self.open_modal(PRIYA, "project new")
            if number == 0:
                self.out.say("Headway opens a modal at once (Slack's trigger expires in 3 s) and fills it in "
                             "right after.")
                self.out.view(PRIYA.first_name, self.emu.views[view_id])
            else:
                self.out.say("The same form opens.")
            values = project.values()
            self.out.fields(PRIYA.first_name, describe_fields(values, self.out.users, self.stage_names))
            answers_before = len(self.emu.responses)
            result = await self.slack.view_submission(PRIYA.id, view_id, values)
            if result.status != 200 or result.response_action == "errors":
                problems = "; ".join(f"{k}: {v}" for k, v in result.errors.items()) or f"HTTP {result.status}"
                raise DemoError(f"Headway refused the {project.key} form: {problems}")
            self.out.say(f"She presses Create; the modal closes and Headway confirms where she asked, in "
                         f"#{CHANNEL.name}.")
            answer = await self.private_answer(answers_before, PRIYA, project.key,
                                               f"the confirmation of {project.key}")
            self.out.ephemeral(PRIYA.first_name, answer)
            self.show_new_posts()

    async def list_projects(self) -> None:
        self.out.step(f"{ELENA.first_name} runs /headway project list")
        answer = await self.command(ELENA, "project list")
        self.out.ephemeral(ELENA.first_name, answer)
        for project in self.projects:
            self.expect(answer, project.key, f"{ELENA.first_name}'s `/headway project list`")

    async def show_project(self, key: str = "FRAUD") -> None:
        self.out.step(f"{ELENA.first_name} runs /headway project show {key}")
        self.out.say("The card speaks business language: why it matters, how it is measured, where it stands.")
        answer = await self.command(ELENA, f"project show {key}")
        self.out.ephemeral(ELENA.first_name, answer)
        self.expect(answer, "Expected by", f"{ELENA.first_name}'s `/headway project show {key}`")

    async def standup_round(self) -> None:
        await StandupRound(self).play()

    async def evidence(self) -> None:
        await PortfolioActs(self).evidence()

    async def gate(self) -> None:
        await PortfolioActs(self).gate()

    async def move_goalposts(self) -> None:
        await move_goalposts(self)

    async def stop_churn(self) -> None:
        await PortfolioActs(self).stop_churn()

    async def digest_and_home(self) -> None:
        await PortfolioActs(self).digest_and_home()

    async def after_launch(self) -> None:
        await AfterLaunchActs(self).play()

    async def public_holiday(self) -> None:
        await public_holiday(self)

"""The App Home: the portfolio board by stage for everyone, plus what is waiting for this person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digests.compose import Decision, Digest, ProjectLine, compose
from bot.digests.portfolio import load_portfolio
from bot.lifecycle import Lifecycle
from bot.models import Project, ProjectRole, PromptStatus, Role, Standup, StandupPrompt
from bot.people.service import Actor
from bot.render import Renderer
from bot.standups.schedule import zone

MAX_PER_STAGE = 15


@dataclass(frozen=True)
class StageColumn:
    name: str
    lines: tuple[ProjectLine, ...]
    more: int


@dataclass(frozen=True)
class Home:
    digest: Digest
    board: tuple[StageColumn, ...]
    mine: tuple[ProjectLine, ...]  # projects this person is a PM of
    prompts: tuple[tuple[StandupPrompt, Standup], ...]  # standups waiting for their answer
    decisions: tuple[Decision, ...]
    is_exec: bool


async def build_home(session: AsyncSession, renderer: Renderer, lifecycle_of: Callable[[Project], Lifecycle],
                     actor: Actor, now: datetime, decisions: tuple[Decision, ...]) -> Home:
    tz = zone(actor.person.tz)
    team_id, today = actor.person.team_id, now.astimezone(tz).date()
    data = await load_portfolio(session, team_id, today, tz)
    digest = compose(renderer, data, lifecycle_of, today, actor.user_id, decisions, tz=tz)
    columns: dict[str, list[ProjectLine]] = {}
    for project in data.projects:
        for stage in lifecycle_of(project).stages:
            columns.setdefault(stage.name, [])
    for line in sorted(digest.lines, key=lambda ln: ln.status.project.key):
        columns.setdefault(line.stage_name, []).append(line)
    board = tuple(StageColumn(name, tuple(lines[:MAX_PER_STAGE]), max(0, len(lines) - MAX_PER_STAGE))
                  for name, lines in columns.items() if lines)
    pm_of = {m.project_id for members in data.members.values() for m in members
             if m.user_id == actor.user_id and m.role == ProjectRole.PM}
    mine = tuple(line for line in digest.lines if line.status.project.id in pm_of)[:8]
    prompts = (await session.exec(
        select(StandupPrompt, Standup).join(Standup, Standup.id == StandupPrompt.standup_id)
        .where(StandupPrompt.team_id == team_id, StandupPrompt.user_id == actor.user_id,
               StandupPrompt.status == PromptStatus.PROMPTED, StandupPrompt.cutoff_at > now)
        .order_by(StandupPrompt.prompt_at))).all()
    return Home(digest=digest, board=board, mine=mine, prompts=tuple(prompts)[:5], decisions=decisions,
                is_exec=actor.has(Role.EXEC))

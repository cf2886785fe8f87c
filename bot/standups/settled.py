"""A standup prompt stops asking once it is answered, skipped or closed (bot/delivery/settle.py).

Answered: "Answer" becomes "Edit my answer" while the round is open. Skipped: no buttons. At the round's cutoff
every prompt, reminder and confirmation loses its buttons and says how the round ended for that person; whoever
missed it keeps one "Answer late" button, since a late answer still reaches the thread.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.settle import copies, outcome, settle
from bot.ids import ActionId
from bot.models import PromptStatus, Standup, StandupPrompt, StandupRun
from bot.render import Renderer
from bot.standups.report import run_key


def _base(standup: Standup, run: StandupRun, user_id: str) -> str:
    return f"{run_key(standup.id, run.run_date)}:{user_id}"  # type: ignore[arg-type]


def _buttons(renderer: Renderer, which: str, prompt: StandupPrompt, run: StandupRun) -> list[dict]:
    return renderer.message("standups/prompt_buttons.json.j2", which=which, prompt_id=prompt.id, run_id=run.id,
                            ids=ActionId).blocks


async def _prompts(session: AsyncSession, standup: Standup, run: StandupRun, user_id: str, *,
                   confirmations: bool = False) -> list:
    base = _base(standup, run, user_id)
    found = await copies(session, standup.team_id, keys=[f"{base}:prompt", f"{base}:reminder"])
    if confirmations:
        found += await copies(session, standup.team_id, prefix=f"{base}:confirm:", kinds=["standup_confirmation"])
    return found


async def answered(session: AsyncSession, renderer: Renderer, standup: Standup, run: StandupRun,
                   prompt: StandupPrompt, now: datetime) -> int:
    rows = await _prompts(session, standup, run, prompt.user_id)
    late = run.closed_at is not None
    line = outcome(renderer, "Late answer given" if late else "Answered", by=prompt.user_id, at=now,
                   detail="it is in the standup's thread")
    keep = [] if late else _buttons(renderer, "edit", prompt, run)
    return await settle(session, rows, line, version="late" if late else "answered", keep_actions=keep)


async def skipped(session: AsyncSession, renderer: Renderer, standup: Standup, run: StandupRun,
                  prompt: StandupPrompt, now: datetime) -> int:
    rows = await _prompts(session, standup, run, prompt.user_id)
    return await settle(session, rows, outcome(renderer, "Skipped today", by=prompt.user_id, at=now),
                        version="skipped")


async def closed(session: AsyncSession, renderer: Renderer, standup: Standup, run: StandupRun, now: datetime) -> int:
    """The round's cutoff: answers can no longer be edited, and the missed may still answer late."""
    queued = 0
    prompts = (await session.exec(select(StandupPrompt).where(StandupPrompt.run_id == run.id))).all()
    for prompt in prompts:
        if prompt.status == PromptStatus.SKIPPED:
            continue
        rows = await _prompts(session, standup, run, prompt.user_id, confirmations=True)
        if prompt.status == PromptStatus.ANSWERED:
            line = outcome(renderer, "Closed with your answer in the thread", at=now)
            queued += await settle(session, rows, line, version="closed")
        else:
            line = outcome(renderer, "Closed without your answer", at=now, icon=":lock:",
                           detail="a late answer still reaches the thread, marked late")
            queued += await settle(session, rows, line, version="closed",
                                   keep_actions=_buttons(renderer, "late", prompt, run))
    return queued

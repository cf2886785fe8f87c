"""The report of one standup run: who answered, who did not, what blocks people. Worded by templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Blocker as TrackedBlocker
from bot.models import PromptStatus, Standup, StandupAnswer, StandupAway, StandupPrompt, StandupRun


@dataclass(frozen=True)
class Blocker:
    user_id: str
    text: str
    age: str = ""  # how long it has been open ("3 working days"), when Headway tracks it


@dataclass(frozen=True)
class Away:
    """Someone off on the run's date, with where that came from ("Slack status", "public holiday: …")."""

    user_id: str
    reason: str
    until: date | None = None


@dataclass(frozen=True)
class RunSummary:
    standup_name: str
    run_date: date
    closed: bool
    answered: tuple[str, ...]
    late: tuple[str, ...]
    waiting: tuple[str, ...]
    missed: tuple[str, ...]
    skipped: tuple[str, ...]
    blockers: tuple[Blocker, ...]
    away: tuple[Away, ...] = ()


def _age(blocker: TrackedBlocker | None, today: date) -> str:
    from bot.standups.blockers import age_text

    return age_text(blocker, today) if blocker is not None else ""


def run_key(standup_id: int, run_date: date) -> str:
    return f"standup:{standup_id}:{run_date.isoformat()}"


async def summarize(session: AsyncSession, standup: Standup, run: StandupRun) -> RunSummary:
    prompts = (await session.exec(
        select(StandupPrompt).where(StandupPrompt.run_id == run.id).order_by(StandupPrompt.id)
    )).all()
    answers = {a.user_id: a for a in (await session.exec(
        select(StandupAnswer).where(StandupAnswer.run_id == run.id)
    )).all()}
    by_status: dict[str, list[str]] = {}
    late = []
    for prompt in prompts:
        by_status.setdefault(prompt.status, []).append(prompt.user_id)
        if prompt.status == PromptStatus.ANSWERED and prompt.answered_at and prompt.answered_at > prompt.cutoff_at:
            late.append(prompt.user_id)
    blocked = [a for a in answers.values() if a.blocked]
    tracked = (await session.exec(select(TrackedBlocker).where(
        TrackedBlocker.team_id == standup.team_id, TrackedBlocker.resolved_at.is_(None),  # type: ignore[union-attr]
        TrackedBlocker.user_id.in_([a.user_id for a in blocked])))).all() if blocked else []  # type: ignore[attr-defined]

    def age(answer: StandupAnswer) -> str:
        found = next((b for b in tracked if b.answer_id == answer.id), None) or next(
            (b for b in tracked if b.user_id == answer.user_id and b.text == answer.blocker.strip()), None)
        return _age(found, run.run_date)

    blockers = tuple(Blocker(a.user_id, a.blocker, age(a)) for a in blocked)
    away = tuple(Away(a.user_id, a.reason, a.until) for a in (await session.exec(
        select(StandupAway).where(StandupAway.run_id == run.id).order_by(StandupAway.id))).all())
    return RunSummary(
        standup_name=standup.name, run_date=run.run_date, closed=run.closed_at is not None,
        answered=tuple(by_status.get(PromptStatus.ANSWERED, ())), late=tuple(late),
        waiting=tuple(by_status.get(PromptStatus.PROMPTED, ())), missed=tuple(by_status.get(PromptStatus.MISSED, ())),
        skipped=tuple(u for u in by_status.get(PromptStatus.SKIPPED, ()) if u not in {a.user_id for a in away}),
        blockers=blockers, away=away,
    )

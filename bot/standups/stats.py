"""Standup participation over the last weeks: response rates and streaks, per person and per standup."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import PromptStatus, Standup, StandupAway, StandupPrompt, StandupRun


@dataclass(frozen=True)
class PersonStats:
    user_id: str
    answered: int
    missed: int
    skipped: int
    streak: int
    away: int = 0  # runs they were off for (time off): not expected, so not counted either way

    @property
    def rate(self) -> float | None:
        counted = self.answered + self.missed
        return self.answered / counted if counted else None


@dataclass(frozen=True)
class StandupStats:
    name: str
    since: date
    people: tuple[PersonStats, ...]

    @property
    def rate(self) -> float | None:
        answered = sum(p.answered for p in self.people)
        counted = answered + sum(p.missed for p in self.people)
        return answered / counted if counted else None


async def standup_stats(session: AsyncSession, standup: Standup, today: date, weeks: int = 4) -> StandupStats:
    since = today - timedelta(weeks=weeks)
    rows = (await session.exec(
        select(StandupPrompt.user_id, StandupPrompt.status, StandupRun.run_date)
        .join(StandupRun, StandupRun.id == StandupPrompt.run_id)
        .where(StandupPrompt.standup_id == standup.id, StandupRun.run_date >= since)
        .order_by(StandupRun.run_date)
    )).all()
    by_person: dict[str, list[str]] = {}
    for user_id, status, _ in rows:
        by_person.setdefault(user_id, []).append(status)
    away: dict[str, int] = {}
    for user_id in (await session.exec(
            select(StandupAway.user_id).join(StandupRun, StandupRun.id == StandupAway.run_id)
            .where(StandupAway.standup_id == standup.id, StandupRun.run_date >= since))).all():
        away[user_id] = away.get(user_id, 0) + 1
        by_person.setdefault(user_id, [])
    people = tuple(replace(_person(user_id, statuses), away=away.get(user_id, 0))
                   for user_id, statuses in sorted(by_person.items()))
    return StandupStats(standup.name, since, people)


def _person(user_id: str, statuses: list[str]) -> PersonStats:
    streak = 0
    for status in reversed(statuses):  # skips neither extend nor break a streak; open prompts don't count
        if status == PromptStatus.ANSWERED:
            streak += 1
        elif status == PromptStatus.MISSED:
            break
    return PersonStats(user_id, statuses.count(PromptStatus.ANSWERED), statuses.count(PromptStatus.MISSED),
                       statuses.count(PromptStatus.SKIPPED), streak)

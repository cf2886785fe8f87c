"""Which due outbox rows one claim takes, per workspace.

`size` of its oldest messages (chat.postMessage and what shares into a channel): every workspace has a budget of
its own, so one workspace's fan-out (a thousand prompts) does not keep another's waiting until it is out. And of
each tiered call (chat.update…) what its tier lets start within a claim's time (the pacer's `rooms`): they spend
no message budget, so they neither wait behind the messages nor, waiting for their own slots, hold them up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Subquery, and_, case, func, or_
from sqlmodel import col, select

from bot.models.outbox import OutboxMessage, OutboxMethod

# Calls paced by their method's tier alone: they edit or show in place, so they need not keep a channel's order
# with the messages (a file or canvas shared into a channel does, and goes with the messages)
TIERED = [str(OutboxMethod.UPDATE), str(OutboxMethod.EPHEMERAL), str(OutboxMethod.PUBLISH_HOME)]
CLAIM_SECONDS = 4.0  # a claim holds what goes out in about this long: the budget's messages, a tier's calls
MAX_WORKSPACES_PER_CLAIM = 16  # workspaces served by one claim (the others' turn comes at the next)


def due_rows(due: list[Any], size: int, rooms: dict[tuple[str | None, str], int]) -> Select[Any]:
    """(id, attempted_at) of the rows to claim, oldest first; `due` the conditions of a row due now."""
    ranked = _ranked(due)
    return (select(ranked.c.id, ranked.c.attempted_at).where(or_(
                and_(ranked.c.method.not_in(TIERED), ranked.c.place <= size),
                and_(ranked.c.method.in_(TIERED), ranked.c.place <= _room(ranked, rooms))))
            .order_by(ranked.c.id).limit(size * MAX_WORKSPACES_PER_CLAIM + sum(rooms.values())))


def _ranked(due: list[Any]) -> Subquery:
    """Due rows with their place in their workspace's queue: the messages in order of arrival, each tiered
    method's on its own, settles of answered questions last (a thousand DM prompts turning into "Answered" at 50
    a minute must not keep the report's refresh waiting)."""
    tiered = col(OutboxMessage.method).in_(TIERED)
    settle_last = case((and_(tiered, col(OutboxMessage.kind).endswith("_settled")), 1), else_=0)
    queue = case((tiered, OutboxMessage.method), else_="")
    place = func.row_number().over(partition_by=(OutboxMessage.team_id, queue),
                                   order_by=(settle_last, OutboxMessage.id)).label("place")
    return select(OutboxMessage.id, OutboxMessage.attempted_at, OutboxMessage.team_id, OutboxMessage.method,
                  place).where(*due).subquery()


def _room(ranked: Subquery, rooms: dict[tuple[str | None, str], int]) -> Any:
    """SQL for how many of a row's method its workspace may claim now (`rooms` from the pacer)."""
    known = [(and_(ranked.c.team_id == team, ranked.c.method == method), room)
             for (team, method), room in rooms.items() if team is not None]
    fresh = [(ranked.c.method == method, room) for (team, method), room in rooms.items() if team is None]
    return case(*known, *fresh, else_=0)

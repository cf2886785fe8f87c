"""Every message a gate sends, queued in the outbox under a key that says what it is for.

Cards are posted once per place (`gate:ID:card:channel`, `gate:ID:card:USER`) and later replaced in place
with chat.update rows that target those keys; a newer card version cancels older updates not yet sent,
so a burst of votes never leaves an out-of-date card behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.gates.form import CRITERION_STATUSES
from bot.gates.queries import GateView
from bot.gates.wording import DECISION_ICONS, DECISION_LABELS, RULE_NAMES
from bot.ids import ActionId
from bot.lifecycle import Lifecycle
from bot.models import OutboxMessage, OutboxMethod, OutboxStatus
from bot.render import Message, Renderer


def card_key(gate_id: int | None, where: str) -> str:
    return f"gate:{gate_id}:card:{where}"


def words(lifecycle: Lifecycle | None = None) -> dict[str, Any]:
    """What every gate template needs besides its data."""
    return {"ids": ActionId, "labels": {k.value: v for k, v in DECISION_LABELS.items()},
            "icons": {k.value: v for k, v in DECISION_ICONS.items()},
            "rule_names": {k.value: v for k, v in RULE_NAMES.items()}, "statuses": CRITERION_STATUSES,
            "stage_names": {s.key: s.name for s in lifecycle.stages} if lifecycle else {}}


def overdue(view: GateView, now: datetime) -> bool:
    """Open past its deadline: the votes did not decide and the PM has been asked to extend or close it."""
    return view.is_open and now >= view.gate.deadline_at


def card(renderer: Renderer, view: GateView, lifecycle: Lifecycle, now: datetime) -> Message:
    return renderer.message("gates/card.json.j2", v=view, overdue=overdue(view, now), **words(lifecycle))


def _places(view: GateView) -> list[tuple[str, str]]:
    """(where, channel) of every copy of the card: the project channel, then each approver's DM."""
    places = [("channel", view.gate.channel_id)] if view.gate.channel_id else []
    return places + [(a.user_id, a.user_id) for a in view.approvers]


async def post_cards(session: AsyncSession, renderer: Renderer, view: GateView, lifecycle: Lifecycle,
                     now: datetime) -> None:
    message = card(renderer, view, lifecycle, now)
    for where, channel in _places(view):
        await enqueue(session, team_id=view.gate.team_id, key=card_key(view.gate.id, where), kind="gate_card",
                      channel=channel, message=message)


async def refresh_cards(session: AsyncSession, renderer: Renderer, view: GateView, lifecycle: Lifecycle,
                        now: datetime) -> None:
    """Replace every copy of the card with its current state (chat.update through the outbox)."""
    message = card(renderer, view, lifecycle, now)
    version = f"v{view.gate.version}" + (":overdue" if overdue(view, now) else "")
    targets = [card_key(view.gate.id, where) for where, _ in _places(view)]
    await session.exec(update(OutboxMessage).where(  # type: ignore[call-overload]
        OutboxMessage.target_key.in_(targets), OutboxMessage.kind == "gate_card_update",  # type: ignore[union-attr]
        OutboxMessage.status == OutboxStatus.PENDING).values(status=OutboxStatus.CANCELLED))
    for (_, channel), target in zip(_places(view), targets, strict=True):
        await enqueue(session, team_id=view.gate.team_id, key=f"{target}:{version}",
                      kind="gate_card_update", channel=channel, method=OutboxMethod.UPDATE, target_key=target,
                      message=message)


async def tell(session: AsyncSession, renderer: Renderer, view: GateView, lifecycle: Lifecycle, *, what: str,
               people: list[str], channel: bool, key: str, **extra: Any) -> int:
    """A short notice about a gate (`what` picks the wording) to people's DMs and, if asked, the channel."""
    message = renderer.message("gates/notice.json.j2", v=view, what=what, **words(lifecycle), **extra)
    gate, queued = view.gate, 0
    if channel and gate.channel_id:
        queued += await enqueue(session, team_id=gate.team_id, key=f"gate:{gate.id}:{key}:channel",
                                kind=f"gate_{what}", channel=gate.channel_id, message=message)
    for user_id in dict.fromkeys(people):
        queued += await enqueue(session, team_id=gate.team_id, key=f"gate:{gate.id}:{key}:{user_id}",
                                kind=f"gate_{what}", channel=user_id, message=message)
    return queued

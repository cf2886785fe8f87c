"""Ack, then work: the one way Headway's listeners defer what Slack need not wait for.

Bolt's lazy listeners deep-copy the whole request before the ack goes out (over half of an action's ack time);
here the ack function answers Slack and the work functions are queued on `hw.background` with the very same
parsed body and context. Both kinds of function name the arguments they want, as Bolt listeners do:
`ack`, `body`, `context`, `view`, `event`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot import save_budget
from bot.app import Headway
from handlers.modals import notice

Listener = Callable[..., Awaitable[None]]
ARGUMENTS = frozenset({"ack", "body", "context", "view", "event"})


def _wanted(function: Listener) -> tuple[str, ...]:
    names = tuple(inspect.signature(function).parameters)
    unknown = set(names) - ARGUMENTS
    if unknown:
        raise TypeError(f"{function.__qualname__} asks for {sorted(unknown)}; only {sorted(ARGUMENTS)} are given")
    return names


async def ack_only(ack: AsyncAck) -> None:
    await ack()


BUSY = "Headway is busy right now — please try that again in a minute."


def acked(hw: Headway, acknowledge: Listener, *work: Listener,
          urgent: Callable[[AsyncBoltContext], bool] | None = None) -> Listener:
    """A Bolt listener: run `acknowledge` (it must call ack), then queue each of `work` behind the acks — or,
    when `urgent` says so after the ack (the work opens a modal: its trigger_id lives 3 s), ahead of the queue.

    When the queue is full (`hw.background.overloaded`) nothing is queued: a slash command is answered "busy" in
    its ack (the person sees it at once and nothing is half done); a form's follow-up is queued all the same (its
    saves are bounded by the save budget, and its confirmation, which may wait for Slack's pace, must not hold the
    ack); anything else — a click, an event — runs its work inline before the ack returns, which slows this one
    request instead of growing the backlog."""
    ack_names, work_names = _wanted(acknowledge), [_wanted(w) for w in work]

    async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, view: dict[str, Any] | None,
                       event: dict[str, Any] | None) -> None:
        given = {"ack": ack, "body": body, "context": context, "view": view, "event": event}
        form = body.get("type") == "view_submission"
        # A form's follow-up is queued even past the bound: the save budget already bounds how many forms get that
        # far, and run inline it would hold the ack (a confirmation may wait for Slack's pace) past Slack's 3 s.
        overloaded = bool(work) and not form and hw.background.overloaded
        if overloaded and body.get("command"):
            hw.metrics.shed.labels("command").inc()
            await ack(text=BUSY, response_type="ephemeral")
            return
        if form:  # a form saved in its ack: within the budget, or not at all
            try:
                with save_budget.within_budget():
                    await acknowledge(**{name: given[name] for name in ack_names})
            except save_budget.TooLate:
                hw.metrics.shed.labels("form").inc()
                await ack(**busy_form(hw, view or {}))
                return
        else:
            await acknowledge(**{name: given[name] for name in ack_names})
        first = urgent is not None and urgent(context)
        for function, names in zip(work, work_names, strict=True):
            if overloaded:
                hw.metrics.shed.labels("inline").inc()
                await function(**{name: given[name] for name in names})
            else:
                hw.background.spawn(function(**{name: given[name] for name in names}), urgent=first)

    listener.__qualname__ = listener.__name__ = f"acked_{acknowledge.__name__}"
    return listener


def busy_form(hw: Headway, view: dict[str, Any]) -> dict[str, Any]:
    """The answer to a form Headway could not save in time: "busy" under its first field (nothing was saved)."""
    inputs = [b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input" and b.get("block_id")]
    if inputs:
        return {"response_action": "errors", "errors": {inputs[0]: save_budget.BUSY}}
    return {"response_action": "update", "view": notice(hw, "Headway", f":hourglass: {save_budget.BUSY}")}


QUEUED = "headway_queued"  # set by an ack that committed outbox rows


def queued(context: AsyncBoltContext) -> None:
    """Say, inside an ack, that its transaction queued messages: `nudge_outbox` then wakes the sender."""
    context[QUEUED] = True


def nudge_outbox(hw: Headway) -> Listener:
    """Work for acks that queue messages: wake the outbox sender at once rather than at its next poll."""

    async def nudge(context: AsyncBoltContext) -> None:
        if context.get(QUEUED):
            hw.deliver()

    return nudge

"""The outbox sender: delivers due rows once, in order per channel, paced to Slack's rate limits.

- Every call waits for its slot in the pacer (bot.delivery.pacing): Slack's tiers, the workspace's
  chat.postMessage budget, one message a second per channel. A 429 blocks the whole method (for chat.postMessage
  the whole workspace) for `Retry-After`; rows are put back, not counted as failures.
- 5xx, timeouts, connection errors: retried with exponential backoff; after `max_attempts`, dead-lettered.
- Refusals a person can fix (not_in_channel, channel_not_found, is_archived, missing_scope): held, and the
  people who can fix it get a DM with a Retry button (bot.delivery.held); later rows for that channel wait too.
- Token revoked, app uninstalled: sending pauses for the workspace, nothing is dropped (bot.delivery.pause).
- Other refusals (invalid_blocks…): dead-lettered at once; retrying cannot help.
- "About to call Slack" and "Slack accepted it" are recorded by group commit, so after a crash only the few
  rows between the two are possibly sent; those are looked up in Slack per channel (one history walk for all
  of a channel's rows, under the same pacing) before they are sent again, so a restart never posts twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import zip_longest

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import col, select

from bot.canvases.delivery import deliver_canvas  # a canvas's own rules: create, share, edit, gone
from bot.db import Database
from bot.delivery import bundles, claims, held
from bot.delivery.client import prepaid, retry_after
from bot.delivery.commits import GroupCommit
from bot.delivery.gateway import SlackGateway
from bot.delivery.pacing import Pacer
from bot.delivery.pause import AUTH_ERRORS, Pause
from bot.delivery.recovery import find_sent, without_images
from bot.delivery.supersede import supersede
from bot.delivery.tokens import acting_for
from bot.metrics import Metrics
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.types import utcnow
from bot.render import Message, Renderer

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
PER_CHANNEL_PER_DRAIN = 4  # a busy channel goes at ~1 message/s: leave the rest for the next drain
CHANNEL_CLAIM = bundles.BUNDLE_ROWS * PER_CHANNEL_PER_DRAIN  # a thread's waiting replies, taken at once


class Dependency(Exception):
    """The message this one threads under or updates is not sent yet (`held`: it waits for a person's fix)."""

    def __init__(self, key: str, *, held: str | None = None) -> None:
        super().__init__(key)
        self.held = held


class OutboxSender:
    def __init__(self, db: Database, gateway: SlackGateway, metrics: Metrics, *, renderer: Renderer | None = None,
                 pacer: Pacer | None = None,
                 max_attempts: int = 6, concurrency: int = 16, batch: int = 500, poll_seconds: float = 1.0,
                 lease: timedelta = timedelta(seconds=60), probe_seconds: float = 30.0) -> None:
        self._db, self._gateway, self._metrics = db, gateway, metrics
        self._renderer = renderer or Renderer()
        self._pacer = pacer or Pacer()  # the gateway client's, so both see the same slots and 429 blocks
        self.max_attempts, self._concurrency, self._batch, self._poll = max_attempts, concurrency, batch, poll_seconds
        self._wake = asyncio.Event()
        self._lease = lease  # how long a claimed row is ours before another sender may take it over
        self._task: asyncio.Task[None] | None = None
        self._recovering: set[int] = set()  # rows whose last attempt may have reached Slack: look before resending
        self._alone: set[int] = set()  # rows Slack refused within a bundle: sent on their own, to find the bad one
        self._stopping = False
        self._sent_refs: dict[str, tuple[str, str]] = {}  # keys sent but not yet recorded -> (channel, ts)
        self._attempts: GroupCommit[int] = GroupCommit(self._write_attempts)
        self._sent: GroupCommit[tuple[str, dict[str, object]]] = GroupCommit(self._write_sent)
        self.paused = Pause(probe_seconds)  # workspaces whose token Slack refuses, and why

    def wake(self) -> None:
        self._wake.set()

    def pause(self, team_id: str, why: str) -> None:
        """Stop sending for a workspace (its token no longer works); due rows wait, nothing is dropped."""
        self.paused.pause(team_id, why)

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop the loop. The flag matters: Python 3.11's wait_for can swallow a cancellation (a hung shutdown)."""
        self._stopping = True
        if self._task is not None:
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=1)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                self._task.result()
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if self.paused and await self.paused.probe(self._gateway.auth_ok):
                    self.wake()
                await self.drain()
            except Exception:  # the database may be restarting: keep the loop alive and try again
                log.exception("outbox drain failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()

    def _claim_size(self) -> int:
        """Claim what the budget sends in a few seconds: a crash then leaves few rows waiting for their lease."""
        rate = self._pacer.message_rate * self._pacer.scale
        return max(self._concurrency, min(self._batch, int(rate * claims.CLAIM_SECONDS)))

    async def drain(self) -> int:
        """Send every row that is due now; returns how many were sent."""
        size = self._claim_size()
        rows = await self._claim(size)
        if not rows:
            return 0
        claimed = len(rows)
        rows, stale = await supersede(self._db, rows)
        if stale:
            self._metrics.outbox_retries.labels("superseded").inc(stale)
        by_channel: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_channel[(row.team_id, row.channel)].append(row)
        gate = asyncio.Semaphore(self._concurrency)
        held_channels = await self._held_channels(rows)

        async def run_channel(queue: list[OutboxMessage]) -> int:
            with acting_for(queue[0].team_id):  # its workspace's token and pacing budget
                return await channel_rows(queue)

        async def channel_rows(queue: list[OutboxMessage]) -> int:
            sent = 0
            async with gate:
                sends = bundles.conversations(queue, self._recovering | self._alone)
                if len(sends) > PER_CHANNEL_PER_DRAIN:
                    later = [row for send in sends[PER_CHANNEL_PER_DRAIN:] for row in send]
                    sends = sends[:PER_CHANNEL_PER_DRAIN]
                    queue = [row for send in sends for row in send]
                    await self._release(later, utcnow() + timedelta(seconds=len(sends) / self._pacer.scale))
                place = (queue[0].team_id, queue[0].channel)
                if place in held_channels:  # keep the order: wait behind the held ones
                    await self._hold_rest(queue, held_channels[place])
                    return 0
                queue, sent = await self._recover(queue)
                sends = bundles.conversations(queue, self._alone)  # the replies found in Slack are out of their bundles
                for index, send in enumerate(sends):
                    outcome = await self._deliver(send)
                    sent += len(send) if outcome == "sent" else 0
                    rest = [row for later in sends[index + 1:] for row in later]
                    if outcome == "blocked":  # rate limited or paused: this channel's later rows wait too
                        await self._release(rest, self._not_before(send[0]))
                        break
                    if outcome == "held":
                        await self._hold_rest(rest, send[0].last_error or "")
                        break
            return sent

        # workspaces take turns for the sender's slots (each waits on its own budget, not behind another's)
        by_team: dict[str, list[list[OutboxMessage]]] = defaultdict(list)
        for queue in by_channel.values():
            by_team[queue[0].team_id].append(queue)
        turns = [queue for turn in zip_longest(*by_team.values()) for queue in turn if queue]
        # return_exceptions: otherwise gather returns when one channel fails or is cancelled, leaving others running
        results = await asyncio.gather(*(run_channel(q) for q in turns), return_exceptions=True)
        await self._sent.flush()  # every send of this drain on record before the next claim
        for result in results:
            if isinstance(result, BaseException):
                raise result
        sent = sum(results)  # type: ignore[arg-type]
        if claimed >= size or sent:
            self.wake()
        return sent

    async def _claim(self, size: int) -> list[OutboxMessage]:
        """Take due rows (and 'sending' rows whose lease ran out after a crash) for this process.

        One UPDATE marks them with a fresh token, so two senders (two replicas) never take the same row.
        """
        now, token = utcnow(), uuid.uuid4().hex
        due = [col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
               OutboxMessage.next_attempt_at <= now]
        if self.paused:
            due.append(col(OutboxMessage.team_id).not_in(list(self.paused.why)))
        rooms = self._pacer.rooms(claims.TIERED, claims.CLAIM_SECONDS)
        async with self._db.unit_of_work() as session:
            found = (await session.exec(claims.due_rows(due, size, rooms))).all()  # type: ignore[call-overload]
            if not found:
                return []
            ids = [row_id for row_id, _ in found]
            # attempted_at is written just before Slack is called and cleared when Slack's answer is certain:
            # a row that still has it (a crash mid-call, a timeout) may already be in Slack.
            self._recovering.update(row_id for row_id, attempted in found if attempted is not None)
            await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_(ids), *due)  # type: ignore[call-overload]
                               .values(status=OutboxStatus.SENDING, next_attempt_at=now + self._lease, claim=token))
        async with self._db.unit_of_work() as session:
            rows = list((await session.exec(
                select(OutboxMessage).where(OutboxMessage.claim == token).order_by(OutboxMessage.id)
            )).all())
        # a thread's replies wait for their channel's one slot a second: take all that are due, to send together,
        # even while older messages elsewhere (a thousand confirmation DMs) wait for the workspace's budget.
        # Every unclaimed due row is newer than every claimed one, so each channel's order is kept.
        async with self._db.unit_of_work() as session:
            threads = {row.channel for row in rows if bundles.bundleable(row)} | set((await session.exec(
                select(OutboxMessage.channel).where(
                    *due, col(OutboxMessage.thread_key).is_not(None), OutboxMessage.method == OutboxMethod.POST)
                .distinct().limit(self._concurrency)
            )).all())
            if not threads:
                return rows
            more = (await session.exec(
                select(OutboxMessage.id, OutboxMessage.attempted_at)
                .where(*due, col(OutboxMessage.channel).in_(threads), col(OutboxMessage.id).not_in(ids),
                       col(OutboxMessage.method).not_in(claims.TIERED))
                .order_by(OutboxMessage.id).limit(CHANNEL_CLAIM)
            )).all()
            if not more:
                return rows
            self._recovering.update(row_id for row_id, attempted in more if attempted is not None)
            await session.exec(update(OutboxMessage).where(  # type: ignore[call-overload]
                col(OutboxMessage.id).in_([row_id for row_id, _ in more]), *due)
                .values(status=OutboxStatus.SENDING, next_attempt_at=now + self._lease, claim=token))
        async with self._db.unit_of_work() as session:
            return list((await session.exec(
                select(OutboxMessage).where(OutboxMessage.claim == token).order_by(OutboxMessage.id)
            )).all())

    async def _held_channels(self, rows: list[OutboxMessage]) -> dict[tuple[str, str], str]:
        """(workspace, channel) among `rows` that already have held messages, and why: new rows queue behind
        them. By workspace too: two workspaces' channels may share an id (a DM is named by its user)."""
        channels = {row.channel for row in rows}
        async with self._db.unit_of_work() as session:
            found = (await session.exec(
                select(OutboxMessage.team_id, OutboxMessage.channel, OutboxMessage.last_error).where(
                    OutboxMessage.status == OutboxStatus.HELD, col(OutboxMessage.channel).in_(channels))
            )).all()
        return {(team, channel): error or "" for team, channel, error in found}

    def _not_before(self, row: OutboxMessage) -> datetime:
        if row.team_id in self.paused:
            return utcnow() + timedelta(seconds=self.paused.probe_seconds)
        return utcnow() + timedelta(seconds=max(self._pacer.blocked_for(row.method), self._slot_wait(row)))

    def _slot_wait(self, row: OutboxMessage) -> float:
        """How long a tiered call (chat.update at 50 a minute…) would wait for its slot; chat.postMessage's budget
        is what a claim is sized by, so it is not counted here."""
        return 0.0 if row.method == OutboxMethod.POST else self._pacer.slot_wait(row.method)

    async def _release(self, rows: list[OutboxMessage], when: datetime) -> None:
        if not rows:
            return
        async with self._db.unit_of_work() as session:
            await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_([r.id for r in rows]))  # type: ignore[call-overload]
                               .values(status=OutboxStatus.PENDING, next_attempt_at=when, claim=None))

    async def _hold_rest(self, rows: list[OutboxMessage], problem: str) -> None:
        """Rows behind a held one in the same channel wait with it (its DM already went out)."""
        if not rows:
            return
        async with self._db.unit_of_work() as session:
            await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_([r.id for r in rows]))  # type: ignore[call-overload]
                               .values(status=OutboxStatus.HELD, last_error=problem, claim=None))

    async def _recover(self, queue: list[OutboxMessage]) -> tuple[list[OutboxMessage], int]:
        """Look up this channel's possibly-sent rows in Slack, all at once; those found are recorded as sent.
        A rate limit or outage puts the channel's rows back for later; if Slack cannot tell (no history
        access), they are sent again: a rare duplicate beats a lost message."""
        doubtful = [r for r in queue if r.id in self._recovering and r.method == OutboxMethod.POST]
        if not doubtful:
            return queue, 0
        try:
            found = await find_sent(self._gateway, doubtful, self._sent_ref)
        except SlackApiError as error:
            if error.response.status_code == 429 or error.response.status_code >= 500:
                await self._release(queue, self._not_before(queue[0]))
                return [], 0
            log.warning("cannot check whether %d messages to %s were already sent (%s); sending them",
                        len(doubtful), queue[0].channel, error.response.get("error"))
            found = {}
        except (TimeoutError, OSError, aiohttp.ClientError):
            await self._release(queue, utcnow() + timedelta(seconds=5))
            return [], 0
        self._recovering.difference_update(r.id for r in doubtful)
        for row in doubtful:
            if row.key in found:
                await self._mark_sent(row, found[row.key].channel, found[row.key].ts)
        return [r for r in queue if r.key not in found], len(found)

    async def _deliver(self, send: list[OutboxMessage]) -> str:
        """One call to Slack: one row, or a bundle of replies to one thread (each row keeps its own outcome)."""
        row, rest = send[0], send[1:]
        if (row.team_id in self.paused or self._pacer.blocked_for(row.method) > 0
                or self._slot_wait(row) > claims.CLAIM_SECONDS):  # a far slot goes back to the queue, not in the way
            await self._release(send, self._not_before(row))
            return "blocked"
        try:
            channel, ts = await self._send(row, send)
        except Dependency as waiting:
            if waiting.held:
                await self._hold_rest(send, waiting.held)
                row.last_error = waiting.held
                return "held"
            for each in send:
                # its parent waits for a channel slot (about a second, at Slack's pace): look again after one
                await self._reschedule(each, timedelta(seconds=1 / self._pacer.scale),
                                       error="waiting for the message it depends on",
                                       count_attempt=False, certain=True)
            return "waiting"
        except SlackApiError as error:
            if rest and self._refused_as_a_whole(error):  # one reply Slack will not take must not sink the rest
                self._alone.update(each.id for each in send)  # type: ignore[misc]
                await self._release(send, utcnow())
                return "retry"
            outcome = await self._failed(row, error)
            await self._same_for_rest(outcome, row, rest, error)
            return outcome
        except (TimeoutError, OSError, aiohttp.ClientError) as error:
            outcome = ""
            for each in send:
                outcome = await self._transient(each, f"{type(error).__name__}: {error}"[:300])
            return outcome
        except Exception as error:  # a bug or a malformed payload: dead-letter, do not loop on it
            log.exception("outbox row %s failed unexpectedly", row.key)
            for each in send:
                await self._dead(each, f"{type(error).__name__}: {error}"[:300])
            return "dead"
        for each in send:
            await self._mark_sent(each, channel, ts)
            self._alone.discard(each.id)  # type: ignore[arg-type]
        return "sent"

    @staticmethod
    def _refused_as_a_whole(error: SlackApiError) -> bool:
        """A refusal of the message itself (too long, invalid blocks), not of the channel, token or pace."""
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        status = error.response.status_code
        return not (status == 429 or status >= 500 or code in AUTH_ERRORS or code in held.FIXABLE
                    or code in TRANSIENT_ERRORS)

    async def _same_for_rest(self, outcome: str, row: OutboxMessage, rest: list[OutboxMessage],
                             error: SlackApiError) -> None:
        """The rest of a bundle goes the way its first row went (they were one call)."""
        if not rest:
            return
        if outcome == "blocked":
            await self._release(rest, self._not_before(row))
        elif outcome == "held":
            await self._hold_rest(rest, row.last_error or "")
        else:
            for each in rest:
                await self._transient(each, f"HTTP {error.response.status_code}")

    async def _send(self, row: OutboxMessage, send: list[OutboxMessage]) -> tuple[str | None, str | None]:
        payload = json.loads(row.payload)
        message = Message(text=payload.get("text", ""), blocks=payload.get("blocks") or [])
        if row.method == OutboxMethod.POST:
            thread_ts = (await self._sent_ref(row.thread_key))[1] if row.thread_key else None
            # the slot first, then "about to call" on record, then the call: a crash leaves few in doubt
            await self._pacer.acquire(row.method, row.channel)
            await asyncio.gather(*(self._attempts.add(each.id) for each in send))  # type: ignore[arg-type]
            if len(send) > 1:
                message = bundles.bundle_message(send)
            with prepaid(row.method):
                posted = await self._gateway.post_message(row.channel, message, thread_ts=thread_ts, key=row.key,
                                                          keys=[each.key for each in send])
            return posted.channel, posted.ts
        if row.method == OutboxMethod.UPDATE:
            channel, ts = await self._sent_ref(row.target_key or "")
            message = await self._whole_message(row, channel, ts, message)
            await self._gateway.update_message(channel, ts, message)
            return channel, ts
        if row.method == OutboxMethod.EPHEMERAL:
            await self._gateway.post_ephemeral(row.channel, payload["user"], message)
            return row.channel, None
        if row.method == OutboxMethod.UPLOAD:
            thread_ts = (await self._sent_ref(row.thread_key))[1] if row.thread_key else None
            channel = await self._gateway.conversation(row.channel)
            await self._gateway.share_files(channel, payload["files"], comment=message.text, thread_ts=thread_ts)
            return channel, None
        if row.method in (OutboxMethod.CANVAS_CREATE, OutboxMethod.CANVAS_EDIT):
            return await deliver_canvas(self._db, self._gateway, row, payload)
        if row.method == OutboxMethod.PUBLISH_HOME:
            await self._gateway.publish_home(row.channel, payload["view"])
            return row.channel, None
        raise ValueError(f"unknown outbox method {row.method}")

    async def _whole_message(self, row: OutboxMessage, channel: str, ts: str, edit: Message) -> Message:
        """What an update of one reply must send: the whole message it sits in (a bundle holds several)."""
        await self._sent.flush()  # the bundle's members on record
        async with self._db.unit_of_work() as session:
            members = list((await session.exec(select(OutboxMessage).where(
                OutboxMessage.result_ts == ts, OutboxMessage.result_channel == channel,
                OutboxMessage.method == OutboxMethod.POST, OutboxMessage.status == OutboxStatus.SENT,
            ).order_by(OutboxMessage.id))).all())
            if len(members) <= 1:
                return edit
            edits = (await session.exec(select(OutboxMessage.target_key, OutboxMessage.payload).where(
                col(OutboxMessage.target_key).in_([m.key for m in members]),
                OutboxMessage.method == OutboxMethod.UPDATE, OutboxMessage.status == OutboxStatus.SENT,
            ).order_by(OutboxMessage.id))).all()
        latest = {str(key): payload for key, payload in edits}  # the last sent edit of each member wins
        return bundles.compose(members, latest, row.target_key or "", edit)

    async def _sent_ref(self, key: str) -> tuple[str, str]:
        if key in self._sent_refs:
            return self._sent_refs[key]
        async with self._db.unit_of_work() as session:
            target = (await session.exec(select(OutboxMessage).where(OutboxMessage.key == key))).first()
        if target is None or target.status == OutboxStatus.DEAD:
            raise ValueError(f"the message {key} it depends on was never sent")
        if target.status == OutboxStatus.HELD:
            raise Dependency(key, held=target.last_error or "held")
        if target.status != OutboxStatus.SENT or not target.result_ts:
            raise Dependency(key)
        return target.result_channel or target.channel, target.result_ts

    async def _failed(self, row: OutboxMessage, error: SlackApiError) -> str:
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        if status == 429:  # the client has blocked the method in the pacer
            self._metrics.outbox_retries.labels("ratelimited").inc()
            await self._reschedule(row, timedelta(seconds=retry_after(error)), error="rate limited",
                                   count_attempt=False, certain=True)
            return "blocked"
        if code in AUTH_ERRORS:
            self.pause(row.team_id, code)
            self._metrics.outbox_retries.labels("paused").inc()
            await self._reschedule(row, timedelta(seconds=self.paused.probe_seconds), error=f"paused: {code}",
                                   count_attempt=False, certain=True)
            return "blocked"
        if code in held.FIXABLE:
            log.warning("outbox row %s held: %s in %s", row.key, code, row.channel)
            self._metrics.outbox_retries.labels("held").inc()
            async with self._db.unit_of_work() as session:
                await held.hold(session, self._renderer, row, code)
            row.last_error = code
            self.wake()  # the DMs to the people who can fix it
            return "held"
        if status >= 500 or code in TRANSIENT_ERRORS:
            return await self._transient(row, f"HTTP {status} {code or ''}".strip())
        if code == "invalid_blocks" and await self._without_images(row):
            return "retry"
        await self._dead(row, f"Slack refused it: {code or status}")
        return "dead"

    async def _without_images(self, row: OutboxMessage) -> bool:
        """Slack may refuse an image of a file it will not show (e.g. a private upload): the words matter
        more than the chart, so send the message again without its images rather than lose it."""
        payload = without_images(row.payload)
        if payload is None:
            return False
        log.warning("Slack refused the images in %s; sending it without them", row.key)
        async with self._db.unit_of_work() as session:
            await session.exec(update(OutboxMessage).where(OutboxMessage.id == row.id).values(  # type: ignore[call-overload]
                payload=payload, status=OutboxStatus.PENDING, next_attempt_at=utcnow(), last_error="images refused",
                attempted_at=None))
        return True

    async def _transient(self, row: OutboxMessage, error: str) -> str:
        if row.attempts + 1 >= self.max_attempts:
            await self._dead(row, error, attempts=row.attempts + 1)
            return "dead"
        self._metrics.outbox_retries.labels("transient").inc()
        delay = min(300.0, 0.5 * 2 ** row.attempts) * random.uniform(0.8, 1.2)
        await self._reschedule(row, timedelta(seconds=delay), error=error, count_attempt=True, certain=False)
        return "retry"

    async def _reschedule(self, row: OutboxMessage, delay: timedelta, *, error: str, count_attempt: bool,
                          certain: bool) -> None:
        """Try again later. `certain`: Slack surely did not post it; otherwise check before resending."""
        async with self._db.unit_of_work() as session:
            await session.exec(update(OutboxMessage).where(OutboxMessage.id == row.id).values(  # type: ignore[call-overload]
                status=OutboxStatus.PENDING, next_attempt_at=utcnow() + delay, last_error=error,
                attempted_at=None if certain else row.attempted_at or utcnow(),
                attempts=row.attempts + (1 if count_attempt else 0),
            ))

    async def _dead(self, row: OutboxMessage, error: str, attempts: int | None = None) -> None:
        log.error("outbox row %s dead-lettered: %s", row.key, error)
        self._metrics.outbox_dead.labels(row.kind).inc()
        async with self._db.unit_of_work() as session:
            await session.exec(update(OutboxMessage).where(OutboxMessage.id == row.id).values(  # type: ignore[call-overload]
                status=OutboxStatus.DEAD, last_error=error, attempts=attempts or row.attempts + 1))

    async def _mark_sent(self, row: OutboxMessage, channel: str | None, ts: str | None) -> None:
        """Record a send (group commit, not awaited); until written, replies find its ts here. A crash before
        the write leaves the row "sending" with attempted_at: the lookup finds it."""
        self._metrics.outbox_sent.labels(row.kind).inc()
        if ts:
            self._sent_refs[row.key] = (channel or row.channel, ts)
        self._recovering.discard(row.id)  # type: ignore[arg-type]
        self._sent.add_nowait((row.key, dict(id=row.id, status=OutboxStatus.SENT, result_channel=channel,
                                             result_ts=ts, sent_at=utcnow(), last_error=None, attempted_at=None,
                                             claim=None, attempts=row.attempts + 1)))

    async def _write_attempts(self, ids: list[int]) -> None:
        async with self._db.unit_of_work() as session:
            await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_(ids))  # type: ignore[call-overload]
                               .values(attempted_at=utcnow()))

    async def _write_sent(self, marks: list[tuple[str, dict[str, object]]]) -> None:
        try:
            async with self._db.unit_of_work() as session:
                await session.exec(update(OutboxMessage), params=[mark for _, mark in marks])  # type: ignore[call-overload]
        except Exception:
            log.exception("could not record %d sends; they will be looked up in Slack when their lease ends",
                          len(marks))
        finally:
            for key, _ in marks:
                self._sent_refs.pop(key, None)


"""The outbox sender: delivers due rows once, in order per channel, within Slack's rate limits.

- 429: that method/channel waits `Retry-After` (other channels keep going); not counted as a failure.
- 5xx, timeouts, connection errors: retried with exponential backoff; after `max_attempts`, dead-lettered.
- Slack refusals (channel_not_found, invalid_blocks…): dead-lettered at once; retrying cannot help.
- A row left "sending" by a crash is checked against Slack (message metadata carries the key) before
  it is sent again, so a restart never posts twice.
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

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import select

from bot.db import Database
from bot.delivery.gateway import Posted, SlackGateway
from bot.metrics import Metrics
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.types import utcnow
from bot.render import Message

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class Dependency(Exception):
    """The message this one threads under or updates is not sent yet."""


class OutboxSender:
    def __init__(self, db: Database, gateway: SlackGateway, metrics: Metrics, *, max_attempts: int = 6,
                 concurrency: int = 16, batch: int = 500, poll_seconds: float = 1.0,
                 lease: timedelta = timedelta(seconds=60), mark_batch: int = 100) -> None:
        self._db, self._gateway, self._metrics = db, gateway, metrics
        self.max_attempts, self._concurrency, self._batch, self._poll = max_attempts, concurrency, batch, poll_seconds
        self._wake = asyncio.Event()
        self._lease = lease  # how long a claimed row is ours before another sender may take it over
        self._blocked_until: dict[tuple[str, str], datetime] = {}
        self._task: asyncio.Task[None] | None = None
        self._recovering: set[int] = set()  # rows a crashed sender left mid-send: check Slack before resending
        self._stopping = False
        self._sent: dict[int, tuple[str, dict[str, object]]] = {}  # sends not yet recorded: id -> (key, values)
        self._sent_refs: dict[str, tuple[str, str]] = {}  # their keys -> (channel, ts), for threads and updates
        self._mark_batch = mark_batch

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop the loop. The flag matters: Python 3.11's wait_for can swallow a cancellation, and a loop
        that only relied on it would then run forever (and hang shutdown)."""
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
                await self.drain()
            except Exception:  # the database may be restarting: keep the loop alive and try again
                log.exception("outbox drain failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()

    async def drain(self) -> int:
        """Send every row that is due now; returns how many were sent."""
        rows = await self._claim()
        if not rows:
            return 0
        by_channel: dict[str, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_channel[row.channel].append(row)
        gate = asyncio.Semaphore(self._concurrency)

        async def run_channel(queue: list[OutboxMessage]) -> int:
            sent = 0
            async with gate:
                for index, row in enumerate(queue):
                    outcome = await self._deliver(row)
                    sent += outcome == "sent"
                    if outcome == "blocked":  # this channel is rate limited: its later rows wait too
                        await self._release(queue[index + 1:], self._blocked_until_for(row))
                        break
            return sent

        try:
            # return_exceptions: without it gather returns as soon as one channel fails or is cancelled (stop())
            # and leaves the others running, owned by nobody, past shutdown. With it, every channel has ended.
            results = await asyncio.gather(*(run_channel(q) for q in by_channel.values()), return_exceptions=True)
        finally:
            await self._flush_sent()
        for result in results:
            if isinstance(result, BaseException):
                raise result
        sent = sum(results)
        if sent and len(rows) == self._batch:
            self.wake()
        return sent

    async def _claim(self) -> list[OutboxMessage]:
        """Take due rows (and 'sending' rows whose lease ran out after a crash) for this process.

        One UPDATE marks them with a fresh token, so two senders (two replicas) never take the same row.
        """
        now, token = utcnow(), uuid.uuid4().hex
        due = (OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),  # type: ignore[attr-defined]
               OutboxMessage.next_attempt_at <= now)
        async with self._db.unit_of_work() as session:
            found = (await session.exec(
                select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempted_at).where(*due)
                .order_by(OutboxMessage.id).limit(self._batch)
            )).all()
            if not found:
                return []
            ids = [row_id for row_id, _, _ in found]
            # Only a row whose last attempt ended without a clear answer (a crash mid-call, a timeout)
            # may already be in Slack. The claim itself counts as the attempt: a row it leaves "sending"
            # (the process died before recording the answer) is looked up in Slack before it is sent again.
            self._recovering.update(row_id for row_id, _, attempted in found if attempted is not None)
            await session.exec(update(OutboxMessage).where(OutboxMessage.id.in_(ids), *due)  # type: ignore[call-overload]
                               .values(status=OutboxStatus.SENDING, next_attempt_at=now + self._lease, claim=token,
                                       attempted_at=now))
        async with self._db.unit_of_work() as session:
            return list((await session.exec(
                select(OutboxMessage).where(OutboxMessage.claim == token).order_by(OutboxMessage.id)
            )).all())

    def _blocked_until_for(self, row: OutboxMessage) -> datetime:
        return max(self._blocked_until.get((row.method, row.channel), utcnow()),
                   self._blocked_until.get((row.method, "*"), utcnow()))

    async def _release(self, rows: list[OutboxMessage], when: datetime) -> None:
        async with self._db.unit_of_work() as session:
            for row in rows:
                await session.exec(update(OutboxMessage).where(OutboxMessage.id == row.id)  # type: ignore[call-overload]
                                   .values(status=OutboxStatus.PENDING, next_attempt_at=when, attempted_at=None))

    async def _deliver(self, row: OutboxMessage) -> str:
        if self._blocked_until_for(row) > utcnow():
            await self._release([row], self._blocked_until_for(row))
            return "blocked"
        try:
            if row.id in self._recovering and row.method == OutboxMethod.POST:
                found = await self._find_earlier_send(row)
                self._recovering.discard(row.id)
                if found is not None:
                    await self._mark_sent(row, found.channel, found.ts)
                    return "sent"
            channel, ts = await self._send(row)
        except Dependency:
            await self._reschedule(row, timedelta(seconds=1), error="waiting for the message it depends on",
                                   count_attempt=False, certain=True)
            return "waiting"
        except SlackApiError as error:
            return await self._failed(row, error)
        except (TimeoutError, OSError, aiohttp.ClientError) as error:
            return await self._transient(row, f"{type(error).__name__}: {error}"[:300])
        except Exception as error:  # a bug or a malformed payload: dead-letter, do not loop on it
            log.exception("outbox row %s failed unexpectedly", row.key)
            await self._dead(row, f"{type(error).__name__}: {error}"[:300])
            return "dead"
        await self._mark_sent(row, channel, ts)
        return "sent"

    async def _find_earlier_send(self, row: OutboxMessage) -> Posted | None:
        """Did Slack get this message before the crash? Rate limits and outages retry the check later;
        if Slack cannot tell (no history access), send again: a rare duplicate beats a lost message."""
        try:
            thread_ts = (await self._sent_ref(row.thread_key))[1] if row.thread_key else None
            return await self._gateway.find_posted(row.channel, row.key, row.created_at, thread_ts=thread_ts)
        except SlackApiError as error:
            if error.response.status_code == 429 or error.response.status_code >= 500:
                raise
            log.warning("cannot check whether %s was already sent (%s); sending it", row.key,
                        error.response.get("error"))
            return None

    async def _send(self, row: OutboxMessage) -> tuple[str | None, str | None]:
        payload = json.loads(row.payload)
        message = Message(text=payload.get("text", ""), blocks=payload.get("blocks") or [])
        if row.method == OutboxMethod.POST:
            thread_ts = (await self._sent_ref(row.thread_key))[1] if row.thread_key else None
            posted = await self._gateway.post_message(row.channel, message, thread_ts=thread_ts, key=row.key)
            return posted.channel, posted.ts
        if row.method == OutboxMethod.UPDATE:
            channel, ts = await self._sent_ref(row.target_key or "")
            await self._gateway.update_message(channel, ts, message)
            return channel, ts
        if row.method == OutboxMethod.EPHEMERAL:
            await self._gateway.post_ephemeral(row.channel, payload["user"], message)
            return row.channel, None
        if row.method == OutboxMethod.PUBLISH_HOME:
            await self._gateway.publish_home(row.channel, payload["view"])
            return row.channel, None
        raise ValueError(f"unknown outbox method {row.method}")

    async def _sent_ref(self, key: str) -> tuple[str, str]:
        if key in self._sent_refs:
            return self._sent_refs[key]
        async with self._db.unit_of_work() as session:
            target = (await session.exec(select(OutboxMessage).where(OutboxMessage.key == key))).first()
        if target is None or target.status == OutboxStatus.DEAD:
            raise ValueError(f"the message {key} it depends on was never sent")
        if target.status != OutboxStatus.SENT or not target.result_ts:
            raise Dependency(key)
        return target.result_channel or target.channel, target.result_ts

    async def _failed(self, row: OutboxMessage, error: SlackApiError) -> str:
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        if status == 429:
            retry_after = int(error.response.headers.get("Retry-After", error.response.headers.get("retry-after", 1)))
            scope = row.channel if row.method == OutboxMethod.POST else "*"
            self._blocked_until[(row.method, scope)] = utcnow() + timedelta(seconds=retry_after)
            self._metrics.outbox_retries.labels("ratelimited").inc()
            await self._reschedule(row, timedelta(seconds=retry_after), error="rate limited", count_attempt=False,
                                   certain=True)
            return "blocked"
        if status >= 500 or code in TRANSIENT_ERRORS:
            return await self._transient(row, f"HTTP {status} {code or ''}".strip())
        if code == "invalid_blocks" and await self._without_images(row):
            return "retry"
        await self._dead(row, f"Slack refused it: {code or status}")
        return "dead"

    async def _without_images(self, row: OutboxMessage) -> bool:
        """Slack may refuse an image of a file it will not show (e.g. a private upload): the words matter
        more than the chart, so send the message again without its images rather than lose it."""
        payload = json.loads(row.payload)
        blocks = payload.get("blocks") or []
        kept = [b for b in blocks if b.get("type") != "image"]
        if len(kept) == len(blocks):
            return False
        payload["blocks"] = kept
        log.warning("Slack refused the images in %s; sending it without them", row.key)
        async with self._db.unit_of_work() as session:
            await session.exec(update(OutboxMessage).where(OutboxMessage.id == row.id).values(  # type: ignore[call-overload]
                payload=json.dumps(payload, ensure_ascii=False), status=OutboxStatus.PENDING, next_attempt_at=utcnow(),
                last_error="images refused", attempted_at=None))
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
        """Record a send. Recorded in batches (one write per wave, not per message); until the batch is written,
        messages threaded under this one find its ts here. A crash before the write leaves the row "sending",
        and the claim's lookup in Slack finds the message instead of sending it twice."""
        self._metrics.outbox_sent.labels(row.kind).inc()
        self._sent[row.id] = (row.key, dict(id=row.id, status=OutboxStatus.SENT, result_channel=channel,
                                            result_ts=ts, sent_at=utcnow(), last_error=None,
                                            attempts=row.attempts + 1))
        if ts:
            self._sent_refs[row.key] = (channel or row.channel, ts)
        if len(self._sent) >= self._mark_batch:
            await self._flush_sent()

    async def _flush_sent(self) -> None:
        if not self._sent:
            return
        marks, self._sent = list(self._sent.values()), {}
        try:
            async with self._db.unit_of_work() as session:
                await session.exec(update(OutboxMessage), params=[mark for _, mark in marks])  # type: ignore[call-overload]
        except Exception:
            log.exception("could not record %d sends; they will be looked up in Slack when their lease ends",
                          len(marks))
        finally:
            for key, _ in marks:
                self._sent_refs.pop(key, None)

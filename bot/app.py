"""The composition root: one `Headway` holds the settings and every shared service.

Built once per process (or per test) by `build_headway`; handlers receive it explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import BackgroundWork
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.delivery.client import MeteredWebClient
from bot.delivery.gateway import SlackGateway
from bot.delivery.sender import OutboxSender
from bot.digests.decisions import Decision, pending_decisions
from bot.leader import Leadership
from bot.lifecycle import Lifecycle, builtin, load_lifecycle_file
from bot.metrics import Metrics
from bot.render import Renderer
from bot.scheduler import Scheduler


@dataclass
class Headway:
    settings: Settings
    db: Database
    metrics: Metrics
    gateway: SlackGateway
    renderer: Renderer
    scheduler: Scheduler
    clock: Clock
    outbox: OutboxSender
    leadership: Leadership
    background: BackgroundWork = field(default_factory=BackgroundWork)
    custom_lifecycle: Lifecycle | None = None
    _builtin_cache: dict[str, Lifecycle] = field(default_factory=dict)

    async def decisions_for(self, session: AsyncSession, team_id: str, user_id: str | None) -> tuple[Decision, ...]:
        """Decisions waiting for a reader (gates they approve and have not voted on)."""
        return await pending_decisions(session, team_id, user_id)

    def deliver(self) -> None:
        """Nudge the outbox sender after committing new rows (it also polls, so this is only for speed)."""
        self.outbox.wake()

    def lifecycle(self, key: str = "default") -> Lifecycle:
        """A team's own lifecycle file replaces the built-in sets; otherwise the workspace's choice."""
        if self.custom_lifecycle is not None:
            return self.custom_lifecycle
        if key not in self._builtin_cache:
            self._builtin_cache[key] = builtin(key)
        return self._builtin_cache[key]

    async def close(self) -> None:
        self.scheduler.shutdown()
        await self.background.close()
        await self.outbox.stop()
        await self.leadership.stop()
        await self.gateway.client.aclose()
        await self.db.dispose()


def build_headway(settings: Settings, *, clock: Clock | None = None) -> Headway:
    metrics = Metrics()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = MeteredWebClient(metrics=metrics, token=token, base_url=settings.slack_api_url,
                               timeout=settings.slack_timeout_seconds)
    db = Database(settings.database_url)
    gateway = SlackGateway(client)
    leadership = Leadership(db.engine)
    return Headway(
        settings=settings,
        db=db,
        metrics=metrics,
        gateway=gateway,
        outbox=OutboxSender(db, gateway, metrics, lease=timedelta(seconds=settings.outbox_lease_seconds)),
        renderer=Renderer(settings.templates_dir),
        scheduler=Scheduler(metrics, should_run=lambda: leadership.is_leader),
        leadership=leadership,
        background=BackgroundWork(max_queued=settings.backlog_max_queued,
                                  max_delay=settings.backlog_max_delay_seconds),
        clock=clock or SystemClock(),
        custom_lifecycle=load_lifecycle_file(settings.lifecycle_file) if settings.lifecycle_file else None,
    )

"""The composition root: one `Headway` holds the settings and every shared service.

Built once per process (or per test) by `build_headway`; handlers receive it explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import BackgroundWork
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.delivery.client import MeteredWebClient
from bot.delivery.gateway import SlackGateway
from bot.delivery.pacing import Pacer
from bot.delivery.sender import OutboxSender
from bot.delivery.tokens import EnvTokens, InstalledTokens
from bot.digests.decisions import Decision, pending_decisions
from bot.leader import Leadership
from bot.lifecycle import Lifecycle, builtin, builtin_keys, load_lifecycle_file
from bot.metrics import Metrics
from bot.outbound import OutboundPolicy
from bot.render import Renderer
from bot.scheduler import Scheduler
from bot.workspaces.registry import OrganizationCache


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
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)  # calls to addresses people type
    custom_lifecycle: Lifecycle | None = None
    # whose token each Slack call uses (bot.delivery.tokens); `installations` only with "Add to Slack"
    tokens: EnvTokens | InstalledTokens | None = None
    organizations: OrganizationCache | None = None  # which Grid organization each workspace belongs to
    installations: Any = None  # slack_sdk's AsyncSQLAlchemyInstallationStore
    oauth_states: Any = None  # slack_sdk's AsyncSQLAlchemyOAuthStateStore
    _builtin_cache: dict[str, Lifecycle] = field(default_factory=dict)

    async def decisions_for(self, session: AsyncSession, team_id: str, user_id: str | None) -> tuple[Decision, ...]:
        """Decisions waiting for a reader (gates they approve and have not voted on)."""
        return await pending_decisions(session, team_id, user_id, self.clock.now().date())

    def deliver(self) -> None:
        """Nudge the outbox sender after committing new rows (it also polls, so this is only for speed)."""
        self.outbox.wake()

    def lifecycle(self, key: str = "default") -> Lifecycle:
        """The lifecycle stored under `key` (a workspace's or a project's choice). A team's own file
        (HEADWAY_LIFECYCLE) takes the place of the built-in default and answers to its own key; the other
        built-in sets stay available; an unknown key falls back to the default."""
        custom = self.custom_lifecycle
        if custom is not None and (key in (custom.key, "default") or key not in builtin_keys()):
            return custom
        if key not in self._builtin_cache:
            self._builtin_cache[key] = builtin(key if key in builtin_keys() else "default")
        return self._builtin_cache[key]

    def lifecycle_choices(self) -> tuple[Lifecycle, ...]:
        """What a workspace or a project may use: the team's own file first, then the other built-in sets."""
        choices = [self.custom_lifecycle] if self.custom_lifecycle is not None else []
        for key in builtin_keys():
            if self.custom_lifecycle is None or key not in ("default", self.custom_lifecycle.key):
                choices.append(self.lifecycle(key))
        return tuple(choices)

    async def close(self) -> None:
        await self.scheduler.shutdown()
        await self.background.close()
        await self.outbox.stop()
        await self.leadership.stop()
        await self.gateway.client.aclose()
        await self.db.dispose()


def build_headway(settings: Settings, *, clock: Clock | None = None) -> Headway:
    metrics = Metrics()
    db = Database(settings.database_url)
    installations = states = None
    organizations = OrganizationCache(db)
    if settings.oauth_enabled:  # "Add to Slack": each workspace's token from the installation store
        from bot.oauth import build_rotator, build_stores

        installations, states = build_stores(settings, db.engine)
        tokens: EnvTokens | InstalledTokens = InstalledTokens(
            installations, build_rotator(settings), enterprise_of=organizations.enterprise_of,
            minutes_before_expiration=settings.token_rotation_minutes)
        token = None
    else:  # one workspace, SLACK_BOT_TOKEN
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        tokens = EnvTokens(token)
    pacer = Pacer(message_rate=settings.slack_messages_per_second, message_burst=settings.slack_messages_burst,
                  scale=settings.slack_pace_scale)
    client = MeteredWebClient(metrics=metrics, pacer=pacer, token=token, tokens=tokens,
                               base_url=settings.slack_api_url, timeout=settings.slack_timeout_seconds)
    gateway = SlackGateway(client)
    leadership = Leadership(db.engine)
    renderer = Renderer(settings.templates_dir)
    return Headway(
        settings=settings,
        db=db,
        metrics=metrics,
        gateway=gateway,
        outbox=OutboxSender(db, gateway, metrics, renderer=renderer, pacer=pacer,
                            lease=timedelta(seconds=settings.outbox_lease_seconds)),
        renderer=renderer,
        scheduler=Scheduler(metrics, should_run=lambda: leadership.is_leader),
        leadership=leadership,
        background=BackgroundWork(max_queued=settings.backlog_max_queued,
                                  max_delay=settings.backlog_max_delay_seconds),
        clock=clock or SystemClock(),
        outbound=OutboundPolicy.from_settings(settings),
        custom_lifecycle=load_lifecycle_file(settings.lifecycle_file) if settings.lifecycle_file else None,
        tokens=tokens,
        organizations=organizations,
        installations=installations,
        oauth_states=states,
    )

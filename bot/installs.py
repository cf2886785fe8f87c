"""What happens around an installation: installed (sending resumes), uninstalled (this workspace pauses, its
installation goes, its data waits out HEADWAY_RETENTION_DAYS_AFTER_UNINSTALL), deleted (every row), and a token
refresh that failed (the workspace's admins are told while the old token still works)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.app import Headway
from bot.delivery import held
from bot.delivery.outbox import Outgoing, enqueue_many
from bot.delivery.pause import UNINSTALLED
from bot.delivery.tokens import InstalledTokens
from bot.models import Workspace
from bot.models.types import utcnow
from bot.workspaces import service as workspaces

log = logging.getLogger(__name__)


async def installed(hw: Headway, installation: Any) -> None:
    """Stored by Bolt's flow: remember the workspace (or, org-wide, every workspace of the organization Headway
    knows), and send what waited while it was uninstalled or its token refused."""
    async with hw.db.unit_of_work() as session:
        if installation.is_enterprise_install and installation.enterprise_id:
            teams = await workspaces.teams_of(session, installation.enterprise_id)
        else:
            teams = [installation.team_id]
            await workspaces.note(session, installation.team_id, installation.enterprise_id,
                                  name=installation.team_name or "", installed=True)
        for team_id in teams:
            if installation.is_enterprise_install:
                await workspaces.note(session, team_id, installation.enterprise_id, installed=True)
    for team_id in teams:
        if hw.organizations is not None:
            hw.organizations.forget(team_id)
        if hw.tokens is not None:
            hw.tokens.forget(team_id)
        if isinstance(hw.tokens, InstalledTokens):
            hw.tokens.rotation_failures.pop(team_id, None)
        if hw.outbox.paused.resume(team_id):
            log.info("workspace %s installed again: its held messages go out", team_id)
    hw.deliver()


async def uninstalled(hw: Headway, team_id: str, enterprise_id: str | None, why: str, *,
                      org_wide: bool = False) -> None:
    """Slack says the app was uninstalled (or its tokens revoked, or an org-wide app was removed from this one
    workspace: app_uninstalled_team): this workspace alone pauses (nothing is dropped). With "Add to Slack" its
    installation is deleted and its data kept for the retention period."""
    hw.outbox.pause(team_id, why)
    if hw.installations is None:
        return  # single-workspace mode: the pause's probe resumes when SLACK_BOT_TOKEN works again
    if why in UNINSTALLED:
        # app_uninstalled_team: the workspace's own installation (if any) goes; the organization's org-wide one
        # (team_id NULL) stays for its other workspaces, and is no longer used for this one (bot.workspaces)
        await hw.installations.async_delete_all(enterprise_id=enterprise_id, team_id=None if org_wide else team_id)
        async with hw.db.unit_of_work() as session:
            await workspaces.mark_uninstalled(session, team_id, hw.clock.now())
    if hw.tokens is not None:
        hw.tokens.forget(team_id)
    if hw.organizations is not None:
        hw.organizations.forget(team_id)


async def delete_workspace(hw: Headway, team_id: str) -> bool:
    """`headway workspaces delete TEAM_ID` and the retention job: every row of the workspace, now."""
    async with hw.db.unit_of_work() as session:
        found = await workspaces.delete_workspace(session, team_id)
    hw.outbox.paused.why.pop(team_id, None)
    if hw.tokens is not None:
        hw.tokens.forget(team_id)
    if hw.organizations is not None:
        hw.organizations.forget(team_id)
    return found


async def delete_expired(hw: Headway) -> int:
    """Scheduled: workspaces uninstalled longer ago than the retention period lose their data."""
    retention = timedelta(days=hw.settings.retention_days_after_uninstall)
    async with hw.db.unit_of_work() as session:
        due = await workspaces.due_for_deletion(session, retention, hw.clock.now())
    for team_id in due:
        log.warning("deleting workspace %s: uninstalled more than %s days ago", team_id, retention.days)
        await delete_workspace(hw, team_id)
    return len(due)


async def tell_admins_refresh_failed(hw: Headway, team_id: str, why: str) -> None:
    """A token refresh failed while the current token still works: the workspace's admins hear it now, with the
    fix, rather than when messages stop."""
    async with hw.db.unit_of_work() as session:
        if await session.get(Workspace, team_id) is None:
            return
        admins = await held.admins(session, team_id)
        message = hw.renderer.message("delivery/token_refresh_failed.json.j2", why=why)
        day = utcnow().date().isoformat()
        await enqueue_many(session, [Outgoing(team_id=team_id, key=f"token-refresh:{team_id}:{day}:{user}",
                                              kind=held.NOTICE_KIND, channel=user, message=message)
                                     for user in admins])
    hw.deliver()

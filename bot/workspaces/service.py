"""Installed workspaces, in the database: noted at install and on their first request, marked at uninstall, and
deleted (every row of the workspace) on request or when the retention period after an uninstall ends.

Takes a session and plain data; knows nothing of Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import SlackEvent, SlackWorkspace, Workspace, slack_bots, slack_installations
from bot.models.types import utcnow


@dataclass(frozen=True)
class WorkspaceInfo:
    team_id: str
    name: str
    enterprise_id: str | None
    installed_at: datetime | None
    uninstalled_at: datetime | None


async def note(session: AsyncSession, team_id: str, enterprise_id: str | None, *, name: str = "",
               installed: bool = False, served: bool = False) -> None:
    """Remember a workspace (and its organization); `installed`: it installed the app just now; `served`: an
    installation answers for it (a workspace of an organization first seen after the org-wide install is installed
    from its first request; one marked uninstalled stays so until an install)."""
    row = await session.get(SlackWorkspace, team_id)
    if row is None:
        row = SlackWorkspace(team_id=team_id)
    row.enterprise_id = enterprise_id or row.enterprise_id
    row.team_name = (name or row.team_name)[:200]
    if installed:
        row.installed_at, row.uninstalled_at = utcnow(), None
    elif served and row.installed_at is None and row.uninstalled_at is None:
        row.installed_at = utcnow()
    session.add(row)


async def enterprise_of(session: AsyncSession, team_id: str) -> str | None:
    """The organization whose org-wide installation may serve this workspace: None when not on Grid, unknown, or
    uninstalled (an org-wide app removed from this one workspace keeps serving the others, not this one, until an
    install marks it installed again)."""
    row = await session.get(SlackWorkspace, team_id)
    return row.enterprise_id if row and not row.uninstalled_at else None


async def teams_of(session: AsyncSession, enterprise_id: str) -> list[str]:
    return list((await session.exec(select(SlackWorkspace.team_id).where(
        SlackWorkspace.enterprise_id == enterprise_id))).all())


async def mark_uninstalled(session: AsyncSession, team_id: str, now: datetime) -> None:
    row = await session.get(SlackWorkspace, team_id) or SlackWorkspace(team_id=team_id)
    row.uninstalled_at = row.uninstalled_at or now
    session.add(row)


async def listing(session: AsyncSession) -> list[WorkspaceInfo]:
    """Every workspace Headway knows: installed ones and uninstalled ones whose data is still kept."""
    known = {row.team_id: row for row in (await session.exec(select(SlackWorkspace))).all()}
    names = {w.team_id: w.name for w in (await session.exec(select(Workspace))).all()}
    teams = sorted(set(known) | set(names))
    return [WorkspaceInfo(t, (known[t].team_name if t in known else "") or names.get(t, ""),
                          known[t].enterprise_id if t in known else None,
                          known[t].installed_at if t in known else None,
                          known[t].uninstalled_at if t in known else None) for t in teams]


async def due_for_deletion(session: AsyncSession, retention: timedelta, now: datetime) -> list[str]:
    return list((await session.exec(select(SlackWorkspace.team_id).where(
        col(SlackWorkspace.uninstalled_at).is_not(None), col(SlackWorkspace.uninstalled_at) <= now - retention)
    )).all())


async def delete_workspace(session: AsyncSession, team_id: str) -> bool:
    """Every row of the workspace: its Workspace row (the rest of its data goes with it, by ON DELETE CASCADE),
    the events it sent, and its installation. An organization's org-wide installation is the organization's and
    stays. True when anything was there."""
    found = await session.get(Workspace, team_id) is not None or await session.get(SlackWorkspace, team_id) is not None
    await session.exec(delete(Workspace).where(Workspace.team_id == team_id))  # type: ignore[call-overload]
    await session.exec(delete(SlackEvent).where(SlackEvent.team_id == team_id))  # type: ignore[call-overload]
    await session.exec(delete(SlackWorkspace).where(SlackWorkspace.team_id == team_id))  # type: ignore[call-overload]
    for table in (slack_installations, slack_bots):
        result = await session.exec(table.delete().where(table.c.team_id == team_id))  # type: ignore[call-overload]
        found = found or bool(result.rowcount)
    return found



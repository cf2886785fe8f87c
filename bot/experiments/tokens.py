"""Per-project bearer tokens for training pipelines: shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotAllowed
from bot.models import ApiToken, Project, utcnow
from bot.people.service import Actor
from bot.projects.service import can_edit, get_project

PREFIX = "hwp_"


@dataclass(frozen=True)
class IssuedToken:
    plaintext: str  # shown to the PM once, never stored
    token: ApiToken


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


async def issue(session: AsyncSession, by: Actor, key: str) -> IssuedToken:
    details = await get_project(session, by.person.team_id, key)
    if not can_edit(by, details):
        raise NotAllowed(f"Only {details.project.key}'s PMs and Headway admins can create API tokens for it.")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(team_id=details.project.team_id, project_id=details.project.id, token_hash=digest(plaintext),
                     prefix=plaintext[:10], created_by=by.user_id)
    session.add(token)
    await session.flush()
    return IssuedToken(plaintext, token)


async def revoke_all(session: AsyncSession, by: Actor, key: str) -> int:
    details = await get_project(session, by.person.team_id, key)
    if not can_edit(by, details):
        raise NotAllowed(f"Only {details.project.key}'s PMs and Headway admins can revoke its API tokens.")
    live = (await session.exec(select(ApiToken).where(ApiToken.project_id == details.project.id,
                                                      ApiToken.revoked_at.is_(None)))).all()  # type: ignore[union-attr]
    for token in live:
        token.revoked_at = utcnow()
        session.add(token)
    await session.flush()
    return len(live)


async def authenticate(session: AsyncSession, plaintext: str) -> tuple[ApiToken, Project] | None:
    """The live token and its project, or None. Comparison is by hash, so timing reveals nothing useful."""
    if not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    row = (await session.exec(select(ApiToken, Project).join(Project, Project.id == ApiToken.project_id).where(
        ApiToken.token_hash == digest(plaintext), ApiToken.revoked_at.is_(None)))).first()  # type: ignore[union-attr]
    if row is None:
        return None
    token, project = row
    token.last_used_at = utcnow()
    session.add(token)
    return token, project

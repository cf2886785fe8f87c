"""Who a report is about (a project, a standup, a person, the portfolio) and who may read it: the one place the
report permissions live.

- a project: its PMs, its members and Headway admins (executives read projects through the portfolio);
- a standup (a team): its participants, its creator, PMs and admins;
- a person: themself; another person's answers only for the PMs of the projects those answers are about
  (and admins, for all of them);
- the portfolio: executives and admins.
Every scope belongs to the asker's workspace: nothing is ever looked up across workspaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError, NotAllowed
from bot.models import Project, ProjectMember, ProjectRole, Role, Standup, StandupParticipant
from bot.people.service import Actor

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}")
SCOPES_HELP = "a project key (`FRAUD`), `portfolio`, `standup NAME`, `me` or `@person`"


class ScopeKind(StrEnum):
    PROJECT = "project"
    STANDUP = "standup"
    PERSON = "person"
    PORTFOLIO = "portfolio"


class ScopeProblem(HeadwayError):
    """A scope that names nothing Headway knows: one line saying what would work."""


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    team_id: str
    project: Project | None = None
    standup: Standup | None = None
    user_id: str | None = None
    # A person's answers the reader may see: None = all of them; otherwise only those about these projects.
    project_ids: frozenset[int] | None = None

    @property
    def name(self) -> str:
        if self.project is not None:
            return self.project.key
        if self.standup is not None:
            return f"standup {self.standup.name}"
        if self.user_id is not None:
            return f"person {self.user_id}"
        return "portfolio"


def split_scope(words: list[str]) -> tuple[list[str], list[str]]:
    """(scope words, period words): `standup` and `team` take one more word (the standup's name)."""
    if not words:
        raise ScopeProblem(f"Say what the report is about: {SCOPES_HELP}, then a period.")
    if words[0].lower() in ("standup", "team") and len(words) > 1:
        return words[:2], words[2:]
    return words[:1], words[1:]


async def resolve(session: AsyncSession, team_id: str, words: list[str], reader: str | None) -> Scope:
    """The scope the words name in `team_id` (`reader` for `me`). Raises ScopeProblem."""
    first = words[0]
    lowered = first.lower()
    if lowered in ("portfolio", "all-projects"):
        return Scope(ScopeKind.PORTFOLIO, team_id)
    if lowered in ("standup", "team"):
        name = words[1] if len(words) > 1 else ""
        standup = (await session.exec(select(Standup).where(Standup.team_id == team_id,
                                                            Standup.name == name))).first()
        if standup is None:
            names = (await session.exec(select(Standup.name).where(Standup.team_id == team_id)
                                        .order_by(Standup.name))).all()
            known = ", ".join(f"`{n}`" for n in names[:10]) or "none yet"
            raise ScopeProblem(f"There is no standup called “{name[:60]}”. Standups here: {known}.")
        return Scope(ScopeKind.STANDUP, team_id, standup=standup)
    if lowered in ("me", "mine", "my") and reader:
        return Scope(ScopeKind.PERSON, team_id, user_id=reader)
    if match := _MENTION.fullmatch(first):
        return Scope(ScopeKind.PERSON, team_id, user_id=match.group(1))
    if _KEY.fullmatch(first):
        project = (await session.exec(select(Project).where(Project.team_id == team_id,
                                                            Project.key == first.upper()))).first()
        if project is not None:
            return Scope(ScopeKind.PROJECT, team_id, project=project)
        if _USER_ID.fullmatch(first):  # a bare user id, as a shell or the API spells it
            return Scope(ScopeKind.PERSON, team_id, user_id=first)
        raise ScopeProblem(f"There is no project with the key {first.upper()[:12]}. A report is about "
                           f"{SCOPES_HELP}.")
    raise ScopeProblem(f"I don't know “{first[:40]}”. A report is about {SCOPES_HELP}.")


async def authorize(session: AsyncSession, reader: Actor, scope: Scope) -> Scope:
    """The scope as `reader` may read it, or NotAllowed with who may."""
    if reader.person.team_id != scope.team_id:
        raise NotAllowed("That report belongs to another workspace.")
    if scope.kind == ScopeKind.PORTFOLIO:
        if not reader.has(Role.EXEC, Role.ADMIN):
            raise NotAllowed("The portfolio report is for executives and Headway admins. Ask for a project you "
                             "work on (`/headway report KEY last month`) or your own answers (`me`).")
        return scope
    if scope.kind == ScopeKind.PROJECT:
        assert scope.project is not None
        members = await _members(session, scope.project.id)  # type: ignore[arg-type]
        if not (reader.is_admin or reader.user_id in members):
            raise NotAllowed(f"{scope.project.key}'s report is for its PMs, its team and Headway admins. "
                             "Executives: `/headway report portfolio last quarter`.")
        return scope
    if scope.kind == ScopeKind.STANDUP:
        assert scope.standup is not None
        participants = set((await session.exec(select(StandupParticipant.user_id).where(
            StandupParticipant.standup_id == scope.standup.id))).all())
        if not (reader.has(Role.PM, Role.ADMIN) or reader.user_id in participants
                or reader.user_id == scope.standup.created_by):
            raise NotAllowed(f"The report of standup {scope.standup.name} is for its participants, PMs and "
                             "Headway admins.")
        return scope
    if reader.user_id == scope.user_id or reader.is_admin:
        return scope
    led = set((await session.exec(select(ProjectMember.project_id).where(
        ProjectMember.team_id == scope.team_id, ProjectMember.user_id == reader.user_id,
        ProjectMember.role == ProjectRole.PM))).all())
    if not led:
        raise NotAllowed("You can ask for your own answers (`/headway report me last month`); another person's "
                         "only the PMs of their projects and Headway admins can read.")
    return Scope(scope.kind, scope.team_id, user_id=scope.user_id, project_ids=frozenset(led))


async def _members(session: AsyncSession, project_id: int) -> set[str]:
    return set((await session.exec(select(ProjectMember.user_id).where(
        ProjectMember.project_id == project_id))).all())

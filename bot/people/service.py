"""Workspaces, people and roles. Services take a session and never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_many_or_ignore, insert_or_ignore
from bot.errors import NotAllowed
from bot.models import Person, PersonRole, Role, Workspace, utcnow
from bot.people.profile import Profile, ProfileLookup

GRANTABLE = (Role.PM, Role.EXEC, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """The person making a request, with their roles resolved once."""

    person: Person
    roles: frozenset[Role]

    @property
    def user_id(self) -> str:
        return self.person.user_id

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class RoleChange:
    user_id: str
    before: frozenset[Role]
    after: frozenset[Role]


async def ensure_workspace(session: AsyncSession, team_id: str, name: str = "") -> Workspace:
    """The workspace row, created on first sight; two first requests at once both succeed (no race)."""
    workspace = await session.get(Workspace, team_id)
    if workspace is None:
        await insert_or_ignore(session, Workspace, ["team_id"], team_id=team_id, name=name, lifecycle="default",
                               created_at=utcnow())
        workspace = await session.get(Workspace, team_id)
    return workspace  # type: ignore[return-value]


async def find_person(session: AsyncSession, team_id: str, user_id: str) -> Person | None:
    result = await session.exec(select(Person).where(Person.team_id == team_id, Person.user_id == user_id))
    return result.first()


async def ensure_person(session: AsyncSession, team_id: str, user_id: str, lookup: ProfileLookup) -> Person:
    """The person's row, created from their Slack profile on first sight (Slack admins become admins)."""
    person = await find_person(session, team_id, user_id)
    if person is not None:
        return person
    await ensure_workspace(session, team_id)
    profile = await lookup(user_id)
    fresh = _person_from(team_id, profile)
    inserted = await insert_or_ignore(session, Person, ["team_id", "user_id"], **fresh.model_dump(exclude={"id"}))
    person = await find_person(session, team_id, user_id)
    assert person is not None
    if inserted and profile.is_slack_admin:
        session.add(PersonRole(person_id=person.id, team_id=team_id, role=Role.ADMIN, granted_by=None))
        await session.flush()
    return person


async def add_people(session: AsyncSession, team_id: str, user_ids: Iterable[str]) -> int:
    """Rows for people Headway has not seen, without asking Slack (one statement, not one users.info each):
    their profiles are filled in afterwards by `fill_profiles`. Returns how many still need a profile."""
    await ensure_workspace(session, team_id)
    wanted = list(dict.fromkeys(user_ids))
    await insert_many_or_ignore(session, Person, ["team_id", "user_id"],
                                [dict(team_id=team_id, user_id=u, name="", real_name="", tz="UTC", is_bot=False,
                                      deleted=False, profile_refreshed_at=None, created_at=utcnow()) for u in wanted])
    return len((await session.exec(select(Person.id).where(
        Person.team_id == team_id, col(Person.user_id).in_(wanted), col(Person.profile_refreshed_at).is_(None)
    ))).all())


async def unfilled(session: AsyncSession, team_id: str, limit: int = 1000) -> list[str]:
    """People whose Slack profile Headway has not read yet (added by `add_people`)."""
    return list((await session.exec(select(Person.user_id).where(
        Person.team_id == team_id, col(Person.profile_refreshed_at).is_(None), col(Person.deleted).is_(False)
    ).limit(limit))).all())


async def fill_profiles(session: AsyncSession, team_id: str, profiles: dict[str, Profile],
                        unknown: Iterable[str] = ()) -> None:
    """Write fetched profiles (Slack admins become admins, as on first sight); users Slack does not know are
    marked deleted, so nobody prompts them."""
    people = await people_by_user_id(session, team_id, [*profiles, *unknown])
    for user_id, person in people.items():
        profile = profiles.get(user_id)
        first = person.profile_refreshed_at is None
        if profile is None:
            person.deleted = True
        else:
            person.name, person.real_name, person.tz = profile.name, profile.real_name, profile.tz
            person.is_bot, person.deleted = profile.is_bot, profile.deleted
        person.profile_refreshed_at = utcnow()
        session.add(person)
        if first and profile is not None and profile.is_slack_admin:
            await insert_or_ignore(session, PersonRole, ["person_id", "role"], person_id=person.id,
                                   team_id=team_id, role=Role.ADMIN, granted_by=None, granted_at=utcnow())
    await session.flush()


def _person_from(team_id: str, profile: Profile) -> Person:
    return Person(
        team_id=team_id, user_id=profile.user_id, name=profile.name, real_name=profile.real_name,
        tz=profile.tz, is_bot=profile.is_bot, deleted=profile.deleted, profile_refreshed_at=utcnow(),
    )


async def roles_of(session: AsyncSession, person: Person) -> frozenset[Role]:
    result = await session.exec(select(PersonRole.role).where(PersonRole.person_id == person.id))
    return frozenset(Role(role) for role in result.all()) | {Role.MEMBER}


async def actor(session: AsyncSession, team_id: str, user_id: str, lookup: ProfileLookup) -> Actor:
    """Who is acting and what they may do: one statement for someone Headway knows (every ack that checks a
    permission asks this), their profile and row made on first sight."""
    found = (await session.exec(
        select(Person, PersonRole.role).outerjoin(PersonRole, col(PersonRole.person_id) == Person.id)
        .where(Person.team_id == team_id, Person.user_id == user_id)
    )).all()
    if found:
        return Actor(person=found[0][0], roles=frozenset(Role(role) for _, role in found if role) | {Role.MEMBER})
    person = await ensure_person(session, team_id, user_id, lookup)
    return Actor(person=person, roles=await roles_of(session, person))


async def set_roles(
    session: AsyncSession, by: Actor, user_id: str, roles: Iterable[Role], lookup: ProfileLookup
) -> RoleChange:
    """Make a person's roles exactly `roles` (member alone clears the rest). Admins only."""
    if not by.is_admin:
        raise NotAllowed("Only Headway admins can change roles.")
    team_id = by.person.team_id
    target = await ensure_person(session, team_id, user_id, lookup)
    before = await roles_of(session, target)
    wanted = frozenset(r for r in roles if r in GRANTABLE)
    if Role.ADMIN in before and Role.ADMIN not in wanted and await _admin_count(session, team_id) <= 1:
        raise NotAllowed("That would leave the workspace without a Headway admin; make someone else admin first.")
    await session.exec(delete(PersonRole).where(PersonRole.person_id == target.id))  # type: ignore[call-overload]
    for role in sorted(wanted):
        session.add(PersonRole(person_id=target.id, team_id=team_id, role=role, granted_by=by.user_id))
    await session.flush()
    return RoleChange(user_id=user_id, before=before, after=wanted | {Role.MEMBER})


async def _admin_count(session: AsyncSession, team_id: str) -> int:
    result = await session.exec(
        select(PersonRole.person_id).where(PersonRole.team_id == team_id, PersonRole.role == Role.ADMIN)
    )
    return len(result.all())


async def people_by_user_id(session: AsyncSession, team_id: str, user_ids: Iterable[str]) -> dict[str, Person]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    result = await session.exec(select(Person).where(Person.team_id == team_id, Person.user_id.in_(ids)))
    return {p.user_id: p for p in result.all()}

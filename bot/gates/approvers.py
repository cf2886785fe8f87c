"""Who approves a gate: defaults from the stage definition, and the sign-offs that must be named.

A stage's `approver_roles` define the gate that leaves it. Three roles resolve from Headway's own data
(business owner → the project's business owner, executive sponsor → people with the exec role, pm → the
project's PMs). Control-function sign-offs (privacy, legal & compliance, model validation) are *named
slots*: when the stage being left or the stage being entered lists them, the request form asks for one
person per role, and a Go needs each of them to vote for it (see `bot.gates.rules`). Other roles (tech
lead, data owner, operations) cannot be looked up; the form names them so the PM adds the right people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.lifecycle import Stage
from bot.models import Person, PersonRole, Role
from bot.projects.service import ProjectDetails

SIGNOFF_ROLES = ("privacy", "legal_compliance", "model_validation")
ROLE_LABELS = {
    "business_owner": "Business owner", "executive_sponsor": "Executive sponsor", "pm": "PM",
    "tech_lead": "Tech lead", "privacy": "Privacy", "legal_compliance": "Legal & compliance",
    "model_validation": "Model validation", "data_owner": "Data owner", "operations": "Operations",
}
MAX_EXEC_DEFAULTS = 3


@dataclass(frozen=True)
class DefaultApprovers:
    user_ids: tuple[str, ...]
    roles: dict[str, tuple[str, ...]]  # user id → the approver roles they fill
    unresolved: tuple[str, ...]  # roles nobody could be found for: the PM adds them by hand


def signoff_roles(leaving: Stage, entering: Stage | None) -> tuple[str, ...]:
    """The sign-off slots a move from `leaving` into `entering` needs, in a fixed order."""
    listed = set(leaving.approver_roles) | set(entering.approver_roles if entering else ())
    return tuple(role for role in SIGNOFF_ROLES if role in listed)


async def exec_ids(session: AsyncSession, team_id: str) -> list[str]:
    result = await session.exec(
        select(Person.user_id).join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.team_id == team_id, PersonRole.role == Role.EXEC, Person.deleted.is_(False))  # type: ignore[attr-defined]
        .order_by(Person.user_id)
    )
    return list(result.all())[:MAX_EXEC_DEFAULTS]


async def default_approvers(session: AsyncSession, details: ProjectDetails, stage: Stage) -> DefaultApprovers:
    project = details.project
    roles: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for role in stage.approver_roles:
        if role in SIGNOFF_ROLES:
            continue
        if role == "business_owner":
            people = [project.business_owner_id] if project.business_owner_id else []
        elif role == "executive_sponsor":
            people = await exec_ids(session, project.team_id)
        elif role == "pm":
            people = list(details.pm_ids)
        else:
            people = []
        if not people:
            unresolved.append(role)
        for user_id in people:
            roles.setdefault(user_id, []).append(role)
    return DefaultApprovers(tuple(roles), {u: tuple(r) for u, r in roles.items()}, tuple(unresolved))


def role_text(roles: str | tuple[str, ...]) -> str:
    """"privacy,pm" → "Privacy, PM" for cards."""
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    return ", ".join(ROLE_LABELS.get(r, r) for r in items if r)

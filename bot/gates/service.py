"""Requesting a gate: what the form offers, and storing the request with its frozen snapshot and cards.

Only a project's PMs and Headway admins request gates; a project has at most one open gate. Services take
a session and never commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.settle import copies, outcome, settle
from bot.errors import HeadwayError, InvalidInput, NotAllowed
from bot.experiments.measurements import series
from bot.gates import notify, snapshot
from bot.gates.approvers import ROLE_LABELS, DefaultApprovers, default_approvers, signoff_roles
from bot.gates.form import GateDraft, add_working_days, end_of_day
from bot.gates.queries import load_view, open_gate_of
from bot.gates.voting import GateEnv
from bot.lifecycle import Lifecycle, Stage
from bot.models import Gate, GateApprover, Project, ProjectState
from bot.people import service as people
from bot.people.profile import ProfileLookup, UnknownUser
from bot.people.service import Actor
from bot.people.time_off import TimeOffBook
from bot.projects.service import ProjectDetails, can_edit
from bot.render import Renderer
from bot.standups.schedule import zone

GATEABLE_STATES = (ProjectState.ACTIVE, ProjectState.PAUSED)


@dataclass(frozen=True)
class RequestContext:
    """Everything the request form shows for one project."""

    details: ProjectDetails
    leaving: Stage
    target: Stage
    targets: tuple[Stage, ...]
    slots: tuple[str, ...]
    defaults: DefaultApprovers
    default_deadline: date

    @property
    def unresolved_labels(self) -> list[str]:
        return [ROLE_LABELS.get(r, r) for r in self.defaults.unresolved]


def check_can_request(actor: Actor, details: ProjectDetails) -> None:
    if not can_edit(actor, details):
        raise NotAllowed(f"Only {details.project.key}'s PMs and Headway admins can request, cancel or remind "
                         "gates. Ask one of them, or an admin.")


async def request_context(session: AsyncSession, actor: Actor, details: ProjectDetails, lifecycle: Lifecycle,
                          to_words: str, today: date) -> RequestContext:
    check_can_request(actor, details)
    project = details.project
    if project.state not in GATEABLE_STATES:
        raise HeadwayError(f"{project.key} is {project.state}; gates are for active or paused projects.")
    existing = await open_gate_of(session, project.id)  # type: ignore[arg-type]
    if existing is not None:
        raise HeadwayError(f"{project.key} already has an open gate (#{existing.id}). `/gate status {project.key}` "
                           f"shows it; `/gate cancel {existing.id}` cancels it.")
    try:
        leaving = lifecycle.stage(project.stage)
    except KeyError:
        raise HeadwayError(f"{project.key}'s stage {project.stage} is not in its lifecycle any more.") from None
    targets = lifecycle.stages[lifecycle.index(leaving.key) + 1:]
    if not targets:
        raise HeadwayError(f"{project.key} is in {leaving.name}, the last stage: there is no gate to pass.")
    target = targets[0]
    if to_words.strip():
        found = lifecycle.find(to_words)
        if found is None or found not in targets:
            names = ", ".join(s.name for s in targets)
            raise HeadwayError(f"“{to_words.strip()[:60]}” is not a stage after {leaving.name}. "
                               f"Choose one of: {names}.")
        target = found
    return RequestContext(details, leaving, target, tuple(targets), signoff_roles(leaving, target),
                          await default_approvers(session, details, leaving), add_working_days(today, 5))


async def create_gate(session: AsyncSession, env: GateEnv, actor: Actor, details: ProjectDetails,
                      lifecycle: Lifecycle, draft: GateDraft, leaving_key: str, lookup: ProfileLookup,
                      tell_requester: bool = True) -> Gate:
    """Store the request, freeze the snapshot, post the card to the channel and each approver; the requester
    hears it is out by DM unless `tell_requester` is False (the handler answers where the request was made)."""
    check_can_request(actor, details)
    project = details.project
    # Lock the project row first: two PMs submitting at once still make one open gate.
    await session.exec(update(Project).where(Project.id == project.id).values(updated_at=env.now))  # type: ignore[call-overload]
    await session.refresh(project)
    if project.stage != leaving_key:
        raise InvalidInput({"to_stage": f"{project.key} has moved stage since this form opened; open it again."})
    if project.state not in GATEABLE_STATES:
        raise InvalidInput({"to_stage": f"{project.key} is {project.state}; gates are for active projects."})
    existing = await open_gate_of(session, project.id)  # type: ignore[arg-type]
    if existing is not None:
        raise InvalidInput({"to_stage": f"{project.key} already has an open gate (#{existing.id})."})
    leaving = lifecycle.stage(leaving_key)
    defaults = await default_approvers(session, details, leaving)
    requester = await people.ensure_person(session, project.team_id, actor.user_id, lookup)
    measurements = (await series(session, [project.id]))[project.id]  # type: ignore[list-item]
    tz = zone(requester.tz)
    today = env.now.astimezone(tz).date()
    gate = Gate(
        team_id=project.team_id, project_id=project.id, from_stage=leaving.key, to_stage=draft.to_stage,
        rule=draft.rule.value, summary=draft.summary, criteria=_criteria_json(draft),
        snapshot=snapshot.dumps(snapshot.take(env.renderer, project, measurements, today, env.now, tz)),
        channel_id=project.channel_id, requested_by=actor.user_id, requested_at=env.now, deadline=draft.deadline,
        deadline_at=end_of_day(draft.deadline, requester.tz),
    )
    session.add(gate)
    await session.flush()
    signoff_of = {user: role for role, user in draft.signoffs.items()}
    for user_id in draft.approvers:
        try:
            await people.ensure_person(session, project.team_id, user_id, lookup)  # their time zone, for reminders
        except UnknownUser as error:
            field = f"signoff_{signoff_of[user_id]}" if user_id in signoff_of else "approvers"
            raise InvalidInput({field: str(error)}) from error
        roles = [*defaults.roles.get(user_id, ()), *[r for r, u in draft.signoffs.items() if u == user_id]]
        session.add(GateApprover(team_id=project.team_id, gate_id=gate.id, user_id=user_id,
                                 roles=",".join(dict.fromkeys(roles))[:200], signoff=user_id in signoff_of))
    await session.flush()
    view = await load_view(session, gate, lifecycle, today)
    await notify.post_cards(session, env.renderer, view, lifecycle, env.now)
    if tell_requester:
        await notify.tell(session, env.renderer, view, lifecycle, what="requested", people=[actor.user_id],
                          channel=False, key="requested",
                          all_away=await all_away_on(session, project.team_id, draft.approvers, draft.deadline))
    await settle_prompts(session, env.renderer, gate)
    return gate


async def all_away_on(session: AsyncSession, team_id: str, approvers: Iterable[str], deadline: date) -> bool:
    """True when every approver is off (time off, or not a working day of theirs) on the deadline: a deadline
    nobody can meet, so the requester is warned."""
    ids = list(dict.fromkeys(approvers))
    book = await TimeOffBook.load(session, team_id, ids, since=deadline)
    return bool(ids) and all(book.off(u, deadline) is not None or not book.works_on(u, deadline) for u in ids)


async def settle_prompts(session: AsyncSession, renderer: Renderer, gate: Gate) -> int:
    """The kill/continue and "good enough to ship?" prompts of the project stop asking: the gate is requested."""
    standing = [*await copies(session, gate.team_id, prefix=f"gate-prompt:{gate.project_id}:", kinds=["gate_prompt"]),
                *await copies(session, gate.team_id, prefix=f"gate-ship:{gate.project_id}:", kinds=["gate_prompt"])]
    line = outcome(renderer, f"Gate #{gate.id} requested", by=gate.requested_by, at=gate.requested_at)
    return await settle(session, standing, line, version=f"gate-{gate.id}")


def _criteria_json(draft: GateDraft) -> str:
    return json.dumps([c.as_json() for c in draft.criteria], ensure_ascii=False)

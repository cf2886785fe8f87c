"""The project form's submission as one service call: validate, create or update, announce moved goalposts,
and carry the project onto another lifecycle when the form asks for one. Never commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput
from bot.lifecycle import Lifecycle
from bot.people.service import Actor
from bot.projects import goalposts, lifecycles
from bot.projects.draft import validate_draft
from bot.projects.service import ProjectDetails, can_move_directly, create_project, get_project, update_project
from bot.render import Renderer


@dataclass(frozen=True)
class FormSaved:
    details: ProjectDetails
    created: bool
    # The lifecycle the form asked for, when the project's stage has no counterpart there: someone must pick it.
    needs_stage_in: Lifecycle | None = None
    old_lifecycle: Lifecycle | None = None


async def save_form(session: AsyncSession, renderer: Renderer, actor: Actor, original: str | None,
                    raw: dict[str, Any], lifecycle_of: Callable[[str], Lifecycle], choices: Sequence[Lifecycle],
                    workspace_lifecycle: str, now: datetime) -> FormSaved:
    team_id = actor.person.team_id
    raw = dict(raw)
    if original:
        current = (await get_project(session, team_id, original)).project
        lifecycle = lifecycle_of(current.lifecycle)
        # Fields the form leaves out for this person (a PM's form has no stage or state) keep their values.
        for name in ("stage", "state"):
            if raw.get(name) is None:
                raw[name] = getattr(current, name)
    else:
        lifecycle = lifecycle_of(workspace_lifecycle)
    wanted = _wanted(raw.get("lifecycle"), lifecycle, choices)
    if original and wanted is not None and not can_move_directly(actor):
        raise InvalidInput({"lifecycle": "Only Headway admins can move a project to another lifecycle."})
    draft = validate_draft(raw, lifecycle, now.date())
    if original:
        saved = await update_project(session, actor, original, draft, now)
        await goalposts.announce(session, renderer, saved.details.project, saved.changes, saved.moves)
        details = saved.details
    else:
        details = await create_project(session, actor, draft, lifecycle.key, now)
    if wanted is None:
        return FormSaved(details, created=not original)
    if lifecycles.map_stage(lifecycle, wanted, details.project.stage) is None:
        return FormSaved(details, created=not original, needs_stage_in=wanted, old_lifecycle=lifecycle)
    await lifecycles.switch_project(session, actor, details.project, lifecycle, wanted, {}, now)
    return FormSaved(await get_project(session, team_id, details.project.key), created=not original)


def _wanted(value: Any, current: Lifecycle, choices: Sequence[Lifecycle]) -> Lifecycle | None:
    """The lifecycle the form asks to move to, or None for no change."""
    if not value or value == current.key:
        return None
    for choice in choices:
        if choice.key == value:
            return choice
    raise InvalidInput({"lifecycle": "Choose one of the listed lifecycles."})

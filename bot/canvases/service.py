"""What each project's canvas says, and queuing it when that changed (compared by digest, so an unchanged
dossier is never sent again and every change is sent once). Takes a session; never commits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_or_ignore
from bot.delivery.outbox import enqueue
from bot.lifecycle import Lifecycle
from bot.models import (
    Gate,
    GateCondition,
    GateStatus,
    OutboxMethod,
    Project,
    ProjectCanvas,
)
from bot.projects import goalposts
from bot.projects.history import entries
from bot.projects.record import load
from bot.projects.status import project_status
from bot.render import Message, Renderer
from bot.render.escaping import mrkdwn_unescape

HISTORY = 15  # entries on the canvas; the rest is one report away
RESULTS = 5


def dossier(renderer: Renderer, project: Project, lifecycle: Lifecycle, record: object, gates: Sequence[Gate],
            conditions: Sequence[GateCondition], today: object) -> str:
    status = project_status(renderer, project, record.measurements, today)  # type: ignore[attr-defined, arg-type]
    history = entries(record, lifecycle)  # type: ignore[arg-type]
    stage = lifecycle.find(project.stage)
    return renderer.document(
        "canvases/dossier.md.j2", p=project, label=status.judgement.label.value, reason=status.judgement.plain,
        headline=mrkdwn_unescape(status.lens.headline), stage=stage.name if stage else project.stage,
        goalposts={label: goalposts.shown(getattr(project, name)) or "not set"
                   for name, label in goalposts.GOALPOSTS.items()},
        results=list(reversed(record.measurements[-RESULTS:])),  # type: ignore[attr-defined]
        open_gates=[g for g in gates if g.status == GateStatus.OPEN],
        open_conditions=[c for c in conditions if c.met_at is None],
        history=list(reversed(history[-HISTORY:])), older=max(0, len(history) - HISTORY))


async def refresh(session: AsyncSession, renderer: Renderer, team_id: str, projects: Sequence[Project],
                  lifecycle_of: Callable[[Project], Lifecycle], now: datetime) -> int:
    """Queue a create or an edit for each project (with a channel) whose dossier changed; returns how many."""
    projects = [p for p in projects if p.channel_id]
    if not projects:
        return 0
    records = await load(session, team_id, projects)
    canvases = {c.project_id: c for c in (await session.exec(select(ProjectCanvas).where(
        ProjectCanvas.team_id == team_id, col(ProjectCanvas.project_id).in_([p.id for p in projects])))).all()}
    queued = 0
    for project in projects:
        record = records[project.id]  # type: ignore[index]
        conditions = [c for cs in record.conditions.values() for c in cs]
        markdown = dossier(renderer, project, lifecycle_of(project), record, record.gates, conditions, now.date())
        digest = hashlib.sha256(markdown.encode()).hexdigest()
        canvas = canvases.get(project.id)  # type: ignore[arg-type]
        if canvas is None:
            await insert_or_ignore(session, ProjectCanvas, ["project_id"], team_id=team_id, project_id=project.id,
                                   channel_id=project.channel_id, canvas_id=None, digest="", version=0,
                                   created_at=now, updated_at=now)
            canvas = (await session.exec(select(ProjectCanvas).where(ProjectCanvas.project_id == project.id))).one()
        if canvas.digest == digest and canvas.channel_id == project.channel_id:
            continue
        version = canvas.version + 1
        moved = canvas.channel_id != project.channel_id  # a new channel gets a new canvas
        await session.exec(update(ProjectCanvas).where(col(ProjectCanvas.id) == canvas.id).values(  # type: ignore[call-overload]
            digest=digest, version=version, updated_at=now, channel_id=project.channel_id,
            **({"canvas_id": None} if moved else {})))
        method = OutboxMethod.CANVAS_EDIT if canvas.canvas_id and not moved else OutboxMethod.CANVAS_CREATE
        queued += await enqueue(
            session, team_id=team_id, key=f"canvas:{project.id}:v{version}", kind="canvas",
            channel=project.channel_id, method=method, message=Message(text=f"{project.key}'s dossier"),
            extra={"canvas": {"project_id": project.id, "version": version, "title": f"{project.key} · "
                              f"{project.name}"[:200], "markdown": markdown}})
    return queued


async def canvas_of(session: AsyncSession, project: Project) -> str | None:
    """The address of the project's canvas in Slack, once created."""
    canvas = (await session.exec(select(ProjectCanvas).where(ProjectCanvas.project_id == project.id))).first()
    if canvas is None or not canvas.canvas_id:
        return None
    return f"https://app.slack.com/docs/{project.team_id}/{canvas.canvas_id}"

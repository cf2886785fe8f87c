"""Recording standup answers: the experiment block becomes a measurement, the report thread is updated."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.errors import HeadwayError, InvalidInput, NotAllowed, NotFound
from bot.experiments.measurements import implausible
from bot.ids import ActionId, record_id
from bot.models import (
    Measurement,
    MeasurementSource,
    OutboxMethod,
    Project,
    ProjectMember,
    ProjectState,
    PromptStatus,
    Standup,
    StandupAnswer,
    StandupPrompt,
    StandupRun,
)
from bot.render import Renderer
from bot.standups import blockers, settled
from bot.standups.planner import refresh_report
from bot.standups.report import run_key

CONFIDENCE = ("low", "medium", "high")


@dataclass(frozen=True)
class AnswerForm:
    answers: tuple[tuple[str, str], ...]
    project_id: int | None
    experiment: str
    metric_value: float | None
    confidence: str | None
    blocked: bool
    blocker: str


@dataclass(frozen=True)
class PromptContext:
    prompt: StandupPrompt
    run: StandupRun
    standup: Standup


async def load_clicked(session: AsyncSession, team_id: str, value: str, user_id: str) -> PromptContext:
    """The prompt a button is about. A round's prompt DM is one message for everyone, so its buttons say
    `run:ID` and who clicked says whose prompt; Edit and the App Home carry the prompt's own id."""
    try:
        if value.startswith("run:"):
            return await load_run_prompt(session, team_id, record_id(value.removeprefix("run:")), user_id)
        return await load_prompt(session, team_id, record_id(value), user_id)
    except ValueError:
        raise NotFound("That button is out of date.") from None


async def load_run_prompt(session: AsyncSession, team_id: str, run_id: int, user_id: str) -> PromptContext:
    run = await session.get(StandupRun, run_id)
    if run is None or run.team_id != team_id:
        raise NotFound("That standup is no longer there; it may have been deleted.")
    prompt = (await session.exec(select(StandupPrompt).where(
        StandupPrompt.run_id == run_id, StandupPrompt.user_id == user_id))).first()
    if prompt is None:
        raise NotAllowed("This standup prompt belongs to someone else.")
    standup = await session.get(Standup, run.standup_id)
    return PromptContext(prompt, run, standup)  # type: ignore[arg-type]


async def load_prompt(session: AsyncSession, team_id: str, prompt_id: int, user_id: str) -> PromptContext:
    """The prompt, if it is this person's own: nobody answers, edits or skips for someone else."""
    prompt = await session.get(StandupPrompt, prompt_id)
    if prompt is None or prompt.team_id != team_id:
        raise NotFound("That standup is no longer there; it may have been deleted.")
    if prompt.user_id != user_id:
        raise NotAllowed("This standup prompt belongs to someone else.")
    run = await session.get(StandupRun, prompt.run_id)
    standup = await session.get(Standup, prompt.standup_id)
    return PromptContext(prompt, run, standup)  # type: ignore[arg-type]


async def projects_for(session: AsyncSession, team_id: str, user_id: str) -> list[Project]:
    """Active projects the person works on: the only ones their answer can report a metric for."""
    result = await session.exec(
        select(Project).join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(Project.team_id == team_id, ProjectMember.user_id == user_id, Project.state == ProjectState.ACTIVE)
        .order_by(Project.key)
    )
    return list(result.all())


def validate_answer(raw: Mapping[str, Any], questions: list[str], projects: list[Project]) -> AnswerForm:
    errors: dict[str, str] = {}
    answers = []
    for index, question in enumerate(questions):
        text = (raw.get(f"q{index}") or "").strip()
        if len(text) > 2000:
            errors[f"q{index}"] = "Please keep this under 2,000 characters."
        answers.append((question, text))
    if not any(text for _, text in answers) and not raw.get("experiment") and raw.get("metric_value") in (None, ""):
        errors["q0"] = "Say at least a few words, or use “Skip today” instead."
    by_id = {str(p.id): p for p in projects}
    project_raw = raw.get("project")
    project = by_id.get(str(project_raw)) if project_raw else None
    if project_raw and project is None:
        errors["project"] = "Pick one of your active projects."
    metric_value = _metric(raw.get("metric_value"), project, errors)
    confidence = raw.get("confidence") or None
    if confidence is not None and confidence not in CONFIDENCE:
        errors["confidence"] = "Choose Low, Medium or High."
    blocked = bool(raw.get("blocked"))
    blocker = (raw.get("blocker") or "").strip()
    if blocked and not blocker:
        errors["blocker"] = "Tell us what blocks you, so someone can help."
    if len(blocker) > 1000:
        errors["blocker"] = "Please keep this under 1,000 characters."
    experiment = (raw.get("experiment") or "").strip()
    if len(experiment) > 500:
        errors["experiment"] = "Please keep this under 500 characters."
    if errors:
        raise InvalidInput(errors)
    return AnswerForm(tuple(answers), project.id if project else None, experiment, metric_value, confidence,
                      blocked or bool(blocker), blocker)


def _metric(value: Any, project: Project | None, errors: dict[str, str]) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        errors["metric_value"] = "Please enter a number, such as 0.81."
        return None
    if not math.isfinite(number):
        errors["metric_value"] = "Please enter a finite number."
        return None
    if project is None:
        errors["project"] = "Pick the project this metric value is for."
        return None
    if reason := implausible(project, number):
        errors["metric_value"] = reason
    return number


async def record_answer(session: AsyncSession, renderer: Renderer, context: PromptContext, form: AnswerForm,
                        now: datetime) -> StandupAnswer:
    """Store (or update) the answer, its measurement, and queue the thread reply and confirmation."""
    prompt, run, standup = context.prompt, context.run, context.standup
    answer = (await session.exec(select(StandupAnswer).where(StandupAnswer.prompt_id == prompt.id))).first()
    if answer is not None and run.closed_at is not None:
        raise HeadwayError(closed_text(run))
    first = answer is None
    if answer is None:
        answer = StandupAnswer(team_id=prompt.team_id, prompt_id=prompt.id, run_id=run.id, user_id=prompt.user_id,
                               answers="[]")
    else:
        answer.version += 1
        answer.updated_at = now
    was_blocked = answer.blocked and not first
    answer.answers = json.dumps([{"question": q, "answer": a} for q, a in form.answers], ensure_ascii=False)
    answer.project_id, answer.experiment, answer.metric_value = form.project_id, form.experiment, form.metric_value
    answer.confidence, answer.blocked, answer.blocker = form.confidence, form.blocked, form.blocker
    session.add(answer)
    if prompt.status != PromptStatus.ANSWERED:
        prompt.status, prompt.answered_at = PromptStatus.ANSWERED, now
        session.add(prompt)
    await session.flush()
    project = await session.get(Project, answer.project_id) if answer.project_id else None
    measurement = await _store_measurement(session, answer, project, now)
    await blockers.track(session, answer, now)
    await _queue_messages(session, renderer, context, answer, project, first, measurement)
    if first:
        await settled.answered(session, renderer, standup, run, prompt, now)
    if form.blocked or was_blocked or run.closed_at is not None:
        await refresh_report(session, renderer, standup, run, reason=f"{prompt.user_id}:v{answer.version}")
    return answer


async def _store_measurement(session: AsyncSession, answer: StandupAnswer, project: Project | None,
                             now: datetime) -> Measurement | None:
    ref = f"standup-answer:{answer.id}"
    existing = (await session.exec(select(Measurement).where(
        Measurement.source == MeasurementSource.STANDUP, Measurement.source_ref == ref))).first()
    if project is None or answer.metric_value is None:
        if existing is not None:
            await session.delete(existing)
        return None
    if existing is None:
        existing = Measurement(team_id=answer.team_id, project_id=project.id, metric=project.metric_name,
                               value=answer.metric_value, measured_at=now, source=MeasurementSource.STANDUP,
                               source_ref=ref, user_id=answer.user_id)
    if existing.value != answer.metric_value or existing.confidence != answer.confidence:
        existing.confirmed_by = existing.confirmed_at = None  # a confirmation was of the claim as it stood
    existing.project_id, existing.metric, existing.value = project.id, project.metric_name, answer.metric_value
    existing.note, existing.confidence = answer.experiment[:500], answer.confidence
    session.add(existing)
    await session.flush()
    return existing


async def _queue_messages(session: AsyncSession, renderer: Renderer, context: PromptContext, answer: StandupAnswer,
                          project: Project | None, first: bool, measurement: Measurement | None = None) -> None:
    prompt, run, standup = context.prompt, context.run, context.standup
    base = f"{run_key(standup.id, run.run_date)}:{prompt.user_id}"
    late = run.closed_at is not None or (prompt.answered_at is not None and prompt.answered_at > prompt.cutoff_at)
    reply = renderer.message("standups/answer.json.j2", answer=answer, items=json.loads(answer.answers),
                             project=project, late=late, measurement=measurement, ids=ActionId)
    if first:
        await enqueue(session, team_id=standup.team_id, key=f"{base}:answer", kind="standup_answer",
                      channel=standup.channel_id, thread_key=f"{run_key(standup.id, run.run_date)}:parent",
                      message=reply)
    else:
        await enqueue(session, team_id=standup.team_id, key=f"{base}:answer:v{answer.version}",
                      kind="standup_answer_edit", channel=standup.channel_id, method=OutboxMethod.UPDATE,
                      target_key=f"{base}:answer", message=reply)
    confirmation = renderer.message("standups/confirmation.json.j2", standup=standup, prompt=prompt, answer=answer,
                                    run_date=run.run_date, edited=not first, ids=ActionId,
                                    editable=run.closed_at is None)
    await enqueue(session, team_id=standup.team_id, key=f"{base}:confirm:v{answer.version}",
                  kind="standup_confirmation", channel=prompt.user_id, message=confirmation)


def closed_text(run: StandupRun) -> str:
    """The answer to Edit on a round that has closed: the answer stands as given."""
    when = run.closed_at
    on = f" on {when:%a} {when.day} {when:%b %Y}" if when else ""
    return f"Already closed{on}: your answer stands as given in the thread, and can no longer be edited."


def editable(context: PromptContext) -> bool:
    """An answer may be edited while its round is open; a late answer stands as given."""
    return context.run.closed_at is None


async def skip_prompt(session: AsyncSession, context: PromptContext) -> bool:
    """Skip today's open prompt. An answer already given stays (nothing is lost), and a prompt whose
    round has closed stays missed: skipping is for saying so in advance, not for rewriting the record."""
    if context.prompt.status != PromptStatus.PROMPTED:
        return False
    context.prompt.status = PromptStatus.SKIPPED
    session.add(context.prompt)
    await session.flush()
    return True

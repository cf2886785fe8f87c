"""Model registries announcing what happened (MLflow webhooks, W&B automations): which project an event is
about, the result a new model version brings, and the PMs' one-click gate request when a version is promoted.

Services take a session and plain data and never commit; whatever must be fetched from MLflow is fetched by the
caller before the unit of work that writes (no transaction waits on the network).
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_or_ignore
from bot.delivery.held import admins
from bot.delivery.outbox import enqueue
from bot.errors import InvalidInput, NotAllowed
from bot.experiments.measurements import Reading, record
from bot.experiments.mlflow import from_millis, run_note, run_url, source_ref
from bot.experiments.mlflow_client import MlflowRunDetail
from bot.gates.notify import words
from bot.gates.queries import open_gate_of
from bot.lifecycle import Lifecycle
from bot.models import (
    DEFAULT_PROMOTION_ALIAS,
    Measurement,
    MeasurementSource,
    MlflowLink,
    MlflowWebhook,
    Project,
    RegistryFollow,
    RegistryModelVersion,
    WebhookDelivery,
    utcnow,
)
from bot.people.service import Actor
from bot.projects.service import can_edit, get_project
from bot.render import Renderer

PROJECT_TAG = "headway_project"
HOOK_PREFIX = "whk_"
SECRET_PREFIX = "whsec_"
ALIAS = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


# ---------------------------------------------------------------- setting up


@dataclass(frozen=True)
class IssuedHook:
    hook: MlflowWebhook
    secret: str  # shown once
    project: Project | None
    follow: RegistryFollow | None
    link: MlflowLink | None


async def issue_webhook(session: AsyncSession, by: Actor, key: str | None, *, model: str | None = None,
                        alias: str | None = None) -> IssuedHook:
    """A new signing secret for MLflow's webhook (the old one of the same scope stops working).

    `key` None is the workspace's secret (admins): events are routed by the `headway_project` tag or by the
    registered model a project follows. A project's secret (its PMs and admins) only ever reaches that project,
    and may name the registered model it follows and its promotion alias.
    """
    team_id = by.person.team_id
    project = follow = link = None
    if key is None:
        if not by.is_admin:
            raise NotAllowed("Only Headway admins can create the workspace's MLflow webhook secret; PMs create one "
                             "per project with `/headway mlflow webhook KEY`.")
    else:
        details = await get_project(session, team_id, key)
        if not can_edit(by, details):
            raise NotAllowed(f"Only {details.project.key}'s PMs and Headway admins can create its MLflow webhook.")
        project = details.project
        link = (await session.exec(select(MlflowLink).where(MlflowLink.project_id == project.id))).first()
        if link is None:
            raise InvalidInput({"link": f"Link {project.key} to its MLflow experiment first (`/headway mlflow "
                                        f"{project.key} URL \"experiment\" metric`): Headway reads each new model "
                                        "version's result from that tracking server."})
        follow = await set_follow(session, by.user_id, project, model=model, alias=alias)
    old = (await session.exec(select(MlflowWebhook).where(
        MlflowWebhook.team_id == team_id, MlflowWebhook.project_id == (project.id if project else None),
        MlflowWebhook.revoked_at.is_(None)))).all()  # type: ignore[union-attr]
    for hook in old:
        hook.revoked_at = utcnow()
        session.add(hook)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    hook = MlflowWebhook(team_id=team_id, project_id=project.id if project else None,
                         hook_id=HOOK_PREFIX + secrets.token_urlsafe(12), secret=secret, created_by=by.user_id)
    session.add(hook)
    await session.flush()
    return IssuedHook(hook, secret, project, follow, link)


async def set_follow(session: AsyncSession, user_id: str, project: Project, *, model: str | None = None,
                     alias: str | None = None) -> RegistryFollow:
    problems = {}
    if model is not None and not (0 < len(model.strip()) <= 255 and "\x00" not in model):
        problems["model"] = "Give the registered model's name as MLflow shows it (at most 255 characters)."
    if alias is not None and not ALIAS.fullmatch(alias.strip()):
        problems["alias"] = "An alias is letters, digits, `_`, `-` or `.` (at most 64), e.g. alias=champion."
    if problems:
        raise InvalidInput(problems)
    follow = await follow_of(session, project)
    if follow is None:
        follow = RegistryFollow(team_id=project.team_id, project_id=project.id)  # type: ignore[arg-type]
    if model is not None:
        follow.registered_model = model.strip()
    if alias is not None:
        follow.promotion_alias = alias.strip()
    follow.updated_by, follow.updated_at = user_id, utcnow()
    session.add(follow)
    await session.flush()
    return follow


async def follow_of(session: AsyncSession, project: Project) -> RegistryFollow | None:
    return (await session.exec(select(RegistryFollow).where(RegistryFollow.project_id == project.id))).first()


async def promotion_alias(session: AsyncSession, project: Project) -> str:
    follow = await follow_of(session, project)
    return follow.promotion_alias if follow is not None else DEFAULT_PROMOTION_ALIAS


async def live_hook(session: AsyncSession, hook_id: str) -> MlflowWebhook | None:
    if not hook_id.startswith(HOOK_PREFIX) or len(hook_id) > 40:
        return None
    return (await session.exec(select(MlflowWebhook).where(MlflowWebhook.hook_id == hook_id,
                                                           MlflowWebhook.revoked_at.is_(None)))).first()  # type: ignore[union-attr]


# ---------------------------------------------------------------- deliveries


async def seen(session: AsyncSession, source: str, delivery_id: str) -> bool:
    return (await session.exec(select(WebhookDelivery.id).where(
        WebhookDelivery.source == source, WebhookDelivery.delivery_id == delivery_id))).first() is not None


async def mark_delivered(session: AsyncSession, team_id: str, source: str, delivery_id: str, event: str,
                         outcome: str) -> bool:
    """False when another request handled this delivery meanwhile (the caller rolls back and says replay)."""
    return await insert_or_ignore(session, WebhookDelivery, ["source", "delivery_id"], team_id=team_id,
                                  source=source, delivery_id=delivery_id[:64], event=event[:64],
                                  outcome=outcome[:200], received_at=utcnow())


# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class Route:
    project: Project | None
    why: str  # for the answer and the admins' report when there is no project


async def route(session: AsyncSession, hook: MlflowWebhook, model: str, version: str | None,
                tags: dict[str, str]) -> Route:
    """The project an event is about: the `headway_project` tag, the version seen before, or the project that
    follows the registered model. A project's secret reaches only that project."""
    tagged = (tags.get(PROJECT_TAG) or "").strip().upper()[:12]
    project: Project | None = None
    if tagged:
        project = (await session.exec(select(Project).where(Project.team_id == hook.team_id,
                                                            Project.key == tagged))).first()
        if project is None:
            return Route(None, f"its tag {PROJECT_TAG}={tagged} names no project")
    elif version is not None:
        seen_version = await version_row(session, hook.team_id, model, version)
        if seen_version is not None:
            project = await session.get(Project, seen_version.project_id)
    if project is None and not tagged:
        follows = (await session.exec(select(RegistryFollow).where(RegistryFollow.team_id == hook.team_id,
                                                                   RegistryFollow.registered_model == model))).all()
        if len(follows) == 1:
            project = await session.get(Project, follows[0].project_id)
        elif len(follows) > 1 and hook.project_id is None:
            return Route(None, f"{len(follows)} projects follow it: tag its versions {PROJECT_TAG}=KEY to say whose "
                               "a version is")
    if hook.project_id is not None:
        own = await session.get(Project, hook.project_id)
        if own is None:
            return Route(None, "the project of this webhook no longer exists")
        if project is not None and project.id != own.id:
            return Route(None, f"it belongs to {project.key}, but this webhook's secret is {own.key}'s")
        follow = await follow_of(session, own)
        if project is None and follow is not None and follow.registered_model not in (None, model):
            return Route(None, f"{own.key} follows the registered model {follow.registered_model!r}")
        return Route(own, "")
    if project is None:
        return Route(None, f"no project follows it (tag its versions {PROJECT_TAG}=KEY, or run `/headway mlflow "
                           "webhook KEY model=NAME`)")
    return Route(project, "")


async def version_row(session: AsyncSession, team_id: str, model: str, version: str) -> RegistryModelVersion | None:
    return (await session.exec(select(RegistryModelVersion).where(
        RegistryModelVersion.team_id == team_id, RegistryModelVersion.model_name == model[:255],
        RegistryModelVersion.version == version[:32]))).first()


async def link_of(session: AsyncSession, project: Project) -> MlflowLink | None:
    return (await session.exec(select(MlflowLink).where(MlflowLink.project_id == project.id))).first()


# ---------------------------------------------------------------- results and promotions


@dataclass(frozen=True)
class VersionResult:
    version: RegistryModelVersion
    measurement: Measurement | None
    new: bool  # False: this version was recorded before (by a webhook, a replay or the hourly sync)
    problem: str = ""


async def record_version(session: AsyncSession, project: Project, link: MlflowLink, model: str, version: str,
                         detail: MlflowRunDetail | None) -> VersionResult:
    """The version's run's latest value of the linked metric, stored as the same measurement the hourly sync
    would store (same source_ref), so a version is never recorded twice whoever sees it first."""
    row = await version_row(session, project.team_id, model, version)
    measurement = None
    problem = ""
    if detail is not None:
        latest = detail.latest.get(link.metric_key)
        if latest is None:
            problem = f"its run {detail.run.run_name} logged no {link.metric_key}"
        elif not math.isfinite(latest.value):
            problem = f"its run logged {link.metric_key}={latest.value}, which is not a number Headway can judge"
        else:
            stored = await record(session, project, Reading(
                value=latest.value, measured_at=from_millis(latest.timestamp), source=MeasurementSource.MLFLOW,
                source_ref=source_ref(detail.run.run_id, link.metric_key, latest.step, latest.timestamp),
                note=run_note(detail.run.run_name, detail.run.experiment_id)))
            measurement = stored.measurement
    if row is not None:
        if row.measurement_id is None and measurement is not None:
            row.measurement_id = measurement.id
            session.add(row)
        return VersionResult(row, measurement or (await session.get(Measurement, row.measurement_id)
                                                  if row.measurement_id else None), False, problem)
    await insert_or_ignore(session, RegistryModelVersion, ["team_id", "model_name", "version"],
                           team_id=project.team_id, project_id=project.id, model_name=model[:255],
                           version=version[:32], run_id=detail.run.run_id[:64] if detail else None,
                           measurement_id=measurement.id if measurement else None, created_at=utcnow())
    row = await version_row(session, project.team_id, model, version)
    assert row is not None
    return VersionResult(row, measurement, True, problem)


@dataclass(frozen=True)
class Promotion:
    asked: int  # PMs asked now (0: asked before, or a gate is already open)
    next_stage: str | None
    open_gate: int | None


async def ask_to_promote(session: AsyncSession, renderer: Renderer, project: Project, lifecycle: Lifecycle,
                         *, source: str, model: str, version: str, alias: str,
                         measurement: Measurement | None, tracking_url: str | None) -> Promotion:
    """DM the PMs once per version and alias: "request the gate into the next stage?" with the evidence and one
    button that opens the gate request form, drafted for the next stage."""
    following = lifecycle.next_stage(project.stage) if project.stage in lifecycle.keys else None
    gate = await open_gate_of(session, project.id)  # type: ignore[arg-type]
    if following is None or gate is not None:
        return Promotion(0, following.name if following else None, gate.id if gate else None)
    evidence = None
    if measurement is not None:
        parts = measurement.source_ref.split(":")
        experiment = measurement.note.rsplit(" ", 1)[-1] if measurement.note else ""
        url = run_url(tracking_url, experiment, parts[1]) if tracking_url and len(parts) > 2 and experiment else None
        evidence = {"metric": project.metric_name, "value": measurement.value, "note": measurement.note,
                    "url": url, "baseline": project.baseline, "target": project.target}
    pms = (await get_project(session, project.team_id, project.key)).pm_ids
    message = renderer.message("experiments/promotion.json.j2", project=project, source=source, model=model,
                               version=version, alias=alias, next_stage=following.name, evidence=evidence,
                               **words(lifecycle))
    asked = 0
    for user_id in pms:
        asked += await enqueue(session, team_id=project.team_id, kind="registry_promotion", channel=user_id,
                               key=f"promote:{source}:{project.id}:{model[:80]}:{version[:32]}:{alias}:{user_id}",
                               message=message)
    return Promotion(asked, following.name, None)


async def report_unknown(session: AsyncSession, renderer: Renderer, team_id: str, *, source: str, model: str,
                         why: str) -> int:
    """Tell the admins, once per registered model, that an event reached Headway and no project took it."""
    message = renderer.message("experiments/unknown_model.json.j2", source=source, model=model, why=why)
    told = 0
    for user_id in await admins(session, team_id):
        told += await enqueue(session, team_id=team_id, kind="registry_unknown", channel=user_id,
                              key=f"registry-unknown:{source}:{team_id}:{model[:120]}:{user_id}", message=message)
    return told


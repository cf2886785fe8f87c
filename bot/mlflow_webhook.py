"""POST /api/v1/mlflow/webhook?hook=whk_…: MLflow 3's model registry webhooks, signed as MLflow signs them.

MLflow (mlflow/webhooks/delivery.py, following Standard Webhooks) sends `X-MLflow-Delivery-Id`,
`X-MLflow-Timestamp` (Unix seconds) and, when the webhook has a secret, `X-MLflow-Signature: v1,<base64 of
HMAC-SHA256(secret, "{delivery_id}.{timestamp}.{body}")>`. The body is {"entity", "action", "timestamp",
"data"}. Headway refuses in this order, before it trusts anything: a body over the one limit (413, unread), a
missing or unknown hook, a timestamp more than five minutes away, a bad signature (401), a delivery id it has
handled already (409: replays change nothing), then JSON (400) and the payload's shape (422 naming the field).

`model_version.created` (and `model_version_tag.set` of `headway_project`) records the run's latest value of the
project's linked metric (read from MLflow through the outbound policy); `model_version_alias.created` with the
project's promotion alias asks its PMs, once, to request the gate into the next stage. Events no project takes are
acknowledged (202) and told to the admins once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import Headway
from bot.errors import HeadwayError
from bot.experiments import registry
from bot.experiments.mlflow_client import MlflowClient, MlflowError, MlflowRunDetail
from bot.models import MlflowWebhook, Project
from bot.validation import error_response as _error
from bot.validation import parse_payload, problems

log = logging.getLogger(__name__)

SOURCE = "mlflow"
TOLERANCE_SECONDS = 300  # Standard Webhooks' default window
SIGNATURE, TIMESTAMP, DELIVERY = "x-mlflow-signature", "x-mlflow-timestamp", "x-mlflow-delivery-id"


def _text(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must be text without NUL characters")
    return value


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    entity: str = Field(..., min_length=1, max_length=64)
    action: str = Field(..., min_length=1, max_length=64)
    timestamp: str = Field("", max_length=64)
    data: dict[str, Any]

    _storable = field_validator("entity", "action")(_text)


class VersionCreated(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=255)
    version: str = Field(..., min_length=1, max_length=32)
    run_id: str | None = Field(None, max_length=64)
    source: str = Field("", max_length=1000)
    tags: dict[str, str] = Field(default_factory=dict, max_length=200)

    _storable = field_validator("name", "version", "run_id")(_text)


class AliasCreated(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=255)
    alias: str = Field(..., min_length=1, max_length=256)
    version: str = Field(..., min_length=1, max_length=32)

    _storable = field_validator("name", "alias", "version")(_text)


class TagSet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=255)
    version: str = Field(..., min_length=1, max_length=32)
    key: str = Field(..., min_length=1, max_length=250)
    value: str = Field("", max_length=5000)

    _storable = field_validator("name", "version", "key", "value")(_text)


def signature(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    """What MLflow puts in X-MLflow-Signature (mlflow.webhooks.delivery._generate_hmac_signature)."""
    digest = hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _signed(secret: str, delivery_id: str, timestamp: str, raw: bytes, header: str) -> bool:
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    expected = signature(secret, delivery_id, timestamp, body)
    # Standard Webhooks allows several space-separated signatures (while a secret rotates).
    return any(hmac.compare_digest(expected, given) for given in header.split())


def _refuse(status: int, error: str, detail: str) -> JSONResponse:
    return _error(status, error, detail)


def mlflow_webhook_routes(hw: Headway) -> list[Route]:
    async def post(request: Request) -> Response:
        response = await _post(request)
        hw.metrics.api_requests.labels("mlflow_webhook", str(response.status_code)).inc()
        return response

    async def _post(request: Request) -> Response:
        # The body is capped before it is read (bot.body_limit); its signature is checked before it is parsed.
        raw = await request.body()
        hook_id = request.query_params.get("hook", "")
        delivery_id = request.headers.get(DELIVERY, "").strip()
        stamp = request.headers.get(TIMESTAMP, "").strip()
        given = request.headers.get(SIGNATURE, "").strip()
        if not hook_id:
            return _refuse(401, "missing_hook", "Use the URL `/headway mlflow webhook KEY` printed (…?hook=whk_…).")
        if not given:
            return _refuse(401, "missing_signature", "Create the MLflow webhook with the secret Headway printed; "
                                                     "X-MLflow-Signature is missing.")
        if not delivery_id or len(delivery_id) > 64:
            return _refuse(400, "invalid_delivery_id", "X-MLflow-Delivery-Id is missing or longer than 64.")
        if not stamp.isdigit() or len(stamp) > 12:
            return _refuse(401, "invalid_timestamp", "X-MLflow-Timestamp is not a Unix time in seconds.")
        if abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:  # the wall clock: this is about the transport
            return _refuse(401, "stale_timestamp", f"X-MLflow-Timestamp is more than {TOLERANCE_SECONDS} s from "
                                                   "now: a replay, or a clock that is off.")
        async with hw.db.unit_of_work() as session:
            hook = await registry.live_hook(session, hook_id)
            if hook is None or not _signed(hook.secret, delivery_id, stamp, raw, given):
                return _refuse(401, "invalid_signature", "The signature does not match this webhook's secret "
                                                         "(was it created again with `/headway mlflow webhook`?).")
            if await registry.seen(session, SOURCE, delivery_id):
                return _refuse(409, "replayed", f"Delivery {delivery_id} was handled already; nothing changed.")
            session.expunge(hook)
        envelope = parse_payload(Envelope, raw)
        if isinstance(envelope, Response):
            return envelope
        event = f"{envelope.entity}.{envelope.action}"
        shape = {"model_version.created": VersionCreated, "model_version_alias.created": AliasCreated,
                 "model_version_tag.set": TagSet}.get(event)
        try:
            payload = shape.model_validate(envelope.data) if shape else None
        except ValidationError as error:
            return _error(422, "invalid_payload", {f"data.{k}": v for k, v in problems(error).items()})
        handler = Handling(hw, hook, delivery_id, event)
        if isinstance(payload, VersionCreated):
            return await handler.version_created(payload)
        if isinstance(payload, AliasCreated):
            return await handler.alias_created(payload)
        if isinstance(payload, TagSet) and payload.key == registry.PROJECT_TAG:  # tagged after it was created
            return await handler.version_created(VersionCreated(name=payload.name, version=payload.version,
                                                                tags={payload.key: payload.value}))
        return await handler.finish(202, "ignored", f"Headway does not act on {event[:80]}.")

    return [Route("/api/v1/mlflow/webhook", post, methods=["POST"])]


class Handling:
    """One verified delivery: fetch from MLflow first, then write everything (and the delivery id) at once."""

    def __init__(self, hw: Headway, hook: MlflowWebhook, delivery_id: str, event: str) -> None:
        self.hw, self.hook, self.delivery_id, self.event = hw, hook, delivery_id, event

    async def _target(self, model: str, version: str, tags: dict[str, str]
                      ) -> tuple[registry.Route, str | None, str | None]:
        async with self.hw.db.unit_of_work() as session:
            found = await registry.route(session, self.hook, model, version, tags)
            link = await registry.link_of(session, found.project) if found.project else None
            return found, link.tracking_url if link else None, link.metric_key if link else None

    async def _fetch(self, tracking_url: str, model: str, version: str, run_id: str | None
                     ) -> tuple[MlflowRunDetail | None, str]:
        try:
            async with MlflowClient(tracking_url, policy=self.hw.outbound) as client:
                if run_id is None:
                    run_id = (await client.model_version(model, version)).run_id
                if run_id is None:
                    return None, "the version has no run"
                return await client.run(run_id), ""
        except MlflowError as error:
            return None, str(error)

    async def _unknown(self, model: str, why: str) -> Response:
        async with self.hw.db.unit_of_work() as session:
            if not await registry.mark_delivered(session, self.hook.team_id, SOURCE, self.delivery_id, self.event,
                                                 f"unknown model: {why}"):
                await session.rollback()
                return _refuse(409, "replayed", f"Delivery {self.delivery_id} was handled already.")
            await registry.report_unknown(session, self.hw.renderer, self.hook.team_id, source="MLflow",
                                          model=model, why=f"{why}")
        self.hw.deliver()
        return JSONResponse({"outcome": "unknown_model", "detail": why}, status_code=202)

    async def version_created(self, payload: VersionCreated) -> Response:
        found, tracking_url, _ = await self._target(payload.name, payload.version, payload.tags)
        if found.project is None:
            return await self._unknown(payload.name, found.why)
        if tracking_url is None:
            return await self._unknown(payload.name, f"{found.project.key} is not linked to an MLflow experiment")
        detail, problem = await self._fetch(tracking_url, payload.name, payload.version, payload.run_id)
        async with self.hw.db.unit_of_work() as session:
            project = await session.get(Project, found.project.id)
            link = await registry.link_of(session, project)  # type: ignore[arg-type]
            if project is None or link is None:
                return _refuse(409, "changed", "The project changed meanwhile; MLflow may send it again.")
            try:
                result = await registry.record_version(session, project, link, payload.name, payload.version,
                                                       detail)
            except HeadwayError as error:
                result, problem = None, str(error)
            outcome = "recorded" if result and result.measurement and result.new else (
                "already recorded" if result and not result.new else f"no result: {problem or result.problem}")
            if not await registry.mark_delivered(session, project.team_id, SOURCE, self.delivery_id, self.event,
                                                 outcome):
                await session.rollback()
                return _refuse(409, "replayed", f"Delivery {self.delivery_id} was handled already.")
            body = {"outcome": outcome, "project": project.key,
                    "value": result.measurement.value if result and result.measurement else None}
        return JSONResponse(body, status_code=200)

    async def alias_created(self, payload: AliasCreated) -> Response:
        found, tracking_url, _ = await self._target(payload.name, payload.version, {})
        if found.project is None:
            return await self._unknown(payload.name, found.why)
        async with self.hw.db.unit_of_work() as session:
            alias = await registry.promotion_alias(session, found.project)
            known = await registry.version_row(session, found.project.team_id, payload.name, payload.version)
        if payload.alias != alias:
            return await self.finish(200, "ignored", f"{found.project.key} promotes with the alias {alias!r}.")
        detail, problem = None, ""
        if (known is None or known.measurement_id is None) and tracking_url is not None:
            detail, problem = await self._fetch(tracking_url, payload.name, payload.version, None)
        async with self.hw.db.unit_of_work() as session:
            project = await session.get(Project, found.project.id)
            if project is None:
                return _refuse(409, "changed", "The project was deleted meanwhile.")
            link = await registry.link_of(session, project)
            measurement = None
            if link is not None:
                try:
                    measurement = (await registry.record_version(session, project, link, payload.name,
                                                                 payload.version, detail)).measurement
                except HeadwayError as error:
                    problem = str(error)
            promotion = await registry.ask_to_promote(
                session, self.hw.renderer, project, self.hw.lifecycle(project.lifecycle), source="MLflow",
                model=payload.name, version=payload.version, alias=payload.alias, measurement=measurement,
                tracking_url=link.tracking_url if link else None)
            outcome = (f"asked {promotion.asked} PMs" if promotion.asked else
                       f"gate #{promotion.open_gate} is open" if promotion.open_gate else
                       "no next stage" if promotion.next_stage is None else "asked before")
            if not await registry.mark_delivered(session, project.team_id, SOURCE, self.delivery_id, self.event,
                                                 outcome):
                await session.rollback()
                return _refuse(409, "replayed", f"Delivery {self.delivery_id} was handled already.")
            key = project.key
        self.hw.deliver()
        return JSONResponse({"outcome": outcome, "project": key, "next_stage": promotion.next_stage,
                             "problem": problem or None}, status_code=200)

    async def finish(self, status: int, outcome: str, detail: str) -> Response:
        async with self.hw.db.unit_of_work() as session:
            if not await registry.mark_delivered(session, self.hook.team_id, SOURCE, self.delivery_id, self.event,
                                                 outcome):
                await session.rollback()
                return _refuse(409, "replayed", f"Delivery {self.delivery_id} was handled already.")
        return JSONResponse({"outcome": outcome, "detail": detail}, status_code=status)

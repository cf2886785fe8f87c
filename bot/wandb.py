"""POST /api/v1/wandb/webhook: Weights & Biases automations, with a project token as the webhook's access token.

In W&B (Team settings → Webhooks) the access token is a secret holding a token from `/headway token KEY`; W&B
sends it as `Authorization: Bearer`. The automation's payload is the template in the README, built only from W&B's
documented payload variables (`${event_type}`, `${event_author}`, `${alias}`, `${artifact_collection_name}`,
`${artifact_version_string}`, `${artifact_metadata.<KEY>}`, `${project_name}`, `${entity_name}`). A value in the
payload becomes a result of the project; an alias added that is the project's promotion alias asks its PMs, once,
to request the gate into the next stage — as for MLflow. Refusals come in the same order as everywhere: the body
limit (413), the token (401, 403 for another project's), then JSON (400) and the payload (422 naming the field).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.api_auth import authenticated_project
from bot.app import Headway
from bot.errors import InvalidInput
from bot.experiments import registry
from bot.experiments.measurements import Reading, record
from bot.models import MeasurementSource, Project
from bot.validation import error_response as _error
from bot.validation import parse_payload

ALIAS_EVENTS = ("ADD_ARTIFACT_ALIAS",)
_VERSION = re.compile(r":v(\d+)$")


class WandbPayload(BaseModel):
    """What the README's template sends once W&B has filled in its variables (unknown keys are ignored)."""

    model_config = ConfigDict(extra="ignore")

    headway_project: str = Field(..., min_length=1, max_length=12, description="The project key.")
    event_type: str = Field(..., min_length=1, max_length=64)
    event_author: str = Field("", max_length=200)
    alias: str = Field("", max_length=256)
    artifact_collection_name: str = Field("", max_length=255)
    artifact_version_string: str = Field("", max_length=500)
    project_name: str = Field("", max_length=255)
    entity_name: str = Field("", max_length=255)
    metric: str | None = Field(None, max_length=80)
    value: float | None = Field(None, description="A number, or text holding one (W&B fills text templates).")

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must be text without NUL characters")
        return value

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        """`"${artifact_metadata.recall}"` arrives as text ("0.84"), or empty when the artifact has no such key."""
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                value = float(value)
            except ValueError:
                raise ValueError("must be a number, e.g. 0.84 (is the metadata key right?)") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


def _ref(payload: WandbPayload) -> str:
    """One W&B result is stored once, however often the automation fires for it."""
    what = [payload.entity_name, payload.project_name, payload.artifact_version_string or payload.event_type,
            payload.metric or "", repr(payload.value)]
    return "wandb:" + hashlib.sha256(json.dumps(what).encode()).hexdigest()[:40]


def wandb_routes(hw: Headway) -> list[Route]:
    async def post(request: Request) -> Response:
        response = await _post(request)
        hw.metrics.api_requests.labels("wandb", str(response.status_code)).inc()
        return response

    async def _post(request: Request) -> Response:
        # The token before the body (bot.api_auth); the body's size is capped before it is read (bot.body_limit).
        authenticated = await authenticated_project(
            hw, request, how="Set the W&B webhook's access token to a token from /headway token KEY.")
        if isinstance(authenticated, Response):
            return authenticated
        project_id = authenticated.id
        payload = parse_payload(WandbPayload, await request.body())
        if isinstance(payload, Response):
            return payload
        now = hw.clock.now()
        async with hw.db.unit_of_work() as session:
            project = await session.get(Project, project_id)
            if project is None or project.key != payload.headway_project.strip().upper():
                return _error(403, "wrong_project", f"This token is for {project.key if project else '?'}, not "
                                                    f"{payload.headway_project.strip().upper()[:12]}.")
            stored = None
            if payload.value is not None:
                try:
                    stored = await record(session, project, Reading(
                        value=payload.value, measured_at=now, source=MeasurementSource.API, source_ref=_ref(payload),
                        metric=payload.metric, note=_note(payload)))
                except InvalidInput as error:
                    await session.rollback()
                    return _error(422, "invalid_payload", error.errors)
            asked = 0
            alias = await registry.promotion_alias(session, project)
            if payload.event_type.upper() in ALIAS_EVENTS and payload.alias == alias:
                version = _VERSION.search(payload.artifact_version_string)
                promotion = await registry.ask_to_promote(
                    session, hw.renderer, project, hw.lifecycle(project.lifecycle), source="W&B",
                    model=payload.artifact_collection_name or payload.artifact_version_string,
                    version=version.group(1) if version else payload.artifact_version_string[-32:],
                    alias=payload.alias, measurement=stored.measurement if stored else None, tracking_url=None)
                asked = promotion.asked
            body: dict[str, Any] = {"project": project.key, "recorded": bool(stored and not stored.duplicate),
                                    "duplicate": bool(stored and stored.duplicate), "asked": asked}
            if stored is None and not asked:
                body["detail"] = (f"Nothing recorded: no value (set \"value\" to ${{artifact_metadata.KEY}}), and "
                                  f"not {project.key}'s promotion alias {alias!r}.")
        if asked:
            hw.deliver()
        return JSONResponse(body, status_code=201 if body["recorded"] else 200)

    return [Route("/api/v1/wandb/webhook", post, methods=["POST"])]


def _note(payload: WandbPayload) -> str:
    where = "/".join(p for p in (payload.entity_name, payload.project_name) if p)
    what = payload.artifact_version_string or payload.event_type
    by = f" by {payload.event_author}" if payload.event_author else ""
    return f"W&B {what}{' in ' + where if where else ''}{by}"[:500]

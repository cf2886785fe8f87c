"""The measurement API that training pipelines call (described in bot/openapi.py).

POST /api/v1/projects/{key}/measurements with `Authorization: Bearer hwp_…` (from `/headway token KEY`).
Body: one measurement, a list of them, or {"measurements": [...]}. A `client_id` makes retries safe:
the same client_id is stored once. Errors are 4xx with a JSON reason, never a 500 for bad input.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.api_auth import authenticated_project
from bot.app import Headway
from bot.errors import InvalidInput
from bot.experiments.measurements import Reading, record
from bot.models import MeasurementSource, Project
from bot.production import service as production
from bot.projects.service import key_taken
from bot.reports.api import project_report
from bot.validation import Moment, NotJson, Text, error_response, json_body, validate_payload

MAX_BATCH = 1000
KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}")  # a project key as the path may spell it (any case)


class MeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: Text(80, 1) = Field(..., description="Must be the project's evaluation metric.")
    value: float = Field(..., allow_inf_nan=False, strict=True)  # a number, as documented: not "0.5", not true
    measured_at: Moment | None = Field(None, description="ISO 8601 with a time zone, between 1970 and 2200; "
                                                         "default: now.")
    client_id: Text(200, 1) | None = Field(None, description="Your id for this value (e.g. the run id); repeats "
                                                             "are stored once.")
    note: Text(500) = ""
    kind: Literal["offline", "production"] = Field(
        "offline", description="offline: an evaluation or training result; production: the live metric of a "
                               "launched model (compared with its value at launch).")


class MeasurementBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measurements: list[MeasurementIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class MeasurementOut(BaseModel):
    id: int
    client_id: str | None
    duplicate: bool


class StoredOut(BaseModel):
    project: str
    stored: int
    duplicates: int
    measurements: list[MeasurementOut]


class ErrorOut(BaseModel):
    error: str
    detail: Any = None


_ONE = TypeAdapter(MeasurementIn)
_LIST = TypeAdapter(list[MeasurementIn])
_BATCH = TypeAdapter(MeasurementBatch)


def _parse(raw: bytes) -> MeasurementBatch | list[MeasurementIn] | MeasurementIn | Response:
    """Validate against the one shape the body has (so errors are about that shape, not every accepted one)."""
    try:
        data = json_body(raw)
    except NotJson as error:
        return _error(400, "invalid_json", str(error))
    shape: Any = _LIST if isinstance(data, list) else _BATCH if isinstance(data, dict) and "measurements" in data \
        else _ONE
    return validate_payload(shape, data, error="invalid_measurement")


_error = error_response


def api_routes(hw: Headway) -> list[Route]:
    async def post_measurements(request: Request) -> Response:
        response = await _post_measurements(request)
        hw.metrics.api_requests.labels("measurements", str(response.status_code)).inc()
        return response

    async def _post_measurements(request: Request) -> Response:
        asked = request.path_params["key"]
        key = asked.upper() if KEY.fullmatch(asked) else None  # None: no project can have this key
        project = await authenticated_project(
            hw, request, how="Send Authorization: Bearer <token from /headway token KEY>.")
        if isinstance(project, Response):
            return project
        if project.key != key:
            async with hw.db.unit_of_work() as session:
                taken = key is not None and await key_taken(session, project.team_id, key)
            if not taken:
                return _error(404, "unknown_project", f"There is no project {(key or asked)[:12]}.")
            return _error(403, "wrong_project", f"This token is for {project.key}, not {key}.")
        parsed = _parse(await request.body())
        if isinstance(parsed, Response):
            return parsed
        items = parsed.measurements if isinstance(parsed, MeasurementBatch) else (
            parsed if isinstance(parsed, list) else [parsed])
        if not items or len(items) > MAX_BATCH:
            return _error(422, "invalid_measurement", f"Send between 1 and {MAX_BATCH} measurements.")
        async with hw.db.unit_of_work() as session:
            project = await session.get(Project, project.id)
            if project is None:  # deleted since the token was checked
                return _error(404, "unknown_project", f"There is no project {key}.")
            stored = []
            live = None
            for position, item in enumerate(items):
                if item.kind == "production":
                    try:
                        live = live or await production.live_health(session, project,
                                                                    hw.lifecycle(project.lifecycle), hw.clock.now())
                        stored.append((item, await production.record_reading(
                            session, project, live, value=item.value, metric=item.metric, note=item.note,
                            measured_at=item.measured_at or hw.clock.now().astimezone(UTC),
                            source_ref=f"client:{item.client_id}" if item.client_id else f"request:{uuid.uuid4().hex}",
                        )))
                    except InvalidInput as error:
                        await session.rollback()
                        return _error(422, "invalid_measurement",
                                      {f"measurements[{position}].{k}": v for k, v in error.errors.items()})
                    continue
                reading = Reading(
                    value=item.value, measured_at=item.measured_at or hw.clock.now().astimezone(UTC),
                    source=MeasurementSource.API,
                    source_ref=f"client:{item.client_id}" if item.client_id else f"request:{uuid.uuid4().hex}",
                    metric=item.metric, note=item.note)
                try:
                    stored.append((item, await record(session, project, reading)))
                except InvalidInput as error:  # nothing of this request is kept: fix it and send it again
                    await session.rollback()
                    return _error(422, "invalid_measurement",
                                  {f"measurements[{position}].{k}": v for k, v in error.errors.items()})
            if live is not None:
                await production.refresh(session, hw.renderer, project, live, hw.clock.now())
        if live is not None:
            hw.deliver()
        body = StoredOut(project=project.key, stored=sum(not s.duplicate for _, s in stored),
                         duplicates=sum(s.duplicate for _, s in stored),
                         measurements=[MeasurementOut(id=_stored_id(s), client_id=i.client_id,
                                                      duplicate=s.duplicate) for i, s in stored])
        return JSONResponse(body.model_dump(), status_code=201 if body.stored else 200)

    async def get_report(request: Request) -> Response:
        response = await project_report(hw, request)
        hw.metrics.api_requests.labels("reports", str(response.status_code)).inc()
        return response

    return [
        Route("/api/v1/projects/{key}/measurements", post_measurements, methods=["POST"]),
        Route("/api/v1/reports/projects/{key}", get_report, methods=["GET"]),
    ]


def _stored_id(stored: Any) -> int:
    return stored.reading.id if isinstance(stored, production.StoredReading) else stored.measurement.id

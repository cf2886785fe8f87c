"""The measurement API that training pipelines call, and its OpenAPI document.

POST /api/v1/projects/{key}/measurements with `Authorization: Bearer hwp_…` (from `/headway token KEY`).
Body: one measurement, a list of them, or {"measurements": [...]}. A `client_id` makes retries safe:
the same client_id is stored once. Errors are 4xx with a JSON reason, never a 500 for bad input.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import Headway
from bot.errors import InvalidInput
from bot.experiments import tokens
from bot.experiments.measurements import Reading, record
from bot.models import MeasurementSource
from bot.production import service as production
from bot.projects.service import key_taken
from bot.reports.api import openapi_paths as report_paths
from bot.reports.api import project_report
from bot.request_body import read_capped

MAX_BATCH = 1000
MAX_BODY = 1_000_000
KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}")  # a project key as the path may spell it (any case)


class MeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(..., min_length=1, max_length=80, description="Must be the project's evaluation metric.")
    value: float = Field(..., allow_inf_nan=False, strict=True)  # a number, as documented: not "0.5", not true
    measured_at: datetime | None = Field(None, description="ISO 8601 with a time zone; default: now.")
    client_id: str | None = Field(None, min_length=1, max_length=200,
                                  description="Your id for this value (e.g. the run id); repeats are stored once.")
    note: str = Field("", max_length=500)
    kind: Literal["offline", "production"] = Field(
        "offline", description="offline: an evaluation or training result; production: the live metric of a "
                               "launched model (compared with its value at launch).")

    @field_validator("metric", "client_id", "note")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        """PostgreSQL text cannot hold NUL (pydantic already refuses unpaired surrogates such as "\\ud800")."""
        if value is not None and "\x00" in value:
            raise ValueError("must be text without NUL characters")
        return value

    @field_validator("measured_at", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """The document says an ISO 8601 string; pydantic alone would also take a number as Unix seconds."""
        if value is not None and not isinstance(value, str):
            raise ValueError("measured_at is an ISO 8601 string, e.g. 2026-11-24T10:00:00Z")
        return value

    @field_validator("measured_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("measured_at needs a time zone, e.g. 2026-11-24T10:00:00Z")
        try:
            return value.astimezone(UTC)  # as it is stored: a time that is no date in UTC cannot be
        except OverflowError:
            raise ValueError("measured_at is outside years 1 to 9999 in UTC") from None


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


def _parse(data: Any) -> MeasurementBatch | list[MeasurementIn] | MeasurementIn:
    """Validate against the one shape the body has (so errors are about that shape, not every accepted one)."""
    if isinstance(data, list):
        return _LIST.validate_python(data)
    if isinstance(data, dict) and "measurements" in data:
        return _BATCH.validate_python(data)
    return _ONE.validate_python(data)


def _error(status: int, error: str, detail: Any = None, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers or None)


def api_routes(hw: Headway) -> list[Route]:
    async def post_measurements(request: Request) -> Response:
        response = await _post_measurements(request)
        hw.metrics.api_requests.labels("measurements", str(response.status_code)).inc()
        return response

    async def _post_measurements(request: Request) -> Response:
        asked = request.path_params["key"]
        key = asked.upper() if KEY.fullmatch(asked) else None  # None: no project can have this key
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return _error(401, "missing_token", "Send Authorization: Bearer <token from /headway token KEY>.",
                          **{"WWW-Authenticate": "Bearer"})
        raw = await read_capped(request, MAX_BODY)
        if raw is None:
            return _error(413, "too_large", f"Send at most {MAX_BATCH} measurements per request.")
        try:
            parsed = _parse(_json(raw))
        except NotJson as error:
            return _error(400, "invalid_json", str(error))
        except ValidationError as error:
            return _error(422, "invalid_measurement", _problems(error))
        items = parsed.measurements if isinstance(parsed, MeasurementBatch) else (
            parsed if isinstance(parsed, list) else [parsed])
        if not items or len(items) > MAX_BATCH:
            return _error(422, "invalid_measurement", f"Send between 1 and {MAX_BATCH} measurements.")
        async with hw.db.unit_of_work() as session:
            found = await tokens.authenticate(session, header[7:].strip())
            if found is None:
                return _error(401, "invalid_token", "This token is unknown or revoked.",
                              **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
            _, project = found
            if project.key != key:
                if key is None or not await key_taken(session, project.team_id, key):
                    return _error(404, "unknown_project", f"There is no project {(key or asked)[:12]}.")
                return _error(403, "wrong_project", f"This token is for {project.key}, not {key}.")
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

    async def openapi(_: Request) -> Response:
        return JSONResponse(openapi_document())

    async def get_report(request: Request) -> Response:
        response = await project_report(hw, request)
        hw.metrics.api_requests.labels("reports", str(response.status_code)).inc()
        return response

    return [
        Route("/api/v1/projects/{key}/measurements", post_measurements, methods=["POST"]),
        Route("/api/v1/reports/projects/{key}", get_report, methods=["GET"]),
        Route("/api/openapi.json", openapi, methods=["GET"]),
    ]


def _stored_id(stored: Any) -> int:
    return stored.reading.id if isinstance(stored, production.StoredReading) else stored.measurement.id


class NotJson(ValueError):
    """A body that is not JSON text: a 400 saying why, never a 500."""


def _json(raw: bytes) -> Any:
    """The body as JSON. Bytes that are not text, numbers too long for Python and nesting too deep for its parser
    are as unreadable as a syntax error."""
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError as error:
        raise NotJson(f"The body is not JSON: {error.msg} at position {error.pos}.") from None
    except UnicodeDecodeError as error:
        raise NotJson(f"The body is not UTF-8 text: byte {error.start} is invalid.") from None
    except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits
        raise NotJson("The body is not JSON Headway can read: a number has too many digits.") from None
    except RecursionError:
        raise NotJson("The body is not JSON Headway can read: it nests too deeply.") from None


def _problems(error: ValidationError) -> dict[str, str]:
    problems = {}
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"] if part not in ("MeasurementBatch", "MeasurementIn",
                                                                         "list[MeasurementIn]"))
        problems[loc or "body"] = item["msg"]
    return problems


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (MeasurementIn, MeasurementBatch, StoredOut, MeasurementOut, ErrorOut):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Headway measurements API", "version": "1.0.0",
                 "description": "Training pipelines report metric values for a project."},
        "paths": {"/api/v1/projects/{key}/measurements": {"post": {
            "summary": "Record one or more metric values for a project",
            "operationId": "postMeasurements",
            "security": [{"bearer": []}],
            "parameters": [{"name": "key", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": f"^{KEY.pattern}$"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/MeasurementIn"},
                {"type": "array", "items": {"$ref": "#/components/schemas/MeasurementIn"}, "minItems": 1,
                 "maxItems": MAX_BATCH},
                {"$ref": "#/components/schemas/MeasurementBatch"}]}}}},
            "responses": {
                "201": {"description": "Stored", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/StoredOut"}}}},
                "200": {"description": "All were duplicates of values already stored", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/StoredOut"}}}},
                "400": {"description": "Not JSON", **error}, "401": {"description": "Missing or bad token", **error},
                "403": {"description": "Token for another project", **error},
                "404": {"description": "Unknown project", **error},
                "413": {"description": "Too large", **error}, "422": {"description": "Invalid values", **error},
            },
        }}, **report_paths()},
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }

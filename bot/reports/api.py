"""GET /api/v1/reports/projects/{KEY}: a project's report as JSON for its pipeline token, paged.

Query: `period` (as in Slack: `Q3`, `last month`, `2026-07-01..2026-09-30`, `as of 2026-09-30`, `all`; default
`this week`), `tz` (an IANA zone, default UTC), `section` (`entries`, `results`, `labels`, `blockers`;
default `entries`), `page` (from 1) and `per_page` (1–500, default 100). A token reads only its own project.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.app import Headway
from bot.errors import HeadwayError
from bot.experiments import tokens
from bot.projects.service import key_taken
from bot.reports.build import build_report
from bot.reports.periods import parse_period
from bot.reports.render import as_json
from bot.reports.scope import Scope, ScopeKind

SECTIONS = ("entries", "results", "labels", "blockers")
MAX_PER_PAGE = 500
KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}")


def _error(status: int, error: str, detail: Any = None, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers or None)


def _int(raw: str | None, default: int, field: str, low: int, high: int) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not low <= int(raw) <= high:
        raise ValueError(f"{field} is a whole number from {low} to {high}")
    return int(raw)


async def project_report(hw: Headway, request: Request) -> Response:
    asked = request.path_params["key"]
    key = asked.upper() if KEY.fullmatch(asked) else None
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return _error(401, "missing_token", "Send Authorization: Bearer <token from /headway token KEY>.",
                      **{"WWW-Authenticate": "Bearer"})
    query = request.query_params
    problems: dict[str, str] = {}
    section = query.get("section", "entries")
    if section not in SECTIONS:
        problems["section"] = f"one of {', '.join(SECTIONS)}"
    try:
        page = _int(query.get("page"), 1, "page", 1, 1_000_000)
    except ValueError as error:
        problems["page"] = str(error)
    try:
        per_page = _int(query.get("per_page"), 100, "per_page", 1, MAX_PER_PAGE)
    except ValueError as error:
        problems["per_page"] = str(error)
    tz_name = query.get("tz", "UTC")
    try:
        tz = ZoneInfo(tz_name) if "\x00" not in tz_name and len(tz_name) <= 64 else None
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):  # not a zone, or a path that is no zone file
        tz = None
    if tz is None:
        problems["tz"] = "an IANA time zone such as Europe/Berlin"
    if problems:
        return _error(422, "invalid_query", problems)
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
        try:
            period = parse_period(query.get("period", "this week")[:100], hw.clock.now().astimezone(tz).date())
        except HeadwayError as error:
            return _error(422, "invalid_query", {"period": str(error)})
        report = await build_report(session, Scope(ScopeKind.PROJECT, project.team_id, project=project), period,
                                    tz_name, lambda p: hw.lifecycle(p.lifecycle), hw.clock.now())
    body = as_json(report)
    data = body["projects"][0]
    items = data[section]
    start = (page - 1) * per_page
    shown = items[start:start + per_page]
    more = start + per_page < len(items)
    return JSONResponse({
        "project": data["key"], "name": data["name"], "period": body["period"], "label": data["label"],
        "reason": data["reason"], "stage": data["stage"], "state": data["state"], "goalposts": data["goalposts"],
        "section": section, "items": shown, "page": page, "per_page": per_page, "total": len(items),
        "next_page": page + 1 if more else None,
    })


def openapi_paths() -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    params = [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
              {"name": "period", "in": "query", "schema": {"type": "string", "default": "this week"}},
              {"name": "tz", "in": "query", "schema": {"type": "string", "default": "UTC"}},
              {"name": "section", "in": "query", "schema": {"type": "string", "enum": list(SECTIONS)}},
              {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
              {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                              "maximum": MAX_PER_PAGE}}]
    return {"/api/v1/reports/projects/{key}": {"get": {
        "summary": "A project's report over a period, one section at a time, paged",
        "operationId": "getProjectReport", "security": [{"bearer": []}], "parameters": params,
        "responses": {"200": {"description": "One page of the section", "content": {"application/json": {
            "schema": {"type": "object"}}}},
            "401": {"description": "Missing or bad token", **error},
            "403": {"description": "Token for another project", **error},
            "404": {"description": "Unknown project", **error},
            "422": {"description": "Invalid query", **error}}}}}

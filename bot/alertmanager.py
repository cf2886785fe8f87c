"""POST /api/v1/alertmanager: Prometheus Alertmanager's webhook (payload version 4), with a project token.

Configure a receiver with `webhook_configs: [{url: https://HEADWAY/api/v1/alertmanager, send_resolved: true,
http_config: {authorization: {credentials: hwp_…}}}]` and label the alerts `headway_project: KEY`. Alerts are
mapped to projects by that label; the token must be the labelled project's. Firing and resolved alerts are
recorded with their annotations and re-judge the project's production health. Bad input gets a 4xx naming what
is wrong (Alertmanager logs it), never a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.api import MAX_BODY, NotJson, _error, _json, _problems
from bot.app import Headway
from bot.errors import InvalidInput
from bot.experiments import tokens
from bot.production import service as production
from bot.production.alerts import AlertIn, fingerprint_of, record_alert

PROJECT_LABEL = "headway_project"
MAX_ALERTS = 1000


class WebhookAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str = Field(..., pattern="^(firing|resolved)$")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime  # noqa: N815 - Alertmanager's field names
    endsAt: datetime | None = None  # noqa: N815
    generatorURL: str = ""  # noqa: N815
    fingerprint: str = Field("", max_length=64)


class WebhookPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: str = Field(..., pattern="^4$")
    status: str = ""
    receiver: str = ""
    alerts: list[WebhookAlert] = Field(..., max_length=MAX_ALERTS)


def alertmanager_routes(hw: Headway) -> list[Route]:
    async def post_alerts(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return _error(401, "missing_token", "Set http_config.authorization.credentials to a token from "
                                                "/headway token KEY.", **{"WWW-Authenticate": "Bearer"})
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _error(413, "too_large", "The notification is larger than 1 MB.")
        try:
            payload = WebhookPayload.model_validate(_json(raw))
        except NotJson as error:
            return _error(400, "invalid_json", str(error))
        except ValidationError as error:
            return _error(422, "invalid_payload", _problems(error))
        now = hw.clock.now()
        async with hw.db.unit_of_work() as session:
            found = await tokens.authenticate(session, header[7:].strip())
            if found is None:
                return _error(401, "invalid_token", "This token is unknown or revoked.",
                              **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
            _, project = found
            mine, ignored = [], []
            for position, alert in enumerate(payload.alerts):
                key = alert.labels.get(PROJECT_LABEL, "").strip().upper()
                if key == project.key:
                    mine.append(alert)
                else:
                    ignored.append({"alert": position, "reason": f"label {PROJECT_LABEL}={key or '(missing)'} is "
                                                                  f"not {project.key}, this token's project"})
            if ignored and not mine:
                return _error(403, "wrong_project", ignored)
            try:
                health = await production.live_health(session, project, hw.lifecycle(project.lifecycle), now)
            except InvalidInput as error:
                return _error(422, "not_in_production", error.errors)
            for alert in mine:
                await record_alert(session, project, AlertIn(
                    status=alert.status, labels=alert.labels, annotations=alert.annotations,
                    starts_at=alert.startsAt, ends_at=alert.endsAt, generator_url=alert.generatorURL,
                    fingerprint=alert.fingerprint or fingerprint_of(alert.labels)), now)
            assessment = await production.refresh(session, hw.renderer, project, health, now)
        hw.deliver()
        body: dict[str, Any] = {"project": project.key, "recorded": len(mine), "ignored": ignored,
                                "health": assessment.label.value,
                                "firing": sum(a.status == "firing" for a in mine),
                                "resolved": sum(a.status == "resolved" for a in mine)}
        return JSONResponse(body, status_code=200)

    return [Route("/api/v1/alertmanager", post_alerts, methods=["POST"])]

"""POST /api/v1/alertmanager: Prometheus Alertmanager's webhook (payload version 4), with a project token.

Configure a receiver with `webhook_configs: [{url: https://HEADWAY/api/v1/alertmanager, send_resolved: true,
http_config: {authorization: {credentials: hwp_…}}}]` and label the alerts `headway_project: KEY`. Alerts are
mapped to projects by that label; the token must be the labelled project's. Firing and resolved alerts are
recorded with their annotations and re-judge the project's production health. Bad input gets a 4xx naming what
is wrong (Alertmanager logs it), never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.api_auth import authenticated_project
from bot.app import Headway
from bot.errors import InvalidInput
from bot.models import Project
from bot.production import service as production
from bot.production.alerts import AlertIn, fingerprint_of, record_alert
from bot.validation import Labels, Moment, Text, error_response, parse_payload

PROJECT_LABEL = "headway_project"
MAX_ALERTS = 1000
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)  # what Alertmanager sends as endsAt while an alert fires


def _no_end(value: Any) -> Any:
    """Alertmanager's "0001-01-01T00:00:00Z" means "no end yet"."""
    if isinstance(value, str) and value.startswith("0001-01-01T00:00:00"):
        try:
            if datetime.fromisoformat(value.replace("Z", "+00:00")) == GO_ZERO_TIME:
                return None
        except ValueError:
            pass
    return value


class WebhookAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str = Field(..., pattern="^(firing|resolved)$")
    labels: Labels(100) = Field(default_factory=dict)
    annotations: Labels(100) = Field(default_factory=dict)
    startsAt: Moment  # noqa: N815 - Alertmanager's field names
    endsAt: Annotated[Moment | None, BeforeValidator(_no_end)] = None  # noqa: N815
    generatorURL: Text(2000) = ""  # noqa: N815
    fingerprint: Text(64) = ""


class WebhookPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: str = Field(..., pattern="^4$")
    status: Text(20) = ""
    receiver: Text(500) = ""
    alerts: list[WebhookAlert] = Field(..., max_length=MAX_ALERTS)


class AlertsOut(BaseModel):
    project: str
    recorded: int = Field(description="Alerts new to Headway, or whose status changed")
    already_recorded: int = Field(description="Alerts Headway had already recorded as they are (a repeated "
                                              "notification): nothing changed")
    ignored: list[dict[str, Any]]
    health: str
    firing: int
    resolved: int


def alertmanager_routes(hw: Headway) -> list[Route]:
    async def post_alerts(request: Request) -> Response:
        project = await authenticated_project(hw, request, how="Set http_config.authorization.credentials to a "
                                                               "token from /headway token KEY.")
        if isinstance(project, Response):
            return project
        payload = parse_payload(WebhookPayload, await request.body())
        if isinstance(payload, Response):
            return payload
        now = hw.clock.now()
        mine, ignored = [], []
        for position, alert in enumerate(payload.alerts):
            key = alert.labels.get(PROJECT_LABEL, "").strip().upper()
            if key == project.key:
                mine.append(alert)
            else:
                ignored.append({"alert": position, "reason": f"label {PROJECT_LABEL}={key[:20] or '(missing)'} is "
                                                              f"not {project.key}, this token's project"})
        if ignored and not mine:
            return error_response(403, "wrong_project", ignored)
        async with hw.db.unit_of_work() as session:
            project = await session.get(Project, project.id)
            if project is None:  # deleted since its token was checked
                return error_response(401, "invalid_token", "This token's project no longer exists.")
            try:
                health = await production.live_health(session, project, hw.lifecycle(project.lifecycle), now)
            except InvalidInput as error:
                return error_response(422, "not_in_production", error.errors)
            changed = 0
            for alert in mine:
                changed += await record_alert(session, project, AlertIn(
                    status=alert.status, labels=alert.labels, annotations=alert.annotations,
                    starts_at=alert.startsAt, ends_at=alert.endsAt, generator_url=alert.generatorURL,
                    fingerprint=alert.fingerprint or fingerprint_of(alert.labels)), now)
            assessment = await production.refresh(session, hw.renderer, project, health, now)
        hw.deliver()
        body = AlertsOut(project=project.key, recorded=changed, already_recorded=len(mine) - changed,
                         ignored=ignored, health=assessment.label.value,
                         firing=sum(a.status == "firing" for a in mine),
                         resolved=sum(a.status == "resolved" for a in mine))
        return JSONResponse(body.model_dump(), status_code=200)

    return [Route("/api/v1/alertmanager", post_alerts, methods=["POST"])]

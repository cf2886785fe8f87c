"""The OpenAPI 3.1 document of every HTTP route Headway serves besides /slack/events (which speaks Slack's own
contract): the measurements and reports API, the Alertmanager, MLflow and W&B webhooks, /healthz and /metrics. It
is the API's documentation (GET /api/v1/openapi.json; /api/openapi.json is kept for clients of the first version)
and what the schemathesis tests generate requests from. Request schemas are the pydantic models the routes validate
with, so the two agree."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.alertmanager import AlertsOut, WebhookPayload
from bot.api import KEY, MAX_BATCH, ErrorOut, MeasurementBatch, MeasurementIn, MeasurementOut, StoredOut
from bot.body_limit import limit_for
from bot.mlflow_webhook import Envelope
from bot.reports.api import openapi_paths as report_paths
from bot.wandb import WandbPayload


class DeliveryOut(BaseModel):
    paused: bool
    why: dict[str, str]


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: bool
    scheduler: bool
    leader: bool
    slack: str
    delivery: DeliveryOut


MODELS: tuple[type[BaseModel], ...] = (MeasurementIn, MeasurementBatch, StoredOut, MeasurementOut, ErrorOut,
                                       WebhookPayload, AlertsOut, HealthOut, DeliveryOut, Envelope, WandbPayload)


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _errors(**statuses: str) -> dict[str, Any]:
    return {status.removeprefix("e"): _json("ErrorOut", why) for status, why in statuses.items()}


def _limit(path: str) -> str:
    return f"Bodies over {limit_for('headway', path).max_bytes} bytes are refused with 413 before they are read."


@cache  # built from the models once per process (tens of ms of JSON Schema), not per app or request
def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    measurements = "/api/v1/projects/{key}/measurements"
    return {
        "openapi": "3.1.0",
        "info": {"title": "Headway HTTP API", "version": "1.1.0",
                 "description": "Training pipelines report metric values, Alertmanager reports alerts, and "
                                "operators check health and scrape metrics. Every refusal is a 4xx with "
                                "{error, detail}; detail names the field."},
        "paths": {
            measurements: {"post": {
                "summary": "Record one or more metric values for a project",
                "description": "The token is checked before the body is read. " + _limit(measurements),
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
                    "201": _json("StoredOut", "Stored"),
                    "200": _json("StoredOut", "All were duplicates of values already stored"),
                    **_errors(e400="Not JSON", e401="Missing or bad token", e403="Token for another project",
                              e404="Unknown project", e413="Too large", e422="Invalid values"),
                },
            }},
            "/api/v1/alertmanager": {"post": {
                "summary": "Prometheus Alertmanager's webhook (payload version 4)",
                "description": "Alerts labelled headway_project=KEY, with that project's token as bearer "
                               "credentials. A repeated notification is answered with already_recorded; alerts "
                               "are stored once per fingerprint and start. " + _limit("/api/v1/alertmanager"),
                "operationId": "postAlertmanager",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/WebhookPayload"}}}},
                "responses": {
                    "200": _json("AlertsOut", "Recorded (or already recorded)"),
                    **_errors(e400="Not JSON", e401="Missing or bad token",
                              e403="No alert is labelled with the token's project", e413="Too large",
                              e422="Invalid payload, or the project is not in production"),
                },
            }},
            "/api/v1/mlflow/webhook": {"post": {
                "summary": "MLflow 3's model registry webhooks (model_version.created, model_version_alias.created, "
                           "model_version_tag.set)",
                "description": "Signed by MLflow with the secret `/headway mlflow webhook` printed "
                               "(X-MLflow-Signature: v1,base64 HMAC-SHA256 of `delivery_id.timestamp.body`); the "
                               "signature and timestamp are checked before the body is parsed, and a delivery id is "
                               "handled once. " + _limit("/api/v1/mlflow/webhook"),
                "operationId": "postMlflowWebhook",
                "parameters": [
                    {"name": "hook", "in": "query", "required": True, "schema": {"type": "string"}},
                    *({"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
                      for name in ("X-MLflow-Delivery-Id", "X-MLflow-Timestamp", "X-MLflow-Signature"))],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Envelope"}}}},
                "responses": {
                    "200": {"description": "Acted on", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "202": {"description": "Acknowledged: not an event Headway acts on, or a model no project "
                                           "follows", "content": {"application/json": {"schema": {"type": "object"}}}},
                    **_errors(e400="Not JSON, or a bad delivery id", e401="Unknown hook, bad signature or timestamp",
                              e409="This delivery was handled already", e413="Too large",
                              e422="Invalid payload"),
                },
            }},
            "/api/v1/wandb/webhook": {"post": {
                "summary": "Weights & Biases automations (the payload template in the README)",
                "description": "A project token as the webhook's access token, checked before the body is read. "
                               + _limit("/api/v1/wandb/webhook"),
                "operationId": "postWandbWebhook",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/WandbPayload"}}}},
                "responses": {
                    "201": {"description": "Recorded", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "200": {"description": "Acknowledged, nothing recorded (the reason is in the body)",
                            "content": {"application/json": {"schema": {"type": "object"}}}},
                    **_errors(e400="Not JSON", e401="Missing or bad token", e403="Token for another project",
                              e413="Too large", e422="Invalid payload"),
                },
            }},
            "/healthz": {"get": {
                "summary": "Database, scheduler, leadership, Slack and delivery",
                "operationId": "getHealth",
                "responses": {"200": _json("HealthOut", "Healthy"),
                              "503": _json("HealthOut", "Degraded: the fields say what is wrong")},
            }},
            "/metrics": {"get": {
                "summary": "Prometheus metrics (text exposition format)",
                "operationId": "getMetrics",
                "responses": {"200": {"description": "Metrics", "content": {"text/plain": {
                    "schema": {"type": "string"}}}}},
            }},
            **report_paths(),
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "operationId": "getOpenApi",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {
                    "schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def openapi_routes() -> list[Route]:
    async def openapi(_: Request) -> Response:
        return JSONResponse(openapi_document())

    return [Route("/api/v1/openapi.json", openapi, methods=["GET"]),
            Route("/api/openapi.json", openapi, methods=["GET"])]

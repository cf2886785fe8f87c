"""schemathesis against the served /api/v1/openapi.json: the document is valid, and every answer Headway gives on
every route it describes (the measurements API, the Alertmanager webhook, /healthz, /metrics, the document itself)
— to a good token, a bad one or none; to valid input and to broken input — is one the document declares, never a
5xx.

schemathesis speaks blocking HTTP, so it runs in a worker thread while this test's event loop serves Headway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import CheckFunction

from tests.bot.production.support import launched
from tests.bot.test_api import new_token
from tests.handlers.test_projects import FRAUD, create, make_pm

CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance, schemathesis.checks.negative_data_rejection,
]
EXAMPLES = settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
FEWER = settings(EXAMPLES, max_examples=25)  # the other routes: simpler inputs, and the suite must stay fast
OPERATION = "POST /api/v1/projects/{key}/measurements"
REPORT = "GET /api/v1/reports/projects/{key}"
OTHERS = ["POST /api/v1/alertmanager", "POST /api/v1/mlflow/webhook", "POST /api/v1/wandb/webhook", "GET /healthz",
          "GET /metrics"]  # (schemathesis skips the document's own
# address when it loads the document from it: GET /api/v1/openapi.json is checked by hand below)
ERROR_STATUSES = {"400", "401", "413", "422"}  # what every API route declares, with 403 and 404 where they happen
KEYS = ["FRAUD", "fraud", "CHURN", "NOPE"]  # the token's project in two spellings, another in its team, none
GENERATED = "generated"  # whatever schemathesis makes of the bearer scheme: random tokens, a mangled header, none
WITHOUT = "without"  # no Authorization header at all
ONE = {"metric": "recall", "value": 0.5}  # a value FRAUD stores


# ---------------------------------------------------------------- the schema and its cases


def load(base_url: str) -> BaseSchema:
    """The document as a client gets it from the running server, checked against the OpenAPI 3.1 meta-schema."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    schema.validate()
    # Invalid input too big for the route's body limit is refused with 413 (unread) rather than 422: as rejected.
    rejection = schema.config.checks.negative_data_rejection
    schema.config.checks.negative_data_rejection = type(rejection)(
        expected_statuses=[*rejection.expected_statuses, "413"])
    return schema


def operations(schema: BaseSchema) -> list[APIOperation]:
    """Every documented operation; one that schemathesis cannot read fails here rather than being skipped."""
    return [result.ok() for result in schema.get_all_operations()]


def cases(operation: APIOperation) -> st.SearchStrategy[Case]:
    """Valid and invalid input, to generated keys and to each kind of known key, with and without its metric;
    alerts with generated labels and labelled with the token's project."""
    strategies = []
    for mode in GenerationMode:
        strategies.append(operation.as_strategy(generation_mode=mode))
        if operation.label == "POST /api/v1/alertmanager":
            strategies.append(operation.as_strategy(generation_mode=mode).map(label_fraud))
        if "{key}" not in operation.path:
            continue
        for key in KEYS:
            keyed = operation.as_strategy(generation_mode=mode, path_parameters={"key": key})
            strategies += [keyed, keyed.map(use_project_metric)]
    return st.one_of(strategies)


def use_project_metric(case: Case) -> Case:
    """Generated metric names are almost never FRAUD's: naming recall lets the rest of the body get past the metric
    check to the store. Assigned, not edited in place, so schemathesis re-judges whether the case is still invalid."""
    case.body = _with_metric(case.body)
    return case


def label_fraud(case: Case) -> Case:
    """Generated labels are never headway_project=FRAUD: labelling them so lets the alerts reach the store."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("alerts"), list):
        alerts = [{**a, "labels": {**(a.get("labels") or {}), "headway_project": "FRAUD"}}
                  if isinstance(a, dict) and isinstance(a.get("labels", {}), dict) else a for a in body["alerts"]]
        case.body = {**body, "alerts": alerts}
    return case


def _with_metric(body: Any) -> Any:
    if isinstance(body, list):
        return [_with_metric(item) for item in body]
    if isinstance(body, dict) and isinstance(body.get("measurements"), list):
        return {**body, "measurements": _with_metric(body["measurements"])}
    if isinstance(body, dict) and "metric" in body:
        return {**body, "metric": "recall"}
    return body


def authorize(case: Case, authorization: str) -> Case:
    """The run's Authorization header in place of the generated one (assigned, so the case is re-judged)."""
    if authorization != GENERATED:
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = headers if authorization == WITHOUT else {**headers, "Authorization": authorization}
    return case


# ---------------------------------------------------------------- runs (blocking: called in a thread)


def conform(base_url: str, authorization: str, labels: list[str], examples: settings = EXAMPLES) -> list[str]:
    """Every check on generated cases for the operations named; returns the operations tried."""
    tried = []
    for operation in operations(load(base_url)):
        if operation.label not in labels:
            continue

        @examples
        @given(case=cases(operation))
        def run(case: Case) -> None:
            authorize(case, authorization).call_and_validate(base_url=base_url, checks=CHECKS)

        run()
        tried.append(operation.label)
    return tried


def answer(base_url: str, authorization: str, key: str, body: Any = None, raw: bytes | None = None) -> int:
    """One hand-made case (a JSON `body`, or `raw` bytes) through the same checks; returns its status."""
    operation = next(op for op in operations(load(base_url)) if op.label == OPERATION)
    fields = {} if raw is not None else {"body": body}
    case = operation.Case(path_parameters={"key": key}, headers={"Authorization": authorization},
                          media_type="application/json", **fields)
    sent = {"data": raw} if raw is not None else {}
    return case.call_and_validate(base_url=base_url, checks=CHECKS, **sent).status_code


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, *args, **kwargs)


# ---------------------------------------------------------------- tests


@pytest.fixture
async def token(slack, emulator) -> str:
    """FRAUD (metric recall) with a token, and CHURN in the same team, which that token may not write to."""
    await make_pm(slack)
    await create(slack, emulator)
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", metric_name="precision"))
    return await new_token(slack)


@pytest.mark.parametrize("authorization", ["valid", "Bearer hwp_not-a-real-token", WITHOUT, GENERATED],
                         ids=["valid-token", "invalid-token", "no-token", "generated-token"])
async def test_every_operation_answers_as_documented(headway, token, authorization):
    """The generated runs: valid and invalid input under each kind of credential."""
    authorization = f"Bearer {token}" if authorization == "valid" else authorization
    assert await in_thread(conform, headway.url, authorization, [OPERATION]) == [OPERATION]
    assert await in_thread(conform, headway.url, authorization, [REPORT], FEWER) == [REPORT]


@pytest.fixture
async def live_token(slack, emulator, clean_database, headway) -> str:
    """FRAUD launched into production (so alerts about it are recorded), and its token."""
    return await launched(slack, emulator, clean_database, headway)


@pytest.mark.parametrize("authorization", ["valid", GENERATED], ids=["valid-token", "generated-token"])
async def test_every_other_route_answers_as_documented(headway, live_token, authorization):
    """Alertmanager (labelled or not with the token's project), /healthz and /metrics; a live token, and whatever
    schemathesis makes of the bearer scheme (none, mangled, random: all 401 before the body is read)."""
    authorization = f"Bearer {live_token}" if authorization == "valid" else authorization
    assert sorted(await in_thread(conform, headway.url, authorization, OTHERS, FEWER)) == sorted(OTHERS)


async def test_every_documented_error_is_given_as_documented(headway, token):
    """Generated input never reaches 413, and 403 only by luck: one deliberate case per documented status."""
    good = f"Bearer {token}"
    statuses = [
        await in_thread(answer, headway.url, good, "FRAUD", raw=b'{"metric": '),
        await in_thread(answer, headway.url, "Bearer hwp_not-a-real-token", "FRAUD", body=ONE),
        await in_thread(answer, headway.url, good, "CHURN", body={"metric": "precision", "value": 0.5}),
        await in_thread(answer, headway.url, good, "NOPE", body=ONE),
        await in_thread(answer, headway.url, good, "FRAUD", raw=b" " * 1_000_001),
        await in_thread(answer, headway.url, good, "FRAUD", body={**ONE, "value": 2}),
        await in_thread(answer, headway.url, good, "FRAUD", body=ONE),
    ]
    assert statuses == [400, 401, 403, 404, 413, 422, 201]


RARE = [  # (what, key, JSON body or raw bytes, status): each was a 500, or an invalid body stored, before the fix
    ("bytes that are not UTF-8", "FRAUD", b'{"metric": "\xff"}', 400),
    ("a number Python will not parse", "FRAUD", b'{"metric": "recall", "value": ' + b"1" * 5000 + b"}", 400),
    ("nesting deeper than the parser goes", "FRAUD", b"[" * 100_000, 400),
    ("a number for measured_at (taken as Unix seconds)", "FRAUD", {**ONE, "measured_at": 0}, 422),
    ("a string for the value", "FRAUD", {**ONE, "value": "0.5"}, 422),
    ("true for the value", "FRAUD", {**ONE, "value": True}, 422),
    ("a time that is before year 1 in UTC", "FRAUD", {**ONE, "measured_at": "0001-01-01T00:00:00+01:00"}, 422),
    ("a time that is after year 9999 in UTC", "FRAUD", {**ONE, "measured_at": "9999-12-31T23:59:59-01:00"}, 422),
    ("NUL in a note (PostgreSQL text)", "FRAUD", {**ONE, "note": "a\x00b"}, 422),
    ("NUL in a client_id (PostgreSQL text)", "FRAUD", {**ONE, "client_id": "\x00"}, 422),
    ("NUL in the key (PostgreSQL text)", "FRAUD\x00", ONE, 404),
]


@pytest.mark.parametrize(("key", "body", "status"), [case[1:] for case in RARE], ids=[case[0] for case in RARE])
async def test_rare_bad_input_is_refused_as_documented(headway, token, key, body, status):
    """What the generator found, and its neighbours: inputs it seldom makes, so each is pinned here as well."""
    sent = {"raw": body} if isinstance(body, bytes) else {"body": body}
    assert await in_thread(answer, headway.url, f"Bearer {token}", key, **sent) == status


async def test_every_error_the_api_gives_is_declared(headway):
    """status_code_conformance only notices a missing status when a run happens to produce it: check the list."""
    async with httpx.AsyncClient() as client:
        spec = (await client.get(headway.url + "/api/v1/openapi.json")).json()
        assert (await client.get(headway.url + "/api/openapi.json")).json() == spec  # the first version's address
    assert set(spec["paths"]) == {"/api/v1/projects/{key}/measurements", "/api/v1/reports/projects/{key}",
                                  "/api/v1/alertmanager", "/api/v1/mlflow/webhook", "/api/v1/wandb/webhook",
                                  "/healthz", "/metrics", "/api/v1/openapi.json"}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method == "post":
                assert set(operation["responses"]) >= ERROR_STATUSES, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    content = response["content"]["application/json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)

"""schemathesis against the playground's own API (GET /playground/api/openapi.json), with Headway answering behind
it: whatever the page could send — valid, invalid, as a real person or not — gets a documented answer, never a 5xx.

schemathesis speaks blocking HTTP, so it runs in a worker thread while this test's event loop serves both servers.
"""

from __future__ import annotations

import asyncio

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from bot.demo.cast import ADA

CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance]
EXAMPLES = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))




def as_a_person(case: Case) -> Case:
    """Generated ids are never the workspace's people: acting as Ada lets the rest reach the app."""
    if isinstance(case.body, dict):
        case.body = {**case.body, "as": ADA.id}
    if case.query is not None:
        case.query = {**case.query, "as": ADA.id}
    return case


def fuzz(base_url: str) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/playground/api/openapi.json")
    schema.validate()
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
        strategies += [s.map(as_a_person) for s in strategies]

        @EXAMPLES
        @given(case=st.one_of(strategies))
        def run(case: Case) -> None:
            case.call_and_validate(base_url=base_url, checks=CHECKS)

        run()
        tried.append(operation.label)
    return tried


async def test_the_playground_api_answers_as_documented(playground):
    tried = await asyncio.to_thread(fuzz, playground.emulator.base_url)
    assert len(tried) == 10, tried


async def test_the_document_is_served_to_the_page_only(playground):
    async with httpx.AsyncClient(base_url=playground.emulator.base_url) as http:
        assert (await http.get("/playground/api/openapi.json")).json()["openapi"].startswith("3.1")
        foreign = await http.get("/playground/api/openapi.json", headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403

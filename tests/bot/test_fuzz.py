"""Hostile and random input over real HTTP: never a 5xx, always a helpful answer or a 4xx."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.headway import build_registry
from handlers.registry import HelpTopic, Resolved, UsageProblem
from tests.conftest import CHANNEL, MEMBER, PM
from tests.support import eventually

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WORDS = st.sampled_from(["project", "new", "list", "show", "edit", "role", "log", "token", "revoke", "experiment",
                         "close", "goal", "help", "FRAUD", "<!channel>", "<@U1|x>", '"', "'", "=", "recall=0.8",
                         "now", "until", "2026-02-30", "skip", "away", "back", "stats", "pause", "run", "\u202e",
                         "%", "\\", "`", "*bold*", "x" * 300])
TEXT = st.one_of(st.lists(WORDS, max_size=6).map(" ".join), st.text(max_size=200))


@given(TEXT)
def test_command_parsing_never_raises(text):
    resolved = build_registry().resolve(text)
    assert isinstance(resolved, Resolved | UsageProblem | HelpTopic)  # `project help` is a help topic


@FUZZ
@given(command=st.sampled_from(["/headway", "/standup"]), text=TEXT, user=st.sampled_from([PM, MEMBER]))
async def test_slash_commands_always_get_an_answer(slack, emulator, command, text, user):
    modals = len(emulator.calls_to("views.open"))
    result = await slack.slash_command(user, command, text, channel_id=CHANNEL)
    assert result.status == 200, (text, result.text)
    if result.body:
        assert result.body["response_type"] == "ephemeral" and result.body["blocks"]
    else:  # answered later: privately through response_url, or with a modal
        await eventually(lambda: result.responses or len(emulator.calls_to("views.open")) > modals)
        if result.responses:
            assert result.responses[0].get("blocks") or result.responses[0].get("text")


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                       lambda inner: st.one_of(st.lists(inner, max_size=3),
                                               st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                       max_leaves=12)
PAYLOAD = st.fixed_dictionaries(
    {"type": st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut", "nonsense"])},
    optional={"team": st.one_of(JSONISH, st.just({"id": "T0HEADWAY"})),
              "user": st.one_of(JSONISH, st.just({"id": PM})),
              "actions": st.lists(st.fixed_dictionaries({"action_id": st.sampled_from(
                  ["standup_answer", "standup_skip", "standup_away", "standup_edit", "other"]), "value": JSONISH}),
                  max_size=2),
              "view": st.one_of(JSONISH, st.fixed_dictionaries({
                  "callback_id": st.sampled_from(["project_form", "standup_form", "standup_answer",
                                                  "standup_away", "experiment_form"]),
                  "private_metadata": st.one_of(st.text(max_size=30), JSONISH.map(json.dumps)),
                  "state": st.fixed_dictionaries({"values": st.dictionaries(st.text(max_size=12), st.dictionaries(
                      st.text(max_size=8), JSONISH, max_size=2), max_size=4)})})),
              "trigger_id": st.text(max_size=10), "response_url": st.just("http://127.0.0.1:9/nowhere")})


@FUZZ
@given(PAYLOAD)
async def test_random_interactivity_payloads_never_5xx(slack, payload):
    result = await slack.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded",
                              kind="fuzz", payload=payload)
    assert result.status < 500, (payload, result.text)


@FUZZ
@given(st.one_of(st.binary(max_size=200), JSONISH.map(lambda v: json.dumps(v).encode())))
async def test_garbage_bodies_are_4xx_or_handled(slack, body):
    for content_type in ("application/x-www-form-urlencoded", "application/json"):
        result = await slack.send(body.decode("latin-1"), content_type, kind="fuzz", payload=None)
        assert result.status < 500, (body, result.text)


@FUZZ
@given(JSONISH)
async def test_the_api_answers_random_json_with_4xx(headway, body):
    async with httpx.AsyncClient(base_url=headway.url) as client:
        response = await client.post("/api/v1/projects/FRAUD/measurements", json=body,
                                     headers={"Authorization": "Bearer hwp_random"})
    assert 400 <= response.status_code < 500 and response.json()["error"]

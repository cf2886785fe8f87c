"""bot/validation.py, the one validation of external payloads that every webhook uses: what it refuses, and that
the refusal names the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, Field
from starlette.responses import Response

from bot.validation import Labels, Moment, Text, parse_payload


class Hook(BaseModel):
    name: Text(20, 1)
    at: Moment
    tags: Labels(3) = Field(default_factory=dict)
    items: list[Text(10)] = Field(default_factory=list, max_length=2)


def refused(body: dict | bytes) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = parse_payload(Hook, raw)
    assert isinstance(answer, Response)
    return answer.status_code, json.loads(answer.body)


def test_a_good_payload_is_the_model_with_its_time_in_utc():
    hook = parse_payload(Hook, b'{"name": "run\\t1", "at": "2026-11-23T08:30:00+01:00", "tags": {"a": "b"}}')
    assert isinstance(hook, Hook) and hook.name == "run\t1"
    assert hook.at == datetime(2026, 11, 23, 7, 30, tzinfo=UTC) and hook.at.tzinfo is UTC


GOOD = {"name": "run", "at": "2026-11-23T08:30:00Z"}


@pytest.mark.parametrize(("body", "field"), [
    ({**GOOD, "at": "2026-11-23T08:30:00"}, "at"),
    ({**GOOD, "at": "9999-12-31T23:59:59-14:00"}, "at"),
    ({**GOOD, "at": "1969-12-31T23:59:59Z"}, "at"),
    ({**GOOD, "at": 1795000000}, "at"),
    ({**GOOD, "name": "a\x00b"}, "name"),
    ({**GOOD, "name": "a\x1b[31m"}, "name"),
    ({**GOOD, "name": ""}, "name"),
    ({**GOOD, "name": "x" * 21}, "name"),
    ({**GOOD, "tags": {"a": "1", "b": "2", "c": "3", "d": "4"}}, "tags"),
    ({**GOOD, "tags": {"k": "v\x00"}}, "tags.k"),
    ({**GOOD, "items": ["a", "b", "c"]}, "items"),
    ({**GOOD, "items": ["x" * 11]}, "items.0"),
])
def test_a_bad_field_is_422_naming_it(body, field):
    status, answer = refused(body)
    assert status == 422 and answer["error"] == "invalid_payload"
    assert list(answer["detail"]) == [field], answer


@pytest.mark.parametrize("raw", [b"{", b'{"name": "\xff"}', b"[" * 100_000, b'{"n": ' + b"1" * 5000 + b"}"])
def test_a_body_that_is_not_json_is_400(raw):
    status, answer = refused(raw)
    assert status == 400 and answer["error"] == "invalid_json" and answer["detail"]

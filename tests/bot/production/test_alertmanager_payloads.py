"""What the Alertmanager webhook refuses (4xx naming the field, never a 5xx, on both databases), and a replayed
notification: answered "already recorded", one row per fingerprint and start."""

from __future__ import annotations

import logging

import pytest

from bot.models import ProductionAlert
from tests.bot.production.support import launched
from tests.bot.production.test_alertmanager import alert, payload, send
from tests.support import rows


@pytest.fixture
async def token(slack, emulator, clean_database, headway) -> str:
    return await launched(slack, emulator, clean_database, headway)


def labelled(**labels: str) -> dict:
    found = alert()
    found["labels"] = {**found["labels"], **labels}
    return found


BAD = [  # (what, the alert, the field the answer names): each was a 500 before
    ("a start without a time zone", {**alert(), "startsAt": "2026-11-23T08:30:00"}, "alerts.0.startsAt"),
    ("a start at the edge of the calendar", {**alert(), "startsAt": "9999-12-31T23:59:59-14:00"},
     "alerts.0.startsAt"),
    ("an end without a time zone", {**alert("resolved"), "endsAt": "2026-11-23T09:30:00"}, "alerts.0.endsAt"),
    ("an end before the calendar starts in UTC", {**alert("resolved"), "endsAt": "0001-01-01T00:00:00+01:00"},
     "alerts.0.endsAt"),
    ("a start as Unix seconds", {**alert(), "startsAt": 1795000000}, "alerts.0.startsAt"),
    ("NUL in a label", labelled(team="fraud\x00"), "alerts.0.labels.team"),
    ("NUL in an annotation", {**alert(), "annotations": {"summary": "down\x00"}}, "alerts.0.annotations.summary"),
    ("an escape character in a label name", labelled(**{"te\x1bam": "x"}), "alerts.0.labels.te\x1bam"),
    ("a fingerprint too long to store", {**alert(), "fingerprint": "f" * 65}, "alerts.0.fingerprint"),
]


@pytest.mark.parametrize(("body", "field"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
async def test_a_bad_alert_is_422_naming_the_field_and_stores_nothing(token, headway, clean_database, caplog,
                                                                      body, field):
    caplog.set_level(logging.ERROR)
    response = await send(headway, payload(body), token)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_payload"
    assert field in response.json()["detail"], response.json()["detail"]
    assert await rows(clean_database, ProductionAlert) == []
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_a_replayed_notification_is_answered_already_recorded(token, headway, clean_database):
    first = await send(headway, payload(alert()), token)
    assert (first.json()["recorded"], first.json()["already_recorded"]) == (1, 0)
    for _ in range(2):  # Alertmanager repeats a notification it is not sure arrived
        again = await send(headway, payload(alert()), token)
        assert again.status_code == 200
        assert (again.json()["recorded"], again.json()["already_recorded"]) == (0, 1)
    later = {**alert(), "startsAt": "2026-11-23T10:30:00Z"}  # the same alert firing again later: a new episode
    both = await send(headway, payload(alert(), later), token)
    assert (both.json()["recorded"], both.json()["already_recorded"]) == (1, 1)
    stored = await rows(clean_database, ProductionAlert)
    assert sorted((r.fingerprint, r.starts_at.hour) for r in stored) == [("a1b2c3d4e5f60718", 8),
                                                                          ("a1b2c3d4e5f60718", 10)]
    resolved = await send(headway, payload(alert("resolved")), token)  # a change of status is news
    assert (resolved.json()["recorded"], resolved.json()["already_recorded"]) == (1, 0)
    assert len(await rows(clean_database, ProductionAlert)) == 2

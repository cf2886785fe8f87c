"""Socket Mode frames Headway cannot use: a malformed envelope is acked (when it carries an id) and logged as one
warning line, never a traceback; a frame over the size limit is logged as such and the connection comes back."""

from __future__ import annotations

import json
import logging

import pytest

from tests.bot.test_socket_mode import socket  # noqa: F401 - the fixture: Headway connected in Socket Mode
from tests.conftest import CHANNEL, MEMBER, TEAM_ID
from tests.support import eventually

MALFORMED = [
    ("payload null", {"type": "interactive", "payload": None}),
    ("payload a list", {"type": "events_api", "payload": [1, 2]}),
    ("an action without action_id", {"type": "interactive", "payload": {
        "type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": MEMBER},
        "actions": [{"type": "button", "value": "1"}]}}),
    ("a view without callback_id", {"type": "interactive", "payload": {
        "type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": MEMBER}, "view": {"id": "V1"}}}),
    ("an event without its type", {"type": "events_api", "payload": {
        "type": "event_callback", "team_id": TEAM_ID, "event": {"user": MEMBER}}}),
]


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.WARNING)
    return caplog


def tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("envelope", [case[1] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
async def test_a_malformed_envelope_is_acked_and_logged_in_one_line(socket, emulator, logged, envelope):  # noqa: F811
    frame = json.dumps({"envelope_id": "env-1", "accepts_response_payload": True, **envelope})
    result = await emulator.hub.send_frame(frame, envelope_id="env-1")
    assert result["acked"] and result["ack"]["envelope_id"] == "env-1", result
    warnings = [r for r in logged.records if "malformed" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING and "\n" not in warnings[0].getMessage()
    assert tracebacks(logged) == []
    still = await socket.slash_command(MEMBER, "/headway", "help", channel_id=CHANNEL)
    assert still.status == 200  # and Headway goes on serving


async def test_frames_without_an_id_or_json_are_logged_not_raised(socket, emulator, logged):  # noqa: F811
    for frame in ('{"type": "interactive", "payload": null}', "{not json", '{"envelope_id": 7, "payload": {}}'):
        await emulator.hub.send_frame(frame)
    await eventually(lambda: len([r for r in logged.records if "Socket Mode" in r.getMessage()]) >= 3)
    assert tracebacks(logged) == []


async def test_an_oversized_frame_is_logged_as_such_and_the_connection_comes_back(socket, emulator,  # noqa: F811
                                                                                   logged):
    emulator.set_rate_limit("apps.connections.open", 1.0, 5)  # Tier 1: let the reconnection through sooner
    before = len(emulator.calls_to("apps.connections.open"))
    await emulator.hub.send_frame(json.dumps({"envelope_id": "big", "type": "events_api", "payload": {
        "type": "event_callback", "event": {"type": "message", "text": "x" * (5 * 1024 * 1024)}}}))
    warning = await eventually(lambda: [r for r in logged.records if "over 4194304 bytes" in r.getMessage()])
    assert warning[0].levelno == logging.WARNING
    await eventually(lambda: len(emulator.calls_to("apps.connections.open")) > before, timeout=10)
    await emulator.wait_until(lambda: emulator.hub.connected, timeout=10)
    again = await socket.slash_command(MEMBER, "/headway", "help", channel_id=CHANNEL)
    assert again.status == 200
    assert tracebacks(logged) == []

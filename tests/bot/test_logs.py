"""Secrets never reach a log line."""

import logging

import pytest

from bot.logs import RedactSecrets


def test_tokens_and_configured_secrets_are_redacted(caplog):
    logger = logging.getLogger("headway.test.redaction")
    logger.addFilter(RedactSecrets(("signing-secret-123",)))
    with caplog.at_level(logging.INFO, logger="headway.test.redaction"):
        logger.info("calling with %s and %s", "xoxb-1234-5678-abcdef", "hwp_AbCdEfGhIjKlMnOp")
        logger.info("headers: Authorization: Bearer xapp-1-A0-123 secret=signing-secret-123")
    text = caplog.text
    for secret in ("xoxb-1234-5678-abcdef", "hwp_AbCdEfGhIjKlMnOp", "xapp-1-A0-123", "signing-secret-123"):
        assert secret not in text
    assert "xoxb-…[redacted]" in text and "[redacted]" in text


@pytest.mark.slow
def test_serve_logs_one_json_format_a_line_per_request_and_job_and_no_scrapes(tmp_path):
    """HEADWAY_LOG_FORMAT=json: Headway's, uvicorn's and the scheduler's lines are all JSON; a Slack request is one
    line with its duration and outcome; /healthz and /metrics are not logged; APScheduler's chatter is not either."""
    import json
    import signal
    import subprocess
    import time

    import httpx

    from bot.slack_emulator import EmulatorConfig, EmulatorThread
    from tests.bot.test_cli import clean_env, free_port, headway, headway_command, sqlite_url

    database = tmp_path / "headway.db"
    assert headway(tmp_path, "migrate", DATABASE_URL=sqlite_url(database)).returncode == 0
    port = free_port()
    with EmulatorThread(EmulatorConfig()) as slack:
        env = clean_env(tmp_path, DATABASE_URL=sqlite_url(database), SLACK_API_URL=slack.api_url,
                        SLACK_BOT_TOKEN=slack.config.bot_token, SLACK_SIGNING_SECRET="log-test-secret",
                        HEADWAY_LOG_FORMAT="json", HEADWAY_LOG_LEVEL="DEBUG")
        log = tmp_path / "serve.log"
        with log.open("w") as output:
            process = subprocess.Popen([*headway_command(), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                                       stdout=output, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            httpx.get(base + "/metrics", timeout=5)
            assert httpx.post(base + "/slack/events", data={"command": "/headway"}, timeout=5).status_code == 401
            deadline = time.monotonic() + 10
            while '"job": "standups"' not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # every line is JSON
    loggers = {entry["logger"] for entry in entries}
    assert any(name.startswith("uvicorn") for name in loggers)
    assert not any(name.startswith("apscheduler") for name in loggers)
    requests = [e for e in entries if e["logger"] == "headway.requests"]
    assert [(e["path"], e["status"], e["outcome"]) for e in requests] == [("/slack/events", 401, "refused")]
    assert requests[0]["duration_ms"] >= 0
    jobs = [e for e in entries if e["logger"] == "headway.jobs"]
    assert jobs and all(e["outcome"] == "ok" and e["duration_ms"] >= 0 for e in jobs)
    assert "log-test-secret" not in log.read_text()

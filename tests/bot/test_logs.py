"""Secrets never reach a log line."""

import logging

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

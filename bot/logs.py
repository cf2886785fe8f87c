"""Logging setup: secrets never reach a log line, whatever library wrote it."""

from __future__ import annotations

import logging
import re

SECRET = re.compile(r"\b(xox[abposr]-[\w-]+|xapp-[\w-]+|hwp_[\w-]{8,})")


class RedactSecrets(logging.Filter):
    """Replaces Slack tokens and Headway API tokens in the final message (args included) with a marker."""

    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._extra = tuple(s for s in extra if len(s) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = SECRET.sub(lambda m: m.group(0)[:5] + "…[redacted]", message)
        for secret in self._extra:
            cleaned = cleaned.replace(secret, "[redacted]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(level: int = logging.INFO, secrets: tuple[str, ...] = ()) -> None:
    """Root logging for `headway serve`: one format, and every handler redacts secrets."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)

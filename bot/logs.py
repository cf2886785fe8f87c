"""Logging setup: one format (text or JSON) for Headway, uvicorn and APScheduler; secrets never reach a line."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

SECRET = re.compile(r"\b(xox[abposr]-[\w-]+|xapp-[\w-]+|hwp_[\w-]{8,})")
FIELDS = ("kind", "path", "status", "outcome", "duration_ms", "job", "team_id", "user_id")  # `extra=` we emit
QUIET = {"apscheduler": logging.WARNING, "alembic": logging.WARNING, "aiosqlite": logging.WARNING,
         "asyncio": logging.WARNING}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log pipelines: time, level, logger, message and Headway's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str | int = "info", fmt: str = "text", secrets: tuple[str, ...] = ()) -> None:
    """Root logging for `headway serve`: every library's records reach one handler, in one format, redacted."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True

"""Domain errors that handlers turn into helpful answers (never stack traces)."""

from __future__ import annotations


class HeadwayError(Exception):
    """Something the person can fix; the message is written for them."""


class NotAllowed(HeadwayError):
    pass


class NotFound(HeadwayError):
    pass


class InvalidInput(HeadwayError):
    """Field-level problems, keyed by field name, for inline modal errors."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors

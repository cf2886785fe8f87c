"""One validation for every external payload (the measurements API, Alertmanager, and any webhook added later).

Declare the payload as a pydantic model with these field types, then in the endpoint (after authentication):

    parsed = parse_payload(MyWebhook, await request.body())
    if isinstance(parsed, Response):
        return parsed          # 400 not JSON, or 422 {"error": ..., "detail": {"field.path": "what is wrong"}}

- `Text(n)`: a string of at most n characters without NUL or other control characters (tab and newlines stay)
  or lone surrogates — people never mean them and PostgreSQL cannot store NUL.
- `Moment`: an ISO 8601 string with a time zone, in UTC, between 1970 and 2200 (not a number, not naive).
- `Labels(n)`: a string → string map of at most n entries, keys and values `Text`.
Lists are bounded with `Field(max_length=…)`. A failure names the field, never a 5xx; the body's size was already
bounded by bot/body_limit.py before it was read.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints, TypeAdapter, ValidationError
from starlette.responses import JSONResponse, Response

T = TypeVar("T")

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _printable(value: str) -> str:
    found = _CONTROL.search(value)
    if found is not None:
        what = "NUL" if found.group() == "\x00" else f"control character U+{ord(found.group()):04X}"
        raise ValueError(f"must be text without {what} (at character {found.start()})")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - used like a type
    """A bounded string without control characters (see the module docstring)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(_printable)]


def _iso_text(value: Any) -> Any:
    """pydantic alone would also take a number as Unix seconds; the documents say an ISO 8601 string."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string with a time zone, e.g. 2026-11-24T10:00:00Z")
    return value


def _in_range(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone, e.g. 2026-11-24T10:00:00Z")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is no date in UTC
        raise ValueError(f"must be between {EARLIEST:%Y} and {LATEST:%Y}") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y} and {LATEST:%Y}")
    return utc


Moment = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_range),
                   Field(json_schema_extra={"format": "date-time"})]


def Labels(max_items: int, max_key: int = 200, max_value: int = 10_000) -> Any:  # noqa: N802 - used like a type
    return Annotated[dict[Text(max_key, 1), Text(max_value)], Field(max_length=max_items)]


class NotJson(ValueError):
    """A body that is not JSON text: a 400 saying why, never a 500."""


def json_body(raw: bytes) -> Any:
    """The body as JSON. Bytes that are not text, numbers too long for Python and nesting too deep for its parser
    are as unreadable as a syntax error."""
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError as error:
        raise NotJson(f"The body is not JSON: {error.msg} at position {error.pos}.") from None
    except UnicodeDecodeError as error:
        raise NotJson(f"The body is not UTF-8 text: byte {error.start} is invalid.") from None
    except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits
        raise NotJson("The body is not JSON Headway can read: a number has too many digits.") from None
    except RecursionError:
        raise NotJson("The body is not JSON Headway can read: it nests too deeply.") from None


def problems(error: ValidationError) -> dict[str, str]:
    """{"alerts.0.startsAt": "needs a time zone…"}: each failing field by its path in the body."""
    found = {}
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"] if "[" not in str(part))  # not "function-after[…]"
        found[loc or "body"] = item["msg"].removeprefix("Value error, ")
    return found


def error_response(status: int, error: str, detail: Any = None, **headers: str) -> JSONResponse:
    """Every API refusal has this shape (ErrorOut in the OpenAPI document)."""
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers or None)


def parse_payload(model: type[T] | TypeAdapter[T], raw: bytes, *, error: str = "invalid_payload") -> T | Response:
    """The body validated as `model` (a pydantic model or TypeAdapter), or the 400/422 response to send."""
    try:
        data = json_body(raw)
    except NotJson as unreadable:
        return error_response(400, "invalid_json", str(unreadable))
    return validate_payload(model, data, error=error)


def validate_payload(model: type[T] | TypeAdapter[T], data: Any, *, error: str = "invalid_payload") -> T | Response:
    """`parse_payload` for a body already decoded (to pick the model by its shape first), or the 422 to send."""
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    try:
        return adapter.validate_python(data)
    except ValidationError as invalid:
        return error_response(422, error, problems(invalid))


__all__ = ["BaseModel", "Labels", "Moment", "NotJson", "Text", "error_response", "json_body", "parse_payload",
           "problems", "validate_payload"]

"""Bearer tokens on Headway's API routes, checked before the body is read: a stranger's bytes are never parsed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.app import Headway
from bot.experiments import tokens
from bot.models import Project
from bot.validation import error_response


async def authenticated_project(hw: Headway, request: Request, *, how: str) -> Project | Response:
    """The project of the request's live `Authorization: Bearer hwp_…` token, or the 401 to send. `how` tells the
    caller where to put the token (it is the detail of a missing_token refusal)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return error_response(401, "missing_token", how, **{"WWW-Authenticate": "Bearer"})
    async with hw.db.unit_of_work() as session:
        found = await tokens.authenticate(session, header[7:].strip())
    if found is None:
        return error_response(401, "invalid_token", "This token is unknown or revoked.",
                              **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return found[1]

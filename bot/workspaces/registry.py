"""Which Grid organization a workspace belongs to, read once per process: every Slack call of an "Add to Slack"
deployment needs it (to find an org-wide installation), so it is not read from the database per call."""

from __future__ import annotations

from bot.db import Database
from bot.workspaces import service

_UNKNOWN = object()


class OrganizationCache:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._known: dict[str, str | None] = {}

    async def enterprise_of(self, team_id: str) -> str | None:
        found = self._known.get(team_id, _UNKNOWN)
        if found is _UNKNOWN:
            async with self._db.unit_of_work() as session:
                found = await service.enterprise_of(session, team_id)
            if found is not None:
                self._known[team_id] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    async def note(self, team_id: str, enterprise_id: str | None) -> None:
        """A request from `team_id` (of organization `enterprise_id`) that an installation answers: written once,
        then only remembered."""
        if team_id in self._known and self._known[team_id] == enterprise_id:
            return
        async with self._db.unit_of_work() as session:
            await service.note(session, team_id, enterprise_id, served=True)
        self._known[team_id] = enterprise_id

    def forget(self, team_id: str) -> None:
        self._known.pop(team_id, None)

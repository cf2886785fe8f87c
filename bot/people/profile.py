"""What Headway needs to know about a Slack user, as plain data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import NotFound


class UnknownUser(NotFound):
    """Slack has no such user (or will not show them to Headway): a forged or stale id, a removed account."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"Slack does not know the user {user_id}; pick them again.")
        self.user_id = user_id


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    real_name: str
    tz: str
    is_slack_admin: bool = False
    is_bot: bool = False
    deleted: bool = False
    status: Status | None = None  # None: Slack did not say (not read yet)


@dataclass(frozen=True)
class Status:
    """A person's Slack status as their profile shows it; `expiration` is Unix time, 0 when it does not expire."""

    text: str = ""
    emoji: str = ""
    expiration: int = 0


ProfileLookup = Callable[[str], Awaitable[Profile]]

"""What Headway needs to know about a Slack user, as plain data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    real_name: str
    tz: str
    is_slack_admin: bool = False
    is_bot: bool = False
    deleted: bool = False


ProfileLookup = Callable[[str], Awaitable[Profile]]

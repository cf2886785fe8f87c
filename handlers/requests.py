"""Plain views of what Slack sent, so handler code reads fields instead of digging in dicts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class CommandRequest:
    team_id: str
    user_id: str
    channel_id: str
    command: str
    text: str
    args: tuple[str, ...]
    trigger_id: str
    response_url: str

    @classmethod
    def from_body(cls, body: dict[str, Any], args: tuple[str, ...]) -> CommandRequest:
        return cls(
            team_id=body.get("team_id", ""), user_id=body.get("user_id", ""), channel_id=body.get("channel_id", ""),
            command=body.get("command", ""), text=body.get("text", ""), args=args,
            trigger_id=body.get("trigger_id", ""), response_url=body.get("response_url", ""),
        )


def user_id_from(word: str) -> str | None:
    """A user mention as Slack escapes it in command text (<@U123|name>), or a bare user id."""
    match = _USER.match(word)
    if match:
        return match.group(1)
    if re.fullmatch(r"[UW][A-Z0-9]{2,}", word):
        return word
    return None

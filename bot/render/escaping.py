"""Escaping for the two languages our templates speak at once: JSON (Block Kit) and Slack mrkdwn."""

from __future__ import annotations

import json
import re

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TRAILING_COMMA = re.compile(r'("(?:[^"\\]|\\.)*")|,(\s*[\]}])')
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters: no `<!channel>`, `<@U…>` or `<http://…|…>` from user text."""
    return text.translate(_MRKDWN)


def mrkdwn_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def json_escape(text: str) -> str:
    """The inside of a JSON string literal (no surrounding quotes)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def strip_trailing_commas(document: str) -> str:
    """Let templates emit `item,` in loops: drop commas that close an array or object, outside strings."""
    return _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), document)


def is_user_id(value: str) -> bool:
    return bool(_USER_ID.match(value))


def is_channel_id(value: str) -> bool:
    return bool(_CHANNEL_ID.match(value))

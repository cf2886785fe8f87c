"""Escaping for the two languages our templates speak at once: JSON (Block Kit) and Slack mrkdwn."""

from __future__ import annotations

import json
import re

_TRAILING_COMMA = re.compile(r",(?=\s*[\]}])")
_JOINT, _BACKSLASH, _QUOTE = "\x00", "\x01", "\x02"  # raw control characters: never in a document that parses
_MARKS = (_JOINT, _BACKSLASH, _QUOTE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters: no `<!channel>`, `<@U…>` or `<http://…|…>` from user text.

    Three `replace`s (`&` first), not `str.translate`, which maps character by character through a dict (15× slower
    on a 3,000-character answer)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit_mrkdwn(text: str, limit: int) -> str:
    """User text as Slack will count it: escaped first, then cut to `limit` without splitting an `&amp;`."""
    return cut(mrkdwn_escape(text), limit, escaped=True)


def cut(text: str, limit: int, *, escaped: bool = False, ellipsis: str = "…") -> str:
    """At most `limit` characters, cut at a word boundary where one is near, ending in an ellipsis.

    With `escaped`, the text is mrkdwn as sent: an entity (`&amp;`) or a token we built (`<@U1>`, `<url|label>`)
    is kept whole or dropped whole, never split.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[:limit] if limit > 0 else ""
    kept = text[: limit - len(ellipsis)]
    space = kept.rfind(" ")
    if space > limit // 2:
        kept = kept[:space]
    if escaped:
        kept = _whole_tokens(kept)
    while kept and kept[-1] in " ,.:;\n" and not (escaped and _ENDS_WITH_ENTITY.search(kept)):
        kept = kept[:-1]
    return kept + ellipsis


_ENDS_WITH_ENTITY = re.compile(r"&(?:amp|lt|gt);$")


def _whole_tokens(kept: str) -> str:
    """Drop a trailing half entity (`&am`) or half token (`<https://…`) left by a cut."""
    amp = kept.rfind("&")
    if amp != -1 and ";" not in kept[amp:]:
        kept = kept[:amp]
    opening = kept.rfind("<")
    if opening != -1 and ">" not in kept[opening:]:
        kept = kept[:opening]
    return kept


_MARKDOWN = str.maketrans({"|": "\\|", "<": "&lt;", ">": "&gt;", "\n": " ", "\r": " ", "`": "'"})


def markdown_escape(text: str) -> str:
    """User text inside a Markdown document (report files): one line, no table breaks, no HTML, no code spans."""
    return text.translate(_MARKDOWN)


def mrkdwn_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def json_escape(text: str) -> str:
    """The inside of a JSON string literal (no surrounding quotes)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def strip_trailing_commas(document: str) -> str:
    """Let templates emit `item,` in loops: drop commas that close an array or object, outside strings.

    Every step runs in C, with no Python call per string or per comma (a callback per string literal cost 280 µs
    on the project form, this 120, issue 25). Escaped backslashes and quotes are set aside as
    control characters, which valid JSON never holds raw; the document is then cut at its quotes, the commas go
    from the text between strings (joined by a NUL), and everything goes back as it was."""
    if any(mark in document for mark in _MARKS):  # invalid JSON anyway: left for the parser to point at
        return document
    parts = document.replace("\\\\", _BACKSLASH).replace('\\"', _QUOTE).split('"')  # [between, inside, …]
    parts[0::2] = _TRAILING_COMMA.sub("", _JOINT.join(parts[0::2])).split(_JOINT)
    return '"'.join(parts).replace(_QUOTE, '\\"').replace(_BACKSLASH, "\\\\")


def is_user_id(value: str) -> bool:
    return bool(_USER_ID.match(value))


def is_channel_id(value: str) -> bool:
    return bool(_CHANNEL_ID.match(value))

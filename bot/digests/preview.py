"""`headway digest preview`: the digest one person would receive, as terminal text, Block Kit JSON or HTML.

The same `build_digest` and the same decisions (`Headway.decisions_for`) as the weekly job, read straight
from DATABASE_URL: no Slack token and no Slack call. The one thing a preview leaves out is the trend chart,
which the job uploads to Slack when it sends the exec digest: text and HTML show where it goes (HTML embeds
the PNG itself), the JSON payload is the message as queued before that upload.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import select

from bot.app import build_headway
from bot.config import Settings
from bot.db import Database
from bot.digests.compose import Digest
from bot.digests.service import build_digest, render_digest
from bot.migrate import SchemaOutdated, ensure_current
from bot.models import DigestKind, Person, Workspace
from bot.render import Message
from bot.render.escaping import mrkdwn_unescape
from bot.slack_emulator.terminal import mrkdwn_to_text, render_message
from bot.standups.schedule import zone

PREVIEW_FILE_ID = "F0PREVIEW"  # stands in for the chart's file id, which only exists once uploaded
CHART_NOTE = "The 8-week trend chart is uploaded and attached when the digest is sent."


class PreviewError(Exception):
    """Something to say in one line (no such workspace, schema not migrated)."""


@dataclass(frozen=True)
class Preview:
    digest: Digest
    message: Message  # exactly what the job queues, before the chart is uploaded
    shown: Message  # `message` with the chart's image block where the sent digest has it
    users: dict[str, str]  # user id → name, for readable mentions
    reader_known: bool
    chart_alt: str | None  # the chart's alt text when the sent digest carries one


async def check_schema(db: Database) -> None:
    """As `headway serve` does: an SQLite file that does not exist is not created by looking at it."""
    database = db.engine.url.database
    if db.dialect == "sqlite" and database and not os.path.exists(database):  # noqa: ASYNC240 (a stat)
        raise SchemaOutdated(f"there is no database at {database} yet: run `headway migrate` first")
    await ensure_current(db.engine)


async def build_preview(settings: Settings, team_id: str, user_id: str, kind: DigestKind,
                        on: date | None = None) -> Preview:
    """The digest `user_id` would get, as of `on` (default: today in their time zone)."""
    hw = build_headway(settings)
    try:
        await check_schema(hw.db)
        async with hw.db.unit_of_work() as session:
            if await session.get(Workspace, team_id) is None:
                raise PreviewError(f"there is no workspace {team_id} in this database")
            people = (await session.exec(select(Person).where(Person.team_id == team_id))).all()
            reader = next((p for p in people if p.user_id == user_id), None)
            today = on or hw.clock.now().astimezone(zone(reader.tz if reader else "UTC")).date()
            digest, message = await build_digest(
                session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), team_id, user_id, kind, today,
                await hw.decisions_for(session, team_id, user_id), tz=reader.tz if reader else "UTC")
    finally:
        await hw.close()
    chart_alt = None
    shown = message
    if kind == DigestKind.EXEC:
        from bot.digests.charts import alt_text

        chart_alt = alt_text(digest.shown)
        if chart_alt:
            shown = render_digest(hw.renderer, digest, kind, {"file_id": PREVIEW_FILE_ID, "alt_text": chart_alt})
    return Preview(digest=digest, message=message, shown=shown,
                   users={p.user_id: p.real_name or p.name or p.user_id for p in people},
                   reader_known=reader is not None, chart_alt=chart_alt)


# ---------------------------------------------------------------- the three formats


def as_text(preview: Preview, width: int = 80) -> str:
    text = render_message(preview.shown.blocks, preview.shown.text, users=preview.users, width=width)
    return text + (f"\n\n({CHART_NOTE})" if preview.chart_alt else "") + "\n"


def as_blocks(preview: Preview) -> str:
    return json.dumps({"text": preview.message.text, "blocks": preview.message.blocks}, ensure_ascii=False,
                      indent=2) + "\n"


def as_html(preview: Preview, chart_png: bytes | None = None) -> str:
    """A small standalone page; `chart_png` (the chart the job would upload) is embedded inline."""
    body = "\n".join(block_html(b, preview.users, chart_png) for b in preview.shown.blocks) or (
        f"<p>{mrkdwn_to_html(preview.shown.text, preview.users)}</p>")
    title = html.escape(mrkdwn_to_text(preview.shown.text, preview.users))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 15px/1.46 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1c1d; background: #f8f8f8;
       margin: 0; padding: 24px; }}
main {{ max-width: 760px; margin: auto; background: #fff; border: 1px solid #ddd; border-radius: 8px;
       padding: 16px 20px; }}
h1 {{ font-size: 18px; margin: 4px 0 8px; }}
.section {{ margin: 6px 0; }}
.fields {{ display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; }}
.context {{ color: #616061; font-size: 12px; margin: 4px 0; }}
.actions {{ margin: 6px 0; display: flex; gap: 8px; flex-wrap: wrap; }}
.button {{ border: 1px solid #bbb; border-radius: 4px; background: #fff; padding: 3px 12px; font: inherit;
           font-weight: 600; }}
.button.primary {{ background: #007a5a; border-color: #007a5a; color: #fff; }}
.button.danger {{ background: #e01e5a; border-color: #e01e5a; color: #fff; }}
code {{ background: #f3f3f3; border: 1px solid #e4e4e4; border-radius: 3px; padding: 0 3px; font-size: 12px; }}
pre {{ background: #f8f8f8; border: 1px solid #e4e4e4; border-radius: 4px; padding: 8px; white-space: pre-wrap; }}
.mention {{ background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }}
figure {{ margin: 8px 0; }} figure img {{ max-width: 100%; border: 1px solid #eee; border-radius: 4px; }}
figcaption, .placeholder {{ color: #616061; font-size: 12px; }}
.placeholder {{ border: 1px dashed #bbb; border-radius: 4px; padding: 16px; text-align: center; }}
hr {{ border: 0; border-top: 1px solid #e4e4e4; margin: 10px 0; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


# ---------------------------------------------------------------- Block Kit → HTML

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_CODE_BLOCK = re.compile(r"```(.+?)```", re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_STYLES = (  # Slack's *bold*, _italics_ and ~strike~: a marker that hugs the text, not inside a word
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "del"),
)
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_TOKEN = re.compile(r"\x00(\d+)\x00")
EMOJI = {
    "white_circle": "⚪", "large_green_circle": "🟢", "large_yellow_circle": "🟡", "large_orange_circle": "🟠",
    "red_circle": "🔴", "rocket": "🚀", "trophy": "🏆", "ballot_box_with_ballot": "🗳️", "warning": "⚠️",
    "white_check_mark": "✅", "x": "❌", "hourglass": "⌛", "tada": "🎉", "newspaper": "📰", "mute": "🔇",
    "rotating_light": "🚨", "chart_with_upwards_trend": "📈", "calendar": "📅", "bulb": "💡", "grey_question": "❔",
}


def _escape(text: str) -> str:
    """Slack's &amp; &lt; &gt; back to characters, then escaped for HTML."""
    return html.escape(mrkdwn_unescape(text), quote=True)


def mrkdwn_to_html(text: str, users: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn as HTML: code, links and mentions, bold/italics/strike, emoji and line breaks."""
    users = users or {}
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"\x00{len(kept) - 1}\x00"

    text = text.replace("\x00", "")
    text = _CODE_BLOCK.sub(lambda m: keep(f"<pre>{_escape(m.group(1).strip(chr(10)))}</pre>"), text)
    text = _CODE.sub(lambda m: keep(f"<code>{_escape(m.group(1))}</code>"), text)
    text = _LINK.sub(lambda m: keep(_link(m.group(1), m.group(2), users)), text)
    text = _escape(text)
    for pattern, tag in _STYLES:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    text = text.replace("\n", "<br>\n")
    return _TOKEN.sub(lambda m: kept[int(m.group(1))], text)


def _link(target: str, label: str | None, users: Mapping[str, str]) -> str:
    if target.startswith("@"):
        return f'<span class="mention">@{_escape(label or users.get(target[1:], target[1:]))}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{_escape(label or target[1:])}</span>'
    if target.startswith("!subteam^"):
        return f'<span class="mention">{_escape(label or "@team")}</span>'
    if target.startswith("!date^"):
        return _escape(label or target)
    if target.startswith("!"):
        return f'<span class="mention">@{_escape(target[1:])}</span>'
    url = mrkdwn_unescape(target)
    if not url.lower().startswith(("https://", "http://", "mailto:")):
        return _escape(label or target)
    return f'<a href="{html.escape(url, quote=True)}">{_escape(label or target)}</a>'


def _text_html(obj: Any, users: Mapping[str, str]) -> str:
    if isinstance(obj, str):
        return mrkdwn_to_html(obj, users)
    if not isinstance(obj, dict):
        return ""
    raw = str(obj.get("text", ""))
    return mrkdwn_to_html(raw, users) if obj.get("type") == "mrkdwn" else _escape(raw)


def _element_html(element: Any, users: Mapping[str, str]) -> str:
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "button":
        style = element.get("style")
        css = f"button {style}" if style in ("primary", "danger") else "button"
        return f'<button type="button" class="{css}" disabled>{_text_html(element.get("text"), users)}</button>'
    if kind == "image":
        url = str(element.get("image_url") or "")
        alt = html.escape(str(element.get("alt_text", "")), quote=True)
        if url.startswith(("https://", "http://")):
            return f'<img src="{html.escape(url, quote=True)}" alt="{alt}" width="20" height="20">'
        return f"[{alt}]"
    if kind in ("plain_text", "mrkdwn"):
        return _text_html(element, users)
    return html.escape(render_message([{"type": "actions", "elements": [element]}], users=users))


def block_html(block: dict[str, Any], users: Mapping[str, str], chart_png: bytes | None = None) -> str:
    kind = block.get("type")
    if kind == "header":
        return f"<h1>{_text_html(block.get('text'), users)}</h1>"
    if kind == "divider":
        return "<hr>"
    if kind == "section":
        parts = [_text_html(block["text"], users)] if block.get("text") else []
        if block.get("fields"):
            cells = "".join(f"<div>{_text_html(f, users)}</div>" for f in block["fields"])
            parts.append(f'<div class="fields">{cells}</div>')
        if isinstance(block.get("accessory"), dict):
            parts.append(_element_html(block["accessory"], users))
        return f'<div class="section">{"".join(parts)}</div>'
    if kind == "context":
        inner = " ".join(_element_html(e, users) for e in block.get("elements") or [])
        return f'<div class="context">{inner}</div>'
    if kind == "actions":
        inner = "".join(_element_html(e, users) for e in block.get("elements") or [])
        return f'<div class="actions">{inner}</div>'
    if kind == "image":
        alt = str(block.get("alt_text", ""))
        caption = _text_html(block.get("title"), users) if block.get("title") else ""
        file_id = (block.get("slack_file") or {}).get("id")
        if file_id == PREVIEW_FILE_ID:
            note = "shown inline here; uploaded and attached when the digest is sent"
            caption = f"{caption} · {note}" if caption else html.escape(CHART_NOTE)
            if chart_png is None:
                return (f'<figure><div class="placeholder">{html.escape(alt)}</div>'
                        f"<figcaption>{caption}</figcaption></figure>")
            src = "data:image/png;base64," + base64.b64encode(chart_png).decode("ascii")
        else:
            src = str(block.get("image_url") or (block.get("slack_file") or {}).get("url") or "")
            if not src.startswith(("https://", "http://")):
                return f'<figure><div class="placeholder">{html.escape(alt)}</div></figure>'
        return (f'<figure><img src="{html.escape(src, quote=True)}" alt="{html.escape(alt, quote=True)}">'
                f"<figcaption>{caption}</figcaption></figure>")
    text = render_message([block], users=users)  # rich_text and anything else: readable, escaped
    return f'<div class="section">{html.escape(text).replace(chr(10), "<br>")}</div>'

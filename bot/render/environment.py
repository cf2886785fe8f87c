"""The one Jinja environment: templates that render Block Kit JSON with user text escaped by default.

Every `{{ value }}` is escaped for mrkdwn *and* for the JSON string it sits in. User text is cut with
`truncate_words(N)`: escaped first, then cut so it is at most N characters as Slack counts them (an `&amp;` is
five, never split). Filters that need something else say so: `plain` / `plain(N)` (plain_text fields and input
initial values: JSON only, cut to N),
`tojson` (whole JSON values such as ids and lists), `user`/`channel`/`link` (trusted mrkdwn we build).
Macro output is Markup (already escaped); avoid `~` between Markup and plain strings in templates:
Jinja would HTML-escape the plain side. Templates in HEADWAY_TEMPLATES_DIR override the built-in ones by name.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup

from bot.render import formatting
from bot.render.escaping import (
    cut,
    fit_mrkdwn,
    is_channel_id,
    is_user_id,
    json_escape,
    markdown_escape,
    mrkdwn_escape,
    strip_trailing_commas,
)
from bot.render.limits import clamp_message, clamp_view
from bot.resources import templates_dir


class TemplateOutputError(ValueError):
    """A template rendered something that is not valid JSON: a bug in the template, named here."""


@dataclass(frozen=True)
class Message:
    """A chat message ready to send: fallback text plus Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def _finalize(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    if isinstance(value, bool):
        return Markup("true" if value else "false")
    if isinstance(value, int | float):
        return Markup(str(value))
    return Markup(json_escape(mrkdwn_escape(str(value))))


def _plain(value: Any, limit: int | None = None) -> Markup:
    """Plain text (plain_text fields, input values): JSON-escaped only, cut to `limit` characters when given."""
    text = "" if value is None else str(value)
    return Markup(json_escape(cut(text, limit) if limit is not None else text))


def _tojson(value: Any) -> Markup:
    return Markup(json.dumps(value, ensure_ascii=False, default=str))


def _user(user_id: str | None) -> Markup:
    return Markup(f"<@{user_id}>") if user_id and is_user_id(user_id) else Markup("someone")


def _channel(channel_id: str | None) -> Markup:
    return Markup(f"<#{channel_id}>") if channel_id and is_channel_id(channel_id) else Markup("")


def _link(url: str | None, label: Any) -> Markup:
    label_text = json_escape(mrkdwn_escape(str(label)).replace("|", "¦"))
    if not url or not url.startswith(("https://", "http://")) or any(c in url for c in "<>| \n"):
        return Markup(label_text)
    return Markup(f"<{json_escape(mrkdwn_escape(url))}|{label_text}>")


def _truncate(value: Any, limit: int) -> Markup:
    """User text for mrkdwn, escaped first and then cut so that it is at most `limit` characters as Slack counts
    them (`&amp;` is five); returned as Markup so nothing escapes it again."""
    if isinstance(value, Markup):
        return Markup(json_escape(cut(json.loads(f'"{value}"'), limit, escaped=True)))
    return Markup(json_escape(fit_mrkdwn("" if value is None else str(value), limit)))


class _TemplateCodeCache(FileSystemBytecodeCache):
    """Compiled templates kept for the process and on disk (Jinja's own per-user cache directory in the temp dir):
    a Renderer built after the first (each test's server) and a new process (`headway demo`, the CLI) load them
    instead of compiling ~100 templates again. Jinja keys a bucket by the template's file name and a checksum of
    its source, so an override or an edited template is compiled afresh."""

    def __init__(self, kind: str) -> None:
        # One cache per kind of environment: the compiled code depends on its options (escaping, finalize), not
        # only on the template's source, so messages and Markdown documents never share compiled templates.
        super().__init__(pattern=f"__headway_{kind}_%s.cache")
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is None:
            super().load_bytecode(bucket)
            if bucket.code is not None:
                self._code[bucket.key] = bucket.bytecode_to_string()
        else:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()
        with contextlib.suppress(OSError):  # a read-only or full temp dir only costs the next process a compile
            super().dump_bytecode(bucket)


_BYTECODE = _TemplateCodeCache("blocks")
_DOCUMENT_BYTECODE = _TemplateCodeCache("markdown")


def _markdown_finalize(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return markdown_escape(str(value))


class Renderer:
    def __init__(self, override_dir: Path | None = None) -> None:
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        loaders.append(FileSystemLoader(str(templates_dir())))
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            finalize=_finalize,
            autoescape=True,  # with _finalize: every output is mrkdwn+JSON escaped unless already Markup
            trim_blocks=True,
            lstrip_blocks=True,
            bytecode_cache=_BYTECODE,
        )
        self.env.filters.update(
            plain=_plain,
            tojson=_tojson,
            user=_user,
            channel=_channel,
            link=_link,
            truncate_words=_truncate,
            number=formatting.number,
            count=formatting.count,
            percent=formatting.percent,
            money=formatting.money,
            month_year=formatting.month_year,
            day=formatting.day,
            ago=formatting.ago,
            sparkline=formatting.sparkline,
            bar=formatting.progress_bar,
        )
        self._documents: Environment | None = None

    def render_json(self, template: str, /, **context: Any) -> Any:
        name = template
        output = self.env.get_template(template).render(**context)
        try:
            return json.loads(strip_trailing_commas(output))
        except json.JSONDecodeError as exc:
            lines = output.splitlines()
            line = lines[exc.lineno - 1] if exc.lineno <= len(lines) else ""
            problem = f"{name} rendered invalid JSON at line {exc.lineno}: {exc.msg}: {line!r}"
            raise TemplateOutputError(problem) from None

    def message(self, template: str, /, **context: Any) -> Message:
        data = clamp_message(self.render_json(template, **context), template)
        return Message(text=data.get("text", ""), blocks=data.get("blocks", []))

    def document(self, template: str, /, **context: Any) -> str:
        """A Markdown document (a report file): the same environment, overlaid so that values are escaped for
        Markdown (`markdown_escape`) instead of mrkdwn and JSON."""
        if self._documents is None:
            self._documents = self.env.overlay(autoescape=False, finalize=_markdown_finalize,
                                               bytecode_cache=_DOCUMENT_BYTECODE)
        return self._documents.get_template(template).render(**context)

    def view(self, template: str, /, **context: Any) -> dict[str, Any]:
        return clamp_view(self.render_json(template, **context), template)

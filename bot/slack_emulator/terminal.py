"""Render Block Kit as plain terminal text, so `headway demo` can show what people see.

No JSON: headers are underlined, buttons look like `[ Label ]`, inputs like
`Label: ______ (hint)`, and Slack's mrkdwn escapes/mentions become readable.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

DIM, RESET = "\033[2m", "\033[0m"
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def mrkdwn_to_text(text: str, users: Mapping[str, str] | None = None) -> str:
    """Light mrkdwn conversion: mentions, links and HTML escapes; *bold* stays as is."""
    users = users or {}

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (label or users.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label or "@team"
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return "@" + target[1:]
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_LINK.sub(replace, text))


def _text(obj: Any, users: Mapping[str, str] | None) -> str:
    if isinstance(obj, str):
        return mrkdwn_to_text(obj, users)
    if not isinstance(obj, dict):
        return ""
    raw = str(obj.get("text", ""))
    return mrkdwn_to_text(raw, users) if obj.get("type") == "mrkdwn" else html.unescape(raw)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(textwrap.wrap(paragraph, width, initial_indent=indent, subsequent_indent=indent) or [indent])
    return lines


def _option_label(option: Any, users: Mapping[str, str] | None) -> str:
    return _text(option.get("text"), users) if isinstance(option, dict) else ""


def render_element(element: dict[str, Any], users: Mapping[str, str] | None = None) -> str:
    """One interactive element as a compact widget."""
    kind = element.get("type", "")
    placeholder = _text(element.get("placeholder"), users)
    if kind == "button":
        return f"[ {_text(element.get('text'), users)} ]"
    if kind == "overflow":
        return "[ … ]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("static_select", "external_select", "radio_buttons"):
        chosen = _option_label(element.get("initial_option"), users)
        if kind == "radio_buttons":
            return " ".join(
                ("(•) " if o == element.get("initial_option") else "( ) ") + _option_label(o, users)
                for o in element.get("options", [])
            )
        return f"[ {chosen or placeholder or 'Select'} ▾ ]"
    if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        chosen_values = {o.get("value") for o in element.get("initial_options") or []}
        if kind == "checkboxes":
            return " ".join(
                ("[x] " if o.get("value") in chosen_values else "[ ] ") + _option_label(o, users)
                for o in element.get("options", [])
            )
        labels = [_option_label(o, users) for o in element.get("initial_options") or []]
        return f"[ {', '.join(labels) or placeholder or 'Select'} ▾ ]"
    if kind in ("users_select", "multi_users_select"):
        chosen = element.get("initial_users") or [element.get("initial_user")]
        names = ["@" + (users or {}).get(u, u) for u in chosen if u]
        return f"[ {', '.join(names) or placeholder or 'Select a person'} ▾ ]"
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        initial = element.get("initial_date") or element.get("initial_time") or element.get("initial_date_time")
        return f"[ {initial or placeholder or kind.removesuffix('picker')} ]"
    initial = element.get("initial_value")
    return str(initial) if initial not in (None, "") else "______"


def render_block(block: dict[str, Any], users: Mapping[str, str] | None, width: int, color: bool) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"), users)
        return [title, "=" * min(width, max(len(title), 1))]
    if kind == "divider":
        return ["─" * width]
    if kind == "section":
        lines = _wrap(_text(block.get("text"), users), width) if block.get("text") else []
        fields = [_text(f, users) for f in block.get("fields") or []]
        column = (width - 3) // 2
        for left, right in zip(fields[::2], fields[1::2] + [""], strict=False):
            if "\n" in left + right or len(left) > column or len(right) > column:
                lines.extend(_wrap(left, width) + (_wrap(right, width) if right else []))
            else:
                lines.append(f"{left:<{column}}   {right}".rstrip())
        if isinstance(block.get("accessory"), dict):
            lines.append(render_element(block["accessory"], users))
        return lines
    if kind == "context":
        parts = [render_element(e) if e.get("type") == "image" else _text(e, users) for e in block.get("elements", [])]
        text = "  ".join(p for p in parts if p)
        return [f"{DIM}{line}{RESET}" if color else line for line in _wrap(f"({text})", width)]
    if kind == "actions":
        return _wrap("  ".join(render_element(e, users) for e in block.get("elements", [])), width)
    if kind == "input":
        label = _text(block.get("label"), users) + ("" if not block.get("optional") else " (optional)")
        element = block.get("element") or {}
        hint = _text(block.get("hint"), users)
        line = f"{label}: {render_element(element, users)}"
        if hint:
            line += f" ({hint})"
        return _wrap(line, width)
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return _wrap(_rich_text(block.get("elements", []), users), width)
    return [f"[{kind}]"]


def _rich_text(elements: Iterable[Any], users: Mapping[str, str] | None) -> str:
    out = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        if element.get("type") == "text":
            out.append(str(element.get("text", "")))
        elif element.get("type") == "user":
            out.append("@" + (users or {}).get(element.get("user_id", ""), element.get("user_id", "")))
        elif element.get("type") == "link":
            out.append(str(element.get("text") or element.get("url", "")))
        elif "elements" in element:
            out.append(_rich_text(element["elements"], users))
    return "".join(out)


def render_message(
    blocks: list[dict[str, Any]] | None,
    text: str | None = None,
    *,
    users: Mapping[str, str] | None = None,
    width: int = 72,
    color: bool = False,
) -> str:
    """A message as terminal text; falls back to `text` when there are no blocks."""
    if not blocks:
        return "\n".join(_wrap(mrkdwn_to_text(text or "", users), width))
    lines: list[str] = []
    for block in blocks:
        lines.extend(render_block(block, users, width, color))
    return "\n".join(lines)


def render_view(
    view: dict[str, Any], *, users: Mapping[str, str] | None = None, width: int = 72, color: bool = False
) -> str:
    """A modal or App Home as a framed terminal box with its buttons at the bottom."""
    title = _text(view.get("title"), users) or ("Home" if view.get("type") == "home" else "Modal")
    rule = "+" + "-" * (width - 2) + "+"
    lines = [rule, f"| {title:<{width - 4}} |", rule]
    lines.append(render_message(view.get("blocks"), users=users, width=width, color=color))
    buttons = []
    if view.get("type") == "modal":
        buttons.append(f"[ {_text(view.get('close'), users) or 'Cancel'} ]")
        if view.get("submit"):
            buttons.append(f"[ {_text(view.get('submit'), users)} ]")
        lines.extend([rule, " " * max(0, width - len("  ".join(buttons))) + "  ".join(buttons)])
    return "\n".join(lines)


def render_channel(
    messages: list[dict[str, Any]], *, users: Mapping[str, str] | None = None, width: int = 72, color: bool = False
) -> str:
    """A transcript: author line, then the rendered message (threads indented)."""
    out: list[str] = []
    for message in messages:
        author = (users or {}).get(message.get("user", ""), message.get("user", "?"))
        reply = message.get("thread_ts") not in (None, message.get("ts"))
        indent = "    " if reply else ""
        out.append(f"{indent}{author}:")
        body = render_message(
            message.get("blocks"), message.get("text"), users=users, width=width - len(indent), color=color
        )
        out.extend(indent + "  " + line for line in body.split("\n"))
        for file in message.get("files") or []:
            out.append(f"{indent}  [file: {file.get('title') or file.get('name')}]")
    return "\n".join(out)

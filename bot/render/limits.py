"""Block Kit's length and count limits, enforced on rendered output as a last safety net.

Templates cut user text with `truncate_words`/`plain(N)` (bot.render.escaping), but a section composes several
values plus our own words, so its total can still pass Slack's limit; Slack would then refuse the whole message.
Here every text is clamped to the limit as sent (mrkdwn entities and `<…>` tokens kept whole) and a warning is
logged naming the template, so the template can be fixed while the message still goes out.
Limits: https://api.slack.com/reference/block-kit/blocks and /composition-objects.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.render.escaping import cut

log = logging.getLogger("headway.render")

SECTION_TEXT = 3000
SECTION_FIELD = 2000
CONTEXT_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
PLACEHOLDER = 150
LABEL = 2000
HINT = 2000
VIEW_TITLE = 24
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40000


class _Clamp:
    def __init__(self, where: str) -> None:
        self.where = where
        self.changed: list[str] = []

    def text(self, obj: Any, limit: int, pointer: str) -> None:
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or len(obj["text"]) <= limit:
            return
        obj["text"] = cut(obj["text"], limit, escaped=obj.get("type") == "mrkdwn")
        self.changed.append(pointer)

    def element(self, element: Any, pointer: str) -> None:
        if not isinstance(element, dict):
            return
        if element.get("type") == "button":
            self.text(element.get("text"), BUTTON_TEXT, f"{pointer}/text")
        self.text(element.get("placeholder"), PLACEHOLDER, f"{pointer}/placeholder")
        options = list(element.get("options") or []) + list(element.get("initial_options") or [])
        if isinstance(element.get("initial_option"), dict):
            options.append(element["initial_option"])
        for group in element.get("option_groups") or []:
            options.extend(group.get("options") or [] if isinstance(group, dict) else [])
        for index, option in enumerate(options):
            if isinstance(option, dict):
                self.text(option.get("text"), OPTION_TEXT, f"{pointer}/options/{index}/text")

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            return
        kind = block.get("type")
        if kind == "section":
            self.text(block.get("text"), SECTION_TEXT, f"{pointer}/text")
            for index, field in enumerate(block.get("fields") or []):
                self.text(field, SECTION_FIELD, f"{pointer}/fields/{index}")
            self.element(block.get("accessory"), f"{pointer}/accessory")
        elif kind == "header":
            self.text(block.get("text"), HEADER_TEXT, f"{pointer}/text")
        elif kind == "context":
            for index, element in enumerate(block.get("elements") or []):
                self.text(element, CONTEXT_TEXT, f"{pointer}/elements/{index}")
        elif kind == "actions":
            for index, element in enumerate(block.get("elements") or []):
                self.element(element, f"{pointer}/elements/{index}")
        elif kind == "input":
            self.text(block.get("label"), LABEL, f"{pointer}/label")
            self.text(block.get("hint"), HINT, f"{pointer}/hint")
            self.element(block.get("element"), f"{pointer}/element")

    def blocks(self, blocks: Any, limit: int, pointer: str) -> Any:
        if not isinstance(blocks, list):
            return blocks
        if len(blocks) > limit:
            dropped = len(blocks) - limit + 1
            blocks = blocks[: limit - 1] + [{"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"…and {dropped} more not shown here (Slack's limit is {limit} blocks)."}]}]
            self.changed.append(f"{pointer} (over {limit} blocks)")
        for index, block in enumerate(blocks):
            self.block(block, f"{pointer}/{index}")
        return blocks

    def report(self) -> None:
        if self.changed:
            log.warning("%s rendered past Slack's limits; clamped %s", self.where, ", ".join(self.changed[:10]))


def clamp_message(data: dict[str, Any], where: str) -> dict[str, Any]:
    """A rendered message ({"text", "blocks"}) within Slack's limits; changes are logged as a warning."""
    clamp = _Clamp(where)
    if isinstance(data.get("text"), str) and len(data["text"]) > MESSAGE_TEXT:
        data["text"] = cut(data["text"], MESSAGE_TEXT, escaped=True)
        clamp.changed.append("/text")
    if "blocks" in data:
        data["blocks"] = clamp.blocks(data["blocks"], MESSAGE_BLOCKS, "/blocks")
    clamp.report()
    return data


def clamp_view(view: dict[str, Any], where: str) -> dict[str, Any]:
    """A rendered modal or Home tab within Slack's limits; changes are logged as a warning."""
    clamp = _Clamp(where)
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            clamp.text(view.get(key), VIEW_TITLE, f"/{key}")
    if "blocks" in view:
        view["blocks"] = clamp.blocks(view["blocks"], VIEW_BLOCKS, "/blocks")
    clamp.report()
    return view

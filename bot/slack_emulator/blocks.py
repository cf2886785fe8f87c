"""Block Kit validation the way Slack's API rejects payloads.

slack_sdk's models already check many limits (lengths, counts, required
constructor arguments); we run them and only add what they miss: unknown
block/element types and keys, plain_text-only fields, empty texts, field
lengths, block_id/action_id uniqueness, per-surface block counts and modal rules.
Errors use Slack's wording style: ``[ERROR] <msg> [json-pointer:/blocks/0/text]``.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.blocks.basic_components import TextObject
from slack_sdk.models.blocks.block_elements import BlockElement, InputInteractiveElement
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_FIELD_MAX = 2000
# Lengths are counted on the JSON as sent, so an escaped `&amp;` is five characters (Slack counts what it receives).
TEXT_MAX = 3000  # text object: 1–3000 characters (docs.slack.dev/reference/block-kit/composition-objects/text-object)
# Option object: text ≤ 75, value ≤ 150, description ≤ 75
# (docs.slack.dev/reference/block-kit/composition-objects/option-object); option group label ≤ 75.
OPTION_TEXT_MAX, OPTION_VALUE_MAX, OPTION_DESCRIPTION_MAX = 75, 150, 75
# At most 10 options in radio buttons and checkboxes (block-elements/radio-button-group-element,
# block-elements/checkboxes-element); 100 options / 100 groups in a select menu (block-elements/select-menu-element).
MAX_OPTIONS = {"radio_buttons": 10, "checkboxes": 10}
MAX_SELECT_OPTIONS = 100
# Plain-text input: min_length 0–3000, max_length 1–3000 (block-elements/plain-text-input-element).
INPUT_LENGTH_MAX = 3000
_SDK_ERRORS = (SlackObjectFormationError, TypeError, KeyError, AttributeError, ValueError)
_OPTION_MRKDWN_OK = {"checkboxes", "radio_buttons"}


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


class _Checker:
    """Walks raw JSON and collects errors the sdk models would not raise."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(_err(message, pointer))

    def text(self, obj: Any, pointer: str, *, plain_only: bool = False, max_len: int | None = None) -> None:
        if not isinstance(obj, dict):
            self.fail("must be a text object", pointer)
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.fail("must be a valid enum value (plain_text, mrkdwn)", f"{pointer}/type")
        elif plain_only and kind != "plain_text":
            self.fail("must be a valid enum value (plain_text)", f"{pointer}/type")
        value = obj.get("text")
        max_len = TEXT_MAX if max_len is None else max_len
        if not isinstance(value, str) or not value:
            self.fail("must be more than 0 characters", f"{pointer}/text")
        elif len(value) > max_len:
            self.fail(f"must be less than {max_len + 1} characters", f"{pointer}/text")

    def unknown_keys(self, raw: dict, model: Any, pointer: str) -> None:
        allowed = set(getattr(model, "attributes", set())) | {"type"}
        for key in raw:
            if key not in allowed:
                self.fail(f"unsupported property `{key}`", f"{pointer}/{key}")

    def options(self, element: dict, pointer: str) -> None:
        plain_only = element.get("type") not in _OPTION_MRKDWN_OK
        groups = [(f"{pointer}/options", element.get("options"))]
        groups.append((f"{pointer}/initial_options", element.get("initial_options")))
        option_groups = element.get("option_groups") or []
        if isinstance(option_groups, list) and len(option_groups) > MAX_SELECT_OPTIONS:
            self.fail(f"no more than {MAX_SELECT_OPTIONS} items allowed", f"{pointer}/option_groups")
        for gi, group in enumerate(option_groups):
            if isinstance(group, dict):
                self.text(group.get("label"), f"{pointer}/option_groups/{gi}/label", plain_only=True,
                          max_len=OPTION_TEXT_MAX)
                groups.append((f"{pointer}/option_groups/{gi}/options", group.get("options")))
        if isinstance(element.get("initial_option"), dict):
            self.option(element["initial_option"], f"{pointer}/initial_option", plain_only)
        for base, options in groups:
            for oi, option in enumerate(options or []):
                self.option(option, f"{base}/{oi}", plain_only)
        most = MAX_OPTIONS.get(element.get("type", ""))
        options = element.get("options")
        if most is not None and isinstance(options, list) and len(options) > most:
            self.fail(f"no more than {most} items allowed", f"{pointer}/options")
        self.initial_among(element, pointer)

    def option(self, option: Any, pointer: str, plain_only: bool) -> None:
        if not isinstance(option, dict) or "value" not in option:
            self.fail("missing required field: value", pointer)
            return
        self.text(option.get("text"), f"{pointer}/text", plain_only=plain_only, max_len=OPTION_TEXT_MAX)
        if isinstance(option["value"], str) and len(option["value"]) > OPTION_VALUE_MAX:
            self.fail(f"must be less than {OPTION_VALUE_MAX + 1} characters", f"{pointer}/value")
        if "description" in option:
            self.text(option["description"], f"{pointer}/description", plain_only=plain_only,
                      max_len=OPTION_DESCRIPTION_MAX)

    def initial_among(self, element: dict, pointer: str) -> None:
        """initial_option / initial_options must exactly match options of the element (option-object docs:
        "must be an exact match to one of the options"); external selects have no options to match."""
        listed = [o for o in element.get("options") or [] if isinstance(o, dict)]
        for group in element.get("option_groups") or []:
            if isinstance(group, dict):
                listed += [o for o in group.get("options") or [] if isinstance(o, dict)]
        if not listed and element.get("type") not in ("static_select", "multi_static_select", "radio_buttons",
                                                     "checkboxes", "overflow"):
            return
        initial = element.get("initial_options") or []
        if isinstance(element.get("initial_option"), dict):
            initial = [element["initial_option"]]
        key = "initial_option" if "initial_option" in element else "initial_options"
        for option in initial if isinstance(initial, list) else []:
            if option not in listed:
                self.fail("must match one of the options", f"{pointer}/{key}")
                return

    def element(self, raw: Any, pointer: str, *, input_only: bool = False) -> str | None:
        """Check one block element; return its action_id (if any)."""
        if not isinstance(raw, dict) or "type" not in raw:
            self.fail("missing required field: type", pointer)
            return None
        try:
            model = BlockElement.parse(raw)
        except _SDK_ERRORS as exc:
            self.fail(str(exc), pointer)
            return None
        if model is None or isinstance(model, TextObject):
            self.fail(f"unknown element type `{raw['type']}`", f"{pointer}/type")
            return None
        if input_only and not isinstance(model, InputInteractiveElement):
            self.fail(f"element type `{raw['type']}` is not allowed in an input block", f"{pointer}/type")
        self.unknown_keys(raw, model, pointer)
        if raw["type"] == "button":
            self.text(raw.get("text"), f"{pointer}/text", plain_only=True)
        if "placeholder" in raw:
            self.text(raw["placeholder"], f"{pointer}/placeholder", plain_only=True)
        if isinstance(raw.get("confirm"), dict):
            for key in ("title", "confirm", "deny"):
                if key in raw["confirm"]:
                    self.text(raw["confirm"][key], f"{pointer}/confirm/{key}", plain_only=True)
        if any(k in raw for k in ("options", "option_groups", "initial_option", "initial_options")):
            self.options(raw, pointer)
        for key in ("min_length", "max_length"):
            if isinstance(raw.get(key), int) and raw[key] > INPUT_LENGTH_MAX:
                self.fail(f"must be at most {INPUT_LENGTH_MAX}", f"{pointer}/{key}")
        # Multi-select menus: max_selected_items "minimum number is 1" (block-elements/multi-select-menu-element).
        if isinstance(raw.get("max_selected_items"), int) and raw["max_selected_items"] < 1:
            self.fail("must be at least 1", f"{pointer}/max_selected_items")
        # Number input: min_value "cannot be greater than the max_value" (block-elements/number-input-element).
        self.number_range(raw, pointer)
        return raw.get("action_id")

    def number_range(self, raw: dict, pointer: str) -> None:
        if raw.get("type") != "number_input" or raw.get("min_value") is None or raw.get("max_value") is None:
            return
        try:
            low, high = float(raw["min_value"]), float(raw["max_value"])
        except (TypeError, ValueError):
            self.fail("must be a number", f"{pointer}/min_value")
            return
        if low > high:
            self.fail("cannot be greater than max_value", f"{pointer}/min_value")

    def block(self, raw: dict, pointer: str) -> None:
        kind = raw.get("type")
        if kind == "section":
            if "text" in raw:
                self.text(raw["text"], f"{pointer}/text")
            for fi, field in enumerate(raw.get("fields") or []):
                self.text(field, f"{pointer}/fields/{fi}", max_len=SECTION_FIELD_MAX)
            if "accessory" in raw:
                self.element(raw["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text(raw.get("text"), f"{pointer}/text", plain_only=True)
        elif kind == "input":
            for key in ("label", "element"):
                if key not in raw:
                    self.fail(f"missing required field: {key}", pointer)
            if "label" in raw:
                self.text(raw["label"], f"{pointer}/label", plain_only=True)
            if "hint" in raw:
                self.text(raw["hint"], f"{pointer}/hint", plain_only=True)
            if "element" in raw:
                self.element(raw["element"], f"{pointer}/element", input_only=True)
        elif kind == "actions":
            seen: set[str] = set()
            for ei, element in enumerate(raw.get("elements") or []):
                action_id = self.element(element, f"{pointer}/elements/{ei}")
                if action_id is not None and action_id in seen:
                    self.fail(f"action_id `{action_id}` already exists in this block", f"{pointer}/elements/{ei}")
                if action_id:
                    seen.add(action_id)
        elif kind == "context":
            for ei, element in enumerate(raw.get("elements") or []):
                if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                    self.text(element, f"{pointer}/elements/{ei}")
                elif isinstance(element, dict) and element.get("type") == "image":
                    self.element(element, f"{pointer}/elements/{ei}")
                else:
                    self.fail("must be an image element or a text object", f"{pointer}/elements/{ei}")


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Return Slack-style error strings for a blocks array (empty list = valid)."""
    if not isinstance(blocks, list):
        return [_err("must be an array", pointer)]
    checker = _Checker()
    if len(blocks) > max_blocks:
        checker.fail(f"no more than {max_blocks} items allowed", pointer)
    block_ids: set[str] = set()
    for index, raw in enumerate(blocks):
        here = f"{pointer}/{index}"
        if not isinstance(raw, dict) or "type" not in raw:
            checker.fail("missing required field: type", here)
            continue
        before = len(checker.errors)
        block_id = raw.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                checker.fail(f"block_id `{block_id}` already exists", f"{here}/block_id")
            block_ids.add(block_id)
        checker.block(raw, here)
        try:
            model = Block.parse(raw)
            if model is None:
                checker.fail(f"unknown block type `{raw['type']}`", f"{here}/type")
                continue
            checker.unknown_keys(raw, model, here)
            if len(checker.errors) == before:
                model.to_dict()
        except _SDK_ERRORS as exc:
            if len(checker.errors) == before:
                checker.fail(str(exc), here)
    return checker.errors


def validate_view(view: Any, *, expected_type: str | None = None, pointer: str = "/view") -> list[str]:
    """Return Slack-style errors for a modal/home view payload."""
    if not isinstance(view, dict):
        return [_err("must be an object", pointer)]
    checker = _Checker()
    kind = view.get("type")
    if expected_type is not None and kind != expected_type:
        checker.fail(f"must be a valid enum value ({expected_type})", f"{pointer}/type")
    for key in ("title", "submit", "close"):
        if key in view:
            checker.text(view[key], f"{pointer}/{key}", plain_only=True)
    if kind == "modal":
        if "title" not in view:
            checker.fail("missing required field: title", pointer)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            checker.fail("must provide a submit property when using input blocks", pointer)
    if "blocks" not in view:
        checker.fail("missing required field: blocks", pointer)
    block_errors = validate_blocks(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS, pointer=f"{pointer}/blocks")
    errors = checker.errors + block_errors
    if not errors:
        try:
            View(**view).validate_json()
        except _SDK_ERRORS as exc:
            errors.append(_err(str(exc), pointer))
    return errors


def _short_id(length: int = 5) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def assign_ids(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Copy blocks and add block_id/action_id where missing, as Slack does on storage."""
    result = copy.deepcopy(blocks or [])
    for block in result:
        block.setdefault("block_id", _short_id())
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        elements += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
        for element in elements:
            if isinstance(element, dict) and element.get("type") not in ("image", "plain_text", "mrkdwn"):
                element.setdefault("action_id", _short_id())
    return result

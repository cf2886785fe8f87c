"""Small helpers for tests that watch asynchronous effects through public surfaces."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import select

from bot.db import Database
from handlers.modals import is_loading

T = TypeVar("T")


def filled_views(emulator: Any, since: int) -> list[dict[str, Any]]:
    """Views Headway showed (opened or updated) since call number `since`, loading views left out."""
    return [c.response["view"] for c in emulator.calls[since:]
            if c.method in ("views.open", "views.update") and c.response.get("ok")
            and not is_loading(c.response["view"])]


async def filled_view(emulator: Any, since: int, timeout: float = 10.0) -> dict[str, Any]:
    """The modal once Headway has filled it (opened filled, or loading and then updated): mark `since` with
    `len(emulator.calls)` before the click or command that opens it."""
    return (await eventually(lambda: filled_views(emulator, since), timeout))[-1]


async def eventually(probe: Callable[[], T], timeout: float = 10.0, interval: float = 0.01) -> T:
    """Wait until probe() returns something truthy (work Headway does after acking); an async probe is awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {probe}")
        await asyncio.sleep(interval)


async def rows(database_url: str, model: type[T], *where: Any) -> list[T]:
    """Read rows straight from the database the server writes to."""
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            return list((await session.exec(select(model).where(*where))).all())
    finally:
        await db.dispose()


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in a list of blocks, for assertions about wording."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(out)


# Text people type that would ping everyone, mention someone else or plant a link if it reached Slack unescaped.
EVIL = "<!channel> <!here|here> <@U0EVIL0001> <https://evil.example|click me> & done"


def mrkdwn_texts(node: Any, out: list[str]) -> list[str]:
    """Every string Slack would parse as mrkdwn in a message or view."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            out.append(node["text"])
        if isinstance(node.get("text"), str) and node.get("type") not in ("plain_text", "mrkdwn") and "blocks" in node:
            out.append(node["text"])  # a message's top-level text is mrkdwn too
        for value in node.values():
            mrkdwn_texts(value, out)
    elif isinstance(node, list):
        for item in node:
            mrkdwn_texts(item, out)
    return out


def assert_safe(text: str, where: str, legit_mentions: set[str]) -> None:
    assert "<!" not in text, f"live broadcast in {where}: {text!r}"
    assert not re.search(r"<https?:", text) or "evil" not in text, f"injected link in {where}: {text!r}"
    for user in re.findall(r"<@([A-Z0-9]+)", text):
        assert user in legit_mentions, f"injected mention of {user} in {where}: {text!r}"


def assert_all_sent_text_safe(emulator: Any, legit_mentions: set[str]) -> int:
    """Check the mrkdwn of every Web API call and response_url answer the emulator saw; returns how many."""
    checked = 0
    for call in emulator.calls:
        params = dict(call.params)
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        for text in mrkdwn_texts(params, []):
            assert_safe(text, call.method, legit_mentions)
            checked += 1
    for response in emulator.responses:
        for text in mrkdwn_texts(response, []):
            assert_safe(text, "response_url", legit_mentions)
            checked += 1
    return checked


# Block Kit's limits, counted on the text as sent (an escaped `&amp;` is five characters):
# https://api.slack.com/reference/block-kit/blocks, /composition-objects, /surfaces
SLACK_LIMITS = {"section": 3000, "field": 2000, "context": 2000, "header": 150, "button": 75, "option": 75,
                "placeholder": 150, "label": 2000, "hint": 2000, "title": 24}
_TOKEN = re.compile(r"<(?:@[UW][A-Z0-9]+|#[CG][A-Z0-9]+(?:\|[^<>]*)?|https?://[^<>|]+(?:\|[^<>]*)?)>")
_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def slack_limit_problems(surface: dict[str, Any]) -> list[str]:
    """Every text in a message ({"text", "blocks"}) or view over Slack's limits, every half-cut entity and every
    `<` that is not a token Headway built, as readable problems (empty list = Slack would accept it)."""
    problems: list[str] = []
    is_view = "type" in surface and surface.get("type") in ("modal", "home")

    def text(obj: Any, limit: int, where: str) -> None:
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            return
        value = obj["text"]
        if len(value) > limit:
            problems.append(f"{where}: {len(value)} > {limit} characters")
        if obj.get("type") == "mrkdwn":
            if _ENTITY.search(value):
                problems.append(f"{where}: a bare or half-cut & in {value[-40:]!r}")
            if "<" in _TOKEN.sub("", value) or ">" in _TOKEN.sub("", value):
                problems.append(f"{where}: a raw < or > in {value[:80]!r}")

    def element(raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            return
        if raw.get("type") == "button":
            text(raw.get("text"), SLACK_LIMITS["button"], f"{where}/text")
        text(raw.get("placeholder"), SLACK_LIMITS["placeholder"], f"{where}/placeholder")
        for key in ("options", "initial_options"):
            for index, option in enumerate(raw.get(key) or []):
                text(option.get("text"), SLACK_LIMITS["option"], f"{where}/{key}/{index}")
        if isinstance(raw.get("initial_option"), dict):
            text(raw["initial_option"].get("text"), SLACK_LIMITS["option"], f"{where}/initial_option")

    blocks = surface.get("blocks") or []
    if len(blocks) > (100 if is_view else 50):
        problems.append(f"{len(blocks)} blocks")
    if is_view:
        for key in ("title", "submit", "close"):
            text(surface.get(key), SLACK_LIMITS["title"], f"/{key}")
    for index, block in enumerate(blocks):
        where = f"/blocks/{index}"
        kind = block.get("type")
        if kind == "section":
            text(block.get("text"), SLACK_LIMITS["section"], f"{where}/text")
            for number, field in enumerate(block.get("fields") or []):
                text(field, SLACK_LIMITS["field"], f"{where}/fields/{number}")
            element(block.get("accessory"), f"{where}/accessory")
        elif kind == "header":
            text(block.get("text"), SLACK_LIMITS["header"], f"{where}/text")
        elif kind == "context":
            for number, item in enumerate(block.get("elements") or []):
                text(item, SLACK_LIMITS["context"], f"{where}/elements/{number}")
        elif kind == "actions":
            for number, item in enumerate(block.get("elements") or []):
                element(item, f"{where}/elements/{number}")
        elif kind == "input":
            text(block.get("label"), SLACK_LIMITS["label"], f"{where}/label")
            text(block.get("hint"), SLACK_LIMITS["hint"], f"{where}/hint")
            element(block.get("element"), f"{where}/element")
    return problems

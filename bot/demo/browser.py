"""Clicking through the playground page in a real browser (Playwright on Chromium), as a person would.

Shared by the browser tests (tests/bot/demo/test_playground_browser.py) and `python -m bot.demo.screenshots`.
Playwright is a test/dev dependency (the `test` extra); it drives the system's Chromium (`HEADWAY_CHROMIUM`, default
/usr/bin/chromium) — `playwright install` is never needed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

WAIT_MS = 30_000  # generous: CI machines are shared, and Chromium is slow when they are busy


def chromium_path() -> str | None:
    """The Chromium to drive, if this machine has one."""
    candidate = os.environ.get("HEADWAY_CHROMIUM") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright: Any) -> Any:
    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium found: install Debian's `chromium` or set HEADWAY_CHROMIUM")
    return playwright.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"])


class PlaygroundPage:
    """One browser tab on the playground, with the moves a visitor makes."""

    def __init__(self, page: Any, url: str, shots: Path | None = None) -> None:
        self.page, self.url, self.shots = page, url, shots
        self.errors: list[str] = []  # JavaScript errors, console errors and failed requests (404s included)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        # Console errors, except the browser's own "Failed to load resource" lines: a failed answer of the page's
        # server is recorded below with its status, and an image on another host (offline here) is not the page's.
        page.on("console", lambda message: self.errors.append(f"console: {message.text}")
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        page.on("response", lambda response: self.errors.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400 else None)
        page.set_default_timeout(WAIT_MS)

    # ------------------------------------------------------------------ moving around
    def open(self, person_id: str | None = None) -> PlaygroundPage:
        self.page.goto(self.url + (f"?as={person_id}" if person_id else ""))
        self.page.wait_for_selector("body[data-ready]")
        return self

    def act_as(self, first_name: str) -> None:
        """Pick a person in the "Acting as" menu."""
        picker = self.page.locator("#acting-as")
        value = picker.locator("option", has_text=re.compile(rf"^{re.escape(first_name)}\b")).first.get_attribute(
            "value")
        picker.select_option(value)
        # Until the page shows that person (their sidebar drawn), so the next click lands on their items.
        self.page.wait_for_function("id => window.playground && window.playground.me === id"
                                    " && document.body.dataset.me === id", arg=value)

    def channel(self, name: str) -> None:
        self.page.locator("#sidebar .side-item", has_text=name).first.click()
        self.page.wait_for_selector(f"#main-head .main-title:has-text('{name}')")

    def app(self, tab: str = "Messages") -> None:
        """Headway under Apps, on its Messages or Home tab."""
        for attempt in range(3):  # a click that lands while the sidebar is redrawn is clicked again
            self.page.locator("#side-apps .side-item").first.click()
            try:
                self.page.wait_for_selector("#main-head .tab", timeout=WAIT_MS // 3)
                break
            except Exception:
                if attempt == 2:
                    raise
        self.page.locator(f"#main-head .tab:has-text('{tab}')").click()
        if tab == "Home":
            self.page.wait_for_selector(".home[data-view-id]")

    def type(self, text: str) -> None:
        box = self.page.locator("#compose-text")
        box.fill(text)
        box.press("Enter")

    def clock(self, op: str) -> str:
        """Press a clock button; returns what the page says happened."""
        toast = self.page.locator("#toast")
        self.page.locator(f".clock-op[data-op='{op}']").click()
        self.page.wait_for_function("() => !document.body.classList.contains('busy')")
        toast.wait_for(state="visible")
        return toast.inner_text()

    def messages(self) -> Any:
        return self.page.locator("#messages .msg")

    def last_message(self, containing: str) -> Any:
        return self.page.locator("#messages .msg", has_text=containing).last

    # ------------------------------------------------------------------ modals
    def modal(self, callback_id: str | None = None) -> Any:
        """The open modal once the app has filled it (a loading view has no callback_id)."""
        selector = (f".modal[data-callback-id='{callback_id}']" if callback_id
                    else ".modal[data-callback-id]:not([data-callback-id=''])")
        self.page.wait_for_selector("#modal-layer " + selector)
        return self.page.locator("#modal-layer " + selector)

    def fill(self, block_id: str, value: Any) -> None:
        """Enter `value` into the modal input `block_id` the way its element takes input."""
        block = self.page.locator(f"#modal-layer [data-block-id='{block_id}']")
        element = block.locator("[data-action-id]").first
        kind = element.get_attribute("data-type")
        if kind in ("static_select", "users_select", "conversations_select", "channels_select", "external_select"):
            element.select_option(_option(element, value))
        elif kind and kind.startswith("multi_"):
            for item in value if isinstance(value, list) else [value]:
                if element.locator(".chip", has_text=item).count():
                    continue  # already chosen (an initial value)
                picker = element.locator("select.add")
                picker.select_option(_option(picker, item))
        elif kind in ("radio_buttons", "checkboxes"):
            for item in value if isinstance(value, list) else [value]:
                element.locator("label", has_text=item).first.locator("input").check()
        else:
            element.fill(str(value))

    def unpick(self, block_id: str, label: str) -> None:
        """Remove a chosen item (a chip) from a multi-select."""
        block = self.page.locator(f"#modal-layer [data-block-id='{block_id}']")
        block.locator(".chip", has_text=label).locator(".chip-x").click()

    def submit(self) -> None:
        self.page.locator("#modal-layer .modal-submit").click()

    def input_error(self, block_id: str) -> Any:
        return self.page.locator(f"#modal-layer [data-block-id='{block_id}'] .input-error")

    def wait_modal_closed(self) -> None:
        self.page.wait_for_selector("#modal-layer", state="hidden")

    # ------------------------------------------------------------------ evidence
    def shot(self, name: str, locator: Any = None) -> Path | None:
        """A screenshot of the page (or one element) into the shots folder, if there is one."""
        if self.shots is None:
            return None
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        for attempt in range(3):  # the page may redraw the element while it is being captured
            try:
                (locator or self.page).screenshot(path=str(path))
                return path
            except Exception:
                if attempt == 2:
                    raise
                self.page.wait_for_timeout(300)
        return path


def _option(select: Any, label: str) -> str:
    """The value of the option whose label starts with `label` (people by name, projects by key)."""
    option = select.locator("option", has_text=re.compile(rf"^\s*{re.escape(label)}")).first
    return str(option.get_attribute("value"))

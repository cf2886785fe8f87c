"""`python -m bot.demo.screenshots [DIR]`: the README's two pictures, taken from the playground in headless Chromium.

Plays the demo's story, then, in the page: Priya requests a go/no-go gate on FRAUD (the story stops CHURN) with
Elena as approver, and the card in Elena's DM is captured (docs/playground-gate.png); the clock jumps to Monday
08:30 in Elena's zone and her weekly digest, with its trend chart, is captured (docs/playground-digest.png). Needs
Playwright (the `test` extra) and Chromium (`HEADWAY_CHROMIUM`, default /usr/bin/chromium).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bot.demo.browser import PlaygroundPage, launch
from bot.demo.cast import ELENA, PRIYA
from bot.demo.playground import PlaygroundThread

DOCS = Path(__file__).resolve().parents[2] / "docs"


def take(folder: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    with PlaygroundThread(scenario=True) as running, sync_playwright() as playwright:
        chromium = launch(playwright)
        page = chromium.new_page(viewport={"width": 1180, "height": 1500})
        web = PlaygroundPage(page, running.url)
        web.open(PRIYA.id)
        web.channel("ml-projects")
        web.type("/gate request FRAUD")
        modal = web.modal()
        for radio in modal.locator("[data-block-id^='crit_'] .hw-choices").all():
            radio.locator("input").first.check()
        web.fill("summary", "Requirements signed off with Risk: the 0.85 catch rate holds at 1 false alarm in 200.")
        web.unpick("approvers", PRIYA.user.real_name)
        web.submit()
        web.wait_modal_closed()
        web.act_as(ELENA.first_name)
        web.app()
        card = page.locator("#messages .msg", has_text=re.compile(r"Gate #\d+ · FRAUD")).last
        card.locator("button[data-action-id='gate_go']").wait_for()
        gate = folder / "playground-gate.png"
        card.screenshot(path=str(gate))
        web.clock("monday")
        page.locator("#toast").evaluate("node => node.hidden = true")
        digest = page.locator("#messages .msg", has_text="ML portfolio").last
        chart = digest.locator("img.block-image")
        chart.wait_for()
        page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=chart.element_handle())
        picture = folder / "playground-digest.png"
        digest.screenshot(path=str(picture))
        chromium.close()
        if web.errors:
            raise RuntimeError(f"the page raised JavaScript errors: {web.errors}")
    return [gate, picture]


if __name__ == "__main__":
    for path in take(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS):
        print(path)

"""`headway playground` in a real browser: headless Chromium clicks through the page like a visitor.

One playground (after the demo's story, like `headway playground --scenario`) serves the whole module; each test
acts as one person and checks what the page shows and what Headway did. Every step leaves a screenshot in
$HEADWAY_ARTIFACTS (default tmp/artifacts/playground/ in the checkout; not committed). Skipped where there is no
Chromium or no Playwright.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.demo.browser import PlaygroundPage, chromium_path, launch
from bot.demo.cast import ELENA, KENJI, PRIYA
from bot.demo.playground import PlaygroundThread

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (the `test` extra)")
pytestmark = [pytest.mark.skipif(chromium_path() is None, reason="no Chromium on this machine"), pytest.mark.slow]

SHOTS = Path(os.environ.get("HEADWAY_ARTIFACTS") or Path(__file__).parents[3] / "tmp" / "artifacts") / "playground"


@pytest.fixture(scope="module")
def playground(scratch_database) -> Iterator[PlaygroundThread]:
    with ThreadPoolExecutor(1) as pool:  # creating a PostgreSQL database runs an event loop: not on pytest's
        database = pool.submit(scratch_database).result()
    with PlaygroundThread(scenario=True, database_url=database) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def web(browser, playground, request) -> Iterator[PlaygroundPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = PlaygroundPage(context.new_page(), playground.url, SHOTS)
    yield page
    page.shot(f"last-{request.node.name}")  # how the page looked when the test ended (passed or not)
    context.close()
    assert page.errors == [], f"the page raised JavaScript errors: {page.errors}"


def expect(locator):
    return sync_api.expect(locator)


def test_priya_creates_a_project_through_the_modal_and_fixes_an_inline_error(web, playground) -> None:
    web.open()
    web.act_as(PRIYA.first_name)
    web.channel("ml-projects")
    web.page.locator("#compose-text").fill("/")
    expect(web.page.locator("#hints .hint-item")).to_have_count(3)  # /headway, /standup, /gate and their help
    web.type("/headway project new")
    modal = web.modal()
    expect(modal.locator(".modal-title")).to_contain_text("project")
    web.shot("01-priya-project-modal")
    fields = {"key": "FRAUD", "name": "Voice of the customer", "problem_statement": "Support tickets pile up unread.",
              "success_criteria": "Every ticket gets a topic within a minute.", "metric_name": "accuracy",
              "target": "0.85", "expected_date": (date.today() + timedelta(days=90)).isoformat()}
    for block_id, value in fields.items():
        web.fill(block_id, value)
    web.submit()
    error = web.input_error("key")
    expect(error).to_contain_text("already used")  # Headway's `response_action: errors`, under the field
    web.shot("02-priya-inline-error")
    web.fill("key", "VOICE")
    web.submit()
    web.wait_modal_closed()
    # Confirmed where she asked: in #ml-projects, only to her, not as an echo in her DM with Headway.
    confirmation = web.page.locator("#messages .msg.ephemeral", has_text="VOICE")
    expect(confirmation).to_contain_text("is set up")
    expect(web.page.locator("#main-head .main-title")).to_contain_text("ml-projects")
    web.shot("03-priya-project-created")
    emulator = playground.running.emulator
    assert not any(c.method == "chat.postMessage" and c.params.get("channel") == PRIYA.id and "VOICE" in str(c.params)
                   for c in emulator.calls)


def test_kenji_answers_his_standup_from_the_dm_button_and_sees_the_reply_in_the_thread(web, playground) -> None:
    web.open()
    web.act_as(KENJI.first_name)
    web.app()
    answered = web.page.locator("#messages .msg", has_text="Thanks").count()
    # Prompts still asking (a closed round's "Answer late" is not one).
    prompts = web.page.locator("#messages .msg", has=web.page.locator(
        "button[data-action-id='standup_answer']", has_text=re.compile(r"^\s*Answer\s*$")))
    before = prompts.count()
    for _ in range(12):  # the scheduled moments until Kenji's next 09:30 comes round
        if "standup prompt" in web.clock("tick"):  # someone's 09:30 ("1 standup prompt"): is it Kenji's?
            try:
                expect(prompts).to_have_count(before + 1, timeout=3000)
                break
            except AssertionError:
                continue
    expect(prompts).to_have_count(before + 1, timeout=1)
    web.shot("04-kenji-standup-prompt")
    asked = prompts.last.get_attribute("data-ts")
    prompts.last.locator("button[data-action-id='standup_answer']").click()
    web.modal()
    web.fill("q0", "Calibrated the fraud model's scores with isotonic regression.")
    web.fill("q1", "Pick the operating threshold with Lucas.")
    web.fill("metric_value", "0.77")
    web.submit()
    expect(web.input_error("project")).to_contain_text("Pick the project")  # a metric value needs its project
    web.fill("project", "FRAUD")
    web.fill("confidence", "High")
    web.shot("05-kenji-answer-form")
    web.submit()
    web.wait_modal_closed()
    expect(web.page.locator("#messages .msg", has_text="Thanks")).to_have_count(answered + 1)
    # The prompt stops asking: its Answer button became "Edit my answer", and it says it is answered.
    prompt = web.page.locator(f"#messages .msg[data-ts='{asked}']")
    expect(prompt.locator("button[data-action-id='standup_edit']")).to_be_visible()
    expect(prompt).to_contain_text("Answered")
    expect(prompt.locator("button[data-action-id='standup_answer']")).to_have_count(0)
    expect(prompts).to_have_count(before)
    web.shot("05b-kenji-prompt-answered", prompt)
    web.channel("ml-projects")
    report = web.page.locator("#messages .msg", has_text="fraud-team standup").last
    report.locator("button.replies").click()
    expect(web.page.locator("#thread-messages .msg", has_text="isotonic regression")).to_be_visible()
    web.shot("06-kenji-reply-in-thread")


def test_elena_votes_go_on_a_gate_card_and_sees_it_update(web, playground) -> None:
    web.open()
    web.act_as(PRIYA.first_name)
    web.channel("ml-projects")
    web.type("/gate request FRAUD")
    modal = web.modal()
    for radio in modal.locator("[data-block-id^='crit_'] .hw-choices").all():
        radio.locator("input").first.check()  # every exit criterion: met
    web.fill("summary", "Requirements signed off with Risk: the 0.85 catch rate holds at 1 false alarm in 200.")
    web.unpick("approvers", PRIYA.user.real_name)  # Elena decides alone
    web.fill("approvers", ELENA.user.real_name)
    web.shot("07-priya-gate-request")
    web.submit()
    web.wait_modal_closed()
    web.act_as(ELENA.first_name)
    web.app()
    card = web.page.locator("#messages .msg", has_text=re.compile(r"Gate #\d+ · FRAUD")).last
    expect(card.locator("button[data-action-id='gate_go']")).to_be_visible()
    web.shot("08-elena-gate-card", card)
    card.locator("button[data-action-id='gate_go']").click()
    expect(card).to_contain_text("Outcome: Go")
    expect(card.locator("button[data-action-id='gate_go']")).to_have_count(0)
    expect(card).to_contain_text("(edited)")
    expect(web.page.locator("#messages .msg.ephemeral", has_text="Your vote").last).to_contain_text("Go")
    web.shot("09-elena-gate-decided")


def test_priya_decided_retrain_and_the_alert_stopped_asking(web) -> None:
    web.open()
    web.act_as(PRIYA.first_name)
    web.app()
    alert = web.page.locator("#messages .msg", has_text="ETA").filter(has_text="in production").last
    expect(alert).to_contain_text("Decided: Retrain")  # the story's click on Retrain, through the modal
    for action in ("production_keep", "production_retrain", "production_roll_back", "production_retire"):
        expect(alert.locator(f"button[data-action-id='{action}']")).to_have_count(0)
    expect(alert).to_contain_text("(edited)")
    web.shot("09b-priya-retrain-decided", alert)


def test_the_app_home_opens(web) -> None:
    web.open()
    web.act_as(PRIYA.first_name)
    web.app("Home")
    home = web.page.locator(".home")
    expect(home.locator(".blk").first).to_be_visible()
    expect(home).to_contain_text("FRAUD")
    web.shot("10-priya-app-home")


def test_monday_morning_brings_elena_the_digest_with_its_chart(web, playground) -> None:
    web.open()
    web.act_as(ELENA.first_name)
    said = web.clock("monday")
    assert "Mon" in said and re.search(r"\b1 digest\b|\b[02-9]\d* digests\b", said), said
    web.app()
    digest = web.page.locator("#messages .msg", has_text="ML portfolio").last
    expect(digest).to_be_visible()
    # The page keeps the app's (emulated) time: Elena's local time reads 08:30, and days are divided.
    expect(web.page.locator("#who")).to_contain_text("08:30")
    expect(web.page.locator("#messages .day-divider", has_text="Today")).to_have_count(1)
    assert web.page.locator("#messages .day-divider").count() > 1
    chart = digest.locator("img.block-image")
    expect(chart).to_be_visible()
    chart.scroll_into_view_if_needed()
    web.page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=chart.element_handle())
    web.shot("11-elena-monday-digest", digest)


EVERY_BLOCK = [
    {"type": "header", "text": {"type": "plain_text", "text": "Weekly :rocket: check", "emoji": True}},
    {"type": "section", "block_id": "intro",
     "text": {"type": "mrkdwn", "text": "*bold* _italic_ ~gone~ `code` <https://example.com|a link> "
                                        f"<@{PRIYA.id}> <#C0MLPROJ1> :white_check_mark: 1 &lt; 2 &amp; &lt;script&gt;"},
     "accessory": {"type": "button", "action_id": "acc", "text": {"type": "plain_text", "text": "More"},
                   "confirm": {"title": {"type": "plain_text", "text": "Sure?"},
                               "text": {"type": "mrkdwn", "text": "Really *sure*?"},
                               "confirm": {"type": "plain_text", "text": "Yes"},
                               "deny": {"type": "plain_text", "text": "No"}}}},
    {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Stage*\nFeasibility"},
                                   {"type": "plain_text", "text": "Owner: Elena"}]},
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "small print"}]},
    {"type": "actions", "block_id": "acts", "elements": [
        {"type": "button", "action_id": "b1", "style": "primary", "text": {"type": "plain_text", "text": "Go"}},
        {"type": "button", "action_id": "b2", "style": "danger", "text": {"type": "plain_text", "text": "Stop"}},
        {"type": "static_select", "action_id": "s1", "placeholder": {"type": "plain_text", "text": "Pick"},
         "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}]},
        {"type": "users_select", "action_id": "u1", "placeholder": {"type": "plain_text", "text": "Who"}},
        {"type": "multi_static_select", "action_id": "m1", "placeholder": {"type": "plain_text", "text": "Many"},
         "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"},
                     {"text": {"type": "plain_text", "text": "B"}, "value": "b"}],
         "initial_options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}]},
        {"type": "datepicker", "action_id": "d1", "initial_date": "2026-12-07"},
        {"type": "radio_buttons", "action_id": "r1",
         "options": [{"text": {"type": "plain_text", "text": "Low"}, "value": "low"}]},
        {"type": "checkboxes", "action_id": "c1",
         "options": [{"text": {"type": "mrkdwn", "text": "*Blocked*"}, "value": "yes"}]}]},
    {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "a picture"},
]


def test_block_kit_and_mrkdwn_are_drawn_as_slack_draws_them(web, playground) -> None:
    emulator = playground.running.emulator
    message = playground.call(emulator.add_message, "C0GENERAL", KENJI.id, "fallback", blocks=EVERY_BLOCK)
    web.open(ELENA.id)
    web.channel("general")
    shown = web.page.locator(f"#messages .msg[data-ts='{message['ts']}']")
    expect(shown.locator(".blk-header")).to_have_text("Weekly 🚀 check")
    intro = shown.locator("[data-block-id='intro'] .section-text")
    for tag, text in (("b", "bold"), ("i", "italic"), ("s", "gone"), ("code", "code")):
        expect(intro.locator(tag)).to_have_text(text)
    expect(intro.locator("a")).to_have_attribute("href", "https://example.com")
    expect(intro.locator(".mention").first).to_have_text("@priya")
    expect(intro.locator(".mention.channel")).to_have_text("#ml-projects")
    expect(intro).to_contain_text("✅ 1 < 2 & <script>")  # escaped text stays text
    assert intro.locator("script").count() == 0
    expect(shown.locator(".fields .field")).to_have_count(2)
    expect(shown.locator(".blk-divider hr")).to_have_count(1)
    expect(shown.locator(".blk-context")).to_have_text("small print")
    expect(shown.locator("button.hw-button.primary")).to_have_text("Go")
    expect(shown.locator("button.hw-button.danger")).to_have_text("Stop")
    expect(shown.locator("select[data-type='users_select'] option", has_text="Elena Duarte")).to_have_count(1)
    expect(shown.locator("[data-type='multi_static_select'] .chip")).to_contain_text("A")
    expect(shown.locator("input[type='date']")).to_have_value("2026-12-07")
    expect(shown.locator("[data-type='radio_buttons'] input[type='radio']")).to_have_count(1)
    expect(shown.locator("[data-type='checkboxes'] b")).to_have_text("Blocked")
    expect(shown.locator(".blk-image img")).to_have_attribute("alt", "a picture")
    shown.locator("[data-block-id='intro'] .accessory button").click()
    dialog = web.page.locator("#confirm-layer .modal")
    expect(dialog).to_contain_text("Really sure?")
    web.shot("00-block-kit-confirm")
    dialog.locator("button", has_text="No").click()
    expect(web.page.locator("#confirm-layer")).to_be_hidden()


def test_add_to_slack_installs_headway_in_the_second_workspace_and_it_answers_there(web, playground) -> None:
    """Last in this module: it installs Headway in the second workspace for good."""
    from bot.demo.cast import NOOR, SECOND_TEAM_ID

    web.open()
    page = web.page
    switcher = page.locator("#workspace")
    expect(switcher.locator("option")).to_have_count(2)
    expect(switcher).to_contain_text("Borealis Bio (Headway not installed)")
    with page.context.expect_page() as opened:  # the button opens Headway's install page in a new tab
        page.locator("#add-to-slack").click()
    tab = opened.value
    tab.set_default_timeout(30_000)
    tab.locator("a.button", has_text="Add to Slack").click()  # Headway's page → Slack's (the emulator's) authorize
    tab.locator("select[name=team]").select_option(SECOND_TEAM_ID)
    tab.locator("select[name=user]").select_option(NOOR.id)
    tab.locator("button[value=allow]").click()  # → Headway's /slack/oauth_redirect
    expect(tab.locator("body")).to_contain_text("Borealis Bio")
    assert "oauth_redirect" in tab.url, tab.url
    tab.close()
    expect(switcher).not_to_contain_text("not installed")  # the page heard of the install
    switcher.select_option(SECOND_TEAM_ID)
    page.wait_for_function("id => window.playground && window.playground.team === 'T0DEMO002'"
                           " && document.body.dataset.me === id", arg=NOOR.id)
    expect(page.locator("#team")).to_have_text("Borealis Bio")
    web.channel("general")
    web.type("/headway help")
    expect(web.last_message("/headway project")).to_be_visible()  # Headway answers, with Borealis Bio's token
    web.shot("20-add-to-slack-second-workspace")

"""Terminal rendering of messages and views."""

from __future__ import annotations

from bot.slack_emulator import mrkdwn_to_text, render_channel, render_message, render_view

USERS = {"U0ALICE": "alice", "U0BOB": "bob"}


def test_mrkdwn_conversion() -> None:
    text = "*Go* <@U0ALICE> see <https://x.io/a|the doc> &lt;v2&gt; <#C1|general> <!here> <https://y.io>"
    assert mrkdwn_to_text(text, USERS) == "*Go* @alice see the doc (https://x.io/a) <v2> #general @here https://y.io"


def test_render_sample_message() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Weekly digest"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Owner: <@U0BOB> &amp; team"}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "*Status*\nGreen"}, {"type": "mrkdwn", "text": "*Accuracy*\n0.93"}],
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "updated 2h ago"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "button", "text": {"type": "plain_text", "text": "Reject"}},
            ],
        },
    ]
    out = render_message(blocks, "fallback", users=USERS, width=40)
    lines = out.split("\n")
    assert lines[0] == "Weekly digest" and lines[1] == "=" * len("Weekly digest")
    assert "Owner: @bob & team" in out and "─" * 40 in out
    assert "(updated 2h ago)" in out and "[ Approve ]  [ Reject ]" in out
    assert "*Status*" in out and "0.93" in out and "{" not in out
    colored = render_message(blocks, users=USERS, color=True)
    assert "\033[2m(updated 2h ago)\033[0m" in colored
    assert render_message(None, "just <@U0ALICE>", users=USERS) == "just @alice"


def test_render_view_with_inputs() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Check-in"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Summary"},
                "hint": {"type": "plain_text", "text": "one line"},
                "element": {"type": "plain_text_input", "action_id": "s"},
            },
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Note"},
                "optional": True,
                "element": {"type": "plain_text_input", "action_id": "n", "initial_value": "n/a"},
            },
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Status"},
                "element": {
                    "type": "static_select",
                    "action_id": "p",
                    "placeholder": {"type": "plain_text", "text": "Pick one"},
                    "options": [],
                },
            },
        ],
    }
    out = render_view(view, width=50)
    assert "| Check-in" in out
    assert "Summary: ______ (one line)" in out and "Note (optional): n/a" in out
    assert "Status: [ Pick one ▾ ]" in out and out.rstrip().endswith("[ Cancel ]  [ Send ]")


def test_render_channel_transcript() -> None:
    messages = [
        {"ts": "1.0", "user": "U0BOB", "text": "question"},
        {"ts": "2.0", "user": "U0ALICE", "text": "answer", "thread_ts": "1.0"},
        {"ts": "3.0", "user": "U0ALICE", "text": "", "files": [{"title": "chart.png"}]},
    ]
    out = render_channel(messages, users=USERS)
    assert out.split("\n")[:4] == ["bob:", "  question", "    alice:", "      answer"]
    assert "[file: chart.png]" in out

"""The Slack app manifest: what to paste into api.slack.com/apps to create Headway's app."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from bot.steps import STEPS

COMMANDS = (
    ("/headway", "Projects, roles and progress for your ML portfolio", "help | project new | project show KEY"),
    ("/standup", "Async standups for your ML team", "help | new | list | skip | away FROM TO"),
    ("/gate", "Go/no-go reviews at lifecycle stage boundaries", "help | request KEY | status KEY"),
)

# Only what Headway calls: posting (also to project channels it was not invited to), DMs, user
# time zones and roles, chart uploads for the executive digest, and reading back its own messages
# (history) so that a send interrupted by a crash is found instead of posted twice; channels:read and
# groups:read let conversations.info say, where a person picks a channel, whether Headway can post there.
BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "im:write", "users:read", "files:write",
              "channels:history", "groups:history", "im:history", "channels:read", "groups:read", "canvases:write")
# Asked for, but Headway works without them: each project's dossier canvas (bot.canvases) needs canvases:write.
OPTIONAL_SCOPES = ("canvases:write",)
# app_home_opened: the Home tab (and the welcome DM); message.im: people write to Headway in its Messages tab
# (read with im:history, which is also how a crashed send is found again). app_uninstalled / tokens_revoked:
# Slack sends them only to apps subscribed to them, so sending can pause for a workspace that removed Headway
# (https://docs.slack.dev/reference/events/app_uninstalled, …/tokens_revoked). app_uninstalled_team: an org-wide
# (Grid) install removed from one workspace of the organization; "only organization-wide apps can subscribe"
# (https://docs.slack.dev/reference/events/app_uninstalled_team), and Headway is org-ready (org_deploy_enabled);
# team_access_revoked: an org-ready app's token "can no longer access a workspace in that organization"
# (https://docs.slack.dev/reference/events/team_access_revoked; no scope needed).
# function_executed: Workflow Builder runs one of Headway's custom steps (bot.steps); custom steps need an org-ready
# app (org_deploy_enabled) with function_runtime "remote" (docs.slack.dev/tools/bolt-python/concepts/custom-steps).
# user_change (users:read): a person's Slack status says when they are away (https://docs.slack.dev/reference/events/user_change).
# member_left_channel / member_joined_channel / channel_archive / group_archive: the bot's own removal from a
# channel (or the channel's archiving) is known at once instead of at the next refused send
# (https://docs.slack.dev/reference/events/member_left_channel and the others' pages).
BOT_EVENTS = ("app_home_opened", "message.im", "app_uninstalled", "tokens_revoked", "function_executed", "user_change",
              "app_uninstalled_team", "team_access_revoked", "member_left_channel", "member_joined_channel",
              "channel_archive", "group_archive")
SHORTCUTS = (
    {"name": "Log a metric", "type": "global", "callback_id": "shortcut_log_metric",
     "description": "Record the metric a project reached"},
    {"name": "Set as weekly goal", "type": "message", "callback_id": "shortcut_weekly_goal",
     "description": "Make this message a project's goal for the week"},
)

LONG_DESCRIPTION = (
    "Headway keeps machine-learning product teams and their stakeholders in step, inside Slack. "
    "Team members answer short async standups in their own time zone, including the experiment metric they "
    "reached. Headway judges each project's progress against its baseline and target and says it in business "
    "language: on track, stalled, breakthrough, at risk. Executives get a weekly digest of what will be "
    "delivered, when, and what it is worth, plus the decisions waiting for them. PMs run go/no-go gates at "
    "lifecycle stage boundaries with named approvers and an audit trail."
)


def build_manifest(url: str | None, *, socket_mode: bool = False, name: str = "Headway",
                   oauth: bool = False) -> dict[str, Any]:
    if not socket_mode and not url:
        raise ValueError("an https URL is needed unless the app uses Socket Mode")
    events_url = f"{url.rstrip('/')}/slack/events" if url else None
    commands = []
    for command, description, hint in COMMANDS:
        entry: dict[str, Any] = {"command": command, "description": description, "usage_hint": hint,
                                 "should_escape": True}
        if not socket_mode:
            entry["url"] = events_url
        commands.append(entry)
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": True,
        "function_runtime": "remote",
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    if not socket_mode:
        settings["event_subscriptions"]["request_url"] = events_url
        settings["interactivity"]["request_url"] = events_url
    return {
        "_metadata": {"major_version": 2, "minor_version": 0},  # version 2: `functions` with properties/required
        "display_information": {
            "name": name,
            "description": "Standups, experiment progress, go/no-go gates and exec digests for ML teams.",
            "long_description": LONG_DESCRIPTION,
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
            "shortcuts": [dict(s) for s in SHORTCUTS],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}, **oauth_config(url, oauth)},
        "settings": settings,
        "functions": copy.deepcopy(dict(STEPS)),  # a copy: whoever edits the manifest never edits the steps
    }


def oauth_config(url: str | None, oauth: bool) -> dict[str, Any]:
    """"Add to Slack" (bot/oauth.py): Slack sends people back to HEADWAY_PUBLIC_URL/slack/oauth_redirect, which
    must be one of the app's Redirect URLs; org_deploy_enabled lets an Enterprise Grid admin install it org-wide."""
    if not oauth or not url:
        return {}
    return {"redirect_urls": [f"{url.rstrip('/')}/slack/oauth_redirect"]}


def manifest_yaml(url: str | None, *, socket_mode: bool = False, oauth: bool = False) -> str:
    return yaml.safe_dump(build_manifest(url, socket_mode=socket_mode, oauth=oauth), sort_keys=False,
                          allow_unicode=True)


def oauth_instructions(url: str) -> str:
    """What `headway manifest --oauth` says after the manifest (on stderr, so the manifest stays pasteable)."""
    base = url.rstrip("/")
    return (f"# \"Add to Slack\": the manifest lists {base}/slack/oauth_redirect as the Redirect URL.\n"
            "# After creating the app, set from its Basic Information page:\n"
            "#   SLACK_CLIENT_ID=…  SLACK_CLIENT_SECRET=…  SLACK_SIGNING_SECRET=…\n"
            f"#   HEADWAY_PUBLIC_URL={base}   (leave SLACK_BOT_TOKEN unset)\n"
            "# Activate public distribution (Manage Distribution) to install into other workspaces;\n"
            "# token rotation (OAuth & Permissions → Opt in) is supported and refreshed by Headway.\n"
            f"# Then `headway check`, `headway serve`, and open {base}/slack/install to install.\n")

"""The Web API contract Headway lives by: every method it calls, every error Slack lists for it, and what Headway
should do about each (its intended behaviour class).

Errors come from the shared spec ../shared/slack/web-api.openapi.v2.json (`responses.default.schema.properties.
error.enum`); for methods the spec does not describe (views.*, files.*External, apps.connections.open) from their
reference pages under https://docs.slack.dev/reference/methods/ ("Errors"). tests/bot/slack_emulator/
test_contract.py checks this table against the spec and that the emulator produces every listed error on demand
(by its rules where it has them, otherwise with `fail_next(method, error=…)`).

Behaviour classes (issue 11, "Headway tells the right person and recovers, losing nothing"):
- RETRY: transient; try again later (with backoff, honouring Retry-After);
- HOLD: a person must fix the workspace (invite the app, unarchive, grant a scope, reinstall); keep the message
  and tell someone who can fix it, with a Retry button; sending resumes after the fix;
- TELL: refused at the moment a person asked (a modal, a slash command, an operator starting Headway): answer
  that person with what went wrong and how to fix it;
- DROP: nothing can make this call succeed as sent (Headway built it wrong, the target is gone): record it as a
  dead letter with the reason, visible to admins — never silently.
"""

from __future__ import annotations

from enum import StrEnum


class Behaviour(StrEnum):
    RETRY = "retry"
    HOLD = "hold"
    TELL = "tell"
    DROP = "drop"


# The Web API methods Headway calls (bot/delivery/gateway.py; auth.test by Bolt; apps.connections.open by the Socket
# Mode client; conversations.info/join to check a channel before it is chosen).
SPEC_ERRORS: dict[str, tuple[str, ...]] = {
    "auth.test": ('not_authed', 'invalid_auth', 'token_revoked', 'account_inactive', 'invalid_arg_name',
                  'invalid_array_arg', 'invalid_charset', 'invalid_form_data', 'invalid_post_type',
                  'missing_post_type', 'invalid_json', 'json_not_object', 'request_timeout', 'upgrade_required'),
    "chat.postMessage": ('channel_not_found', 'not_in_channel', 'is_archived', 'msg_too_long', 'no_text',
                         'too_many_attachments', 'rate_limited', 'not_authed', 'invalid_auth', 'account_inactive',
                         'invalid_arg_name', 'invalid_array_arg', 'invalid_charset', 'invalid_form_data',
                         'invalid_post_type', 'missing_post_type'),
    "chat.update": ('message_not_found', 'cant_update_message', 'channel_not_found', 'edit_window_closed',
                    'msg_too_long', 'too_many_attachments', 'rate_limited', 'no_text', 'not_authed', 'invalid_auth',
                    'account_inactive', 'token_revoked', 'no_permission', 'invalid_arg_name', 'invalid_array_arg',
                    'invalid_charset', 'invalid_form_data', 'invalid_post_type', 'missing_post_type',
                    'request_timeout', 'invalid_json', 'json_not_object', 'upgrade_required', 'fatal_error',
                    'is_inactive'),
    "chat.postEphemeral": ('channel_not_found', 'is_archived', 'msg_too_long', 'no_text', 'restricted_action',
                           'too_many_attachments', 'user_not_in_channel', 'not_authed', 'invalid_auth',
                           'account_inactive', 'token_revoked', 'no_permission', 'org_login_required',
                           'invalid_arg_name', 'invalid_array_arg', 'invalid_charset', 'invalid_form_data',
                           'invalid_post_type', 'missing_post_type', 'team_added_to_org', 'invalid_json',
                           'json_not_object', 'request_timeout', 'upgrade_required', 'fatal_error'),
    "conversations.history": ('missing_scope', 'channel_not_found', 'invalid_ts_latest', 'invalid_ts_oldest',
                              'not_authed', 'invalid_auth', 'account_inactive', 'invalid_arg_name',
                              'invalid_array_arg', 'invalid_charset', 'invalid_form_data', 'invalid_post_type',
                              'missing_post_type', 'invalid_json', 'json_not_object', 'request_timeout',
                              'upgrade_required'),
    "conversations.replies": ('missing_scope', 'channel_not_found', 'thread_not_found', 'not_authed',
                              'invalid_auth', 'account_inactive', 'invalid_arg_name', 'invalid_array_arg',
                              'invalid_charset', 'invalid_form_data', 'invalid_post_type', 'missing_post_type',
                              'team_added_to_org', 'invalid_json', 'json_not_object', 'request_timeout',
                              'upgrade_required'),
    "conversations.open": ('method_not_supported_for_channel_type', 'user_not_found', 'user_not_visible',
                           'user_disabled', 'users_list_not_supplied', 'not_enough_users', 'too_many_users',
                           'invalid_user_combination', 'not_authed', 'invalid_auth', 'account_inactive',
                           'invalid_arg_name', 'invalid_array_arg', 'invalid_charset', 'invalid_form_data',
                           'invalid_post_type', 'missing_post_type', 'team_added_to_org', 'invalid_json',
                           'json_not_object', 'request_timeout', 'upgrade_required', 'channel_not_found'),
    "conversations.info": ('missing_scope', 'channel_not_found', 'team_added_to_org', 'not_authed', 'invalid_auth',
                           'account_inactive', 'invalid_arg_name', 'invalid_array_arg', 'invalid_charset',
                           'invalid_form_data', 'invalid_post_type', 'missing_post_type', 'invalid_json',
                           'json_not_object', 'request_timeout', 'upgrade_required'),
    "conversations.join": ('method_not_supported_for_channel_type', 'missing_scope', 'channel_not_found',
                           'is_archived', 'not_authed', 'invalid_auth', 'account_inactive', 'user_is_bot',
                           'user_is_restricted', 'user_is_ultra_restricted', 'invalid_arg_name', 'invalid_array_arg',
                           'invalid_charset', 'invalid_form_data', 'invalid_post_type', 'missing_post_type',
                           'invalid_json', 'json_not_object', 'request_timeout', 'upgrade_required',
                           'team_added_to_org', 'missing_charset', 'superfluous_charset'),
    "users.info": ('user_not_found', 'user_not_visible', 'not_authed', 'invalid_auth', 'account_inactive',
                   'invalid_arg_name', 'invalid_array_arg', 'invalid_charset', 'invalid_form_data',
                   'invalid_post_type', 'missing_post_type', 'team_added_to_org', 'invalid_json', 'json_not_object',
                   'request_timeout', 'upgrade_required'),
}
# Not in the shared spec: the errors their reference pages list (docs.slack.dev/reference/methods/<method>).
DOC_ERRORS: dict[str, tuple[str, ...]] = {
    "views.open": ("duplicate_external_id", "exchanged_trigger_id", "expired_trigger_id", "invalid_trigger_id",
                   "view_too_large", "invalid_arguments", "not_authed", "invalid_auth", "account_inactive",
                   "token_revoked", "request_timeout", "fatal_error"),
    "views.update": ("duplicate_external_id", "hash_conflict", "not_found", "view_too_large", "invalid_arguments",
                     "not_authed", "invalid_auth", "account_inactive", "token_revoked", "request_timeout",
                     "fatal_error"),
    "views.publish": ("hash_conflict", "not_enabled", "not_found", "user_not_found", "view_too_large",
                      "invalid_arguments", "not_authed", "invalid_auth", "account_inactive", "token_revoked",
                      "request_timeout", "fatal_error"),
    "files.getUploadURLExternal": ("invalid_arguments", "not_authed", "invalid_auth", "account_inactive",
                                   "token_revoked", "missing_scope", "request_timeout", "fatal_error"),
    "files.completeUploadExternal": ("file_not_found", "invalid_channel", "invalid_arguments", "not_authed",
                                     "invalid_auth", "account_inactive", "token_revoked", "missing_scope",
                                     "request_timeout", "fatal_error"),
    "apps.connections.open": ("not_authed", "invalid_auth", "not_allowed_token_type", "token_revoked",
                              "account_inactive", "forbidden_team", "missing_args"),
}
# Every method also answers these, though the spec lists them for few: HTTP 429 `ratelimited` (rate-limits page),
# and token/scope refusals (docs.slack.dev/authentication/tokens).
COMMON_ERRORS = ("ratelimited", "token_revoked", "missing_scope", "not_authed", "invalid_auth", "account_inactive")

_RETRY = {"rate_limited", "ratelimited", "request_timeout", "fatal_error", "internal_error", "service_unavailable",
          "hash_conflict"}
_HOLD = {"not_authed", "invalid_auth", "token_revoked", "account_inactive", "missing_scope", "no_permission",
         "team_added_to_org", "org_login_required", "is_inactive", "forbidden_team", "not_enabled",
         "channel_not_found", "not_in_channel", "is_archived", "invalid_channel"}
_TELL = {"invalid_trigger_id", "expired_trigger_id", "exchanged_trigger_id", "user_not_found", "user_not_visible",
         "user_disabled", "restricted_action", "user_is_restricted", "user_is_ultra_restricted",
         "not_allowed_token_type", "missing_args"}
# Per-method exceptions to the defaults above.
_OVERRIDES: dict[tuple[str, str], Behaviour] = {
    # A person is waiting on these: tell them (for users.info the form asks them to pick again).
    **{(m, e): Behaviour.TELL for m in ("views.open", "views.update", "views.publish", "chat.postEphemeral",
                                        "conversations.info", "conversations.join", "apps.connections.open")
       for e in ("not_authed", "invalid_auth", "token_revoked", "account_inactive", "missing_scope",
                 "channel_not_found", "is_archived", "method_not_supported_for_channel_type")},
    # A DM to someone who left or is invisible cannot be sent: dead letter with the reason.
    ("conversations.open", "user_not_found"): Behaviour.DROP,
    ("conversations.open", "user_not_visible"): Behaviour.DROP,
    ("conversations.open", "user_disabled"): Behaviour.DROP,
    ("conversations.open", "channel_not_found"): Behaviour.DROP,
    ("chat.postEphemeral", "user_not_in_channel"): Behaviour.DROP,
    ("views.publish", "user_not_found"): Behaviour.DROP,
}


def behaviour(method: str, error: str) -> Behaviour:
    """What Headway should do when `method` answers `error`; unknown request-shape errors are Headway's bug: DROP."""
    if (method, error) in _OVERRIDES:
        return _OVERRIDES[(method, error)]
    if error in _RETRY:
        return Behaviour.RETRY
    if error in _HOLD:
        return Behaviour.HOLD
    if error in _TELL:
        return Behaviour.TELL
    return Behaviour.DROP


def contract() -> dict[tuple[str, str], Behaviour]:
    """Every (method, error) Headway can meet, with its behaviour class."""
    table: dict[tuple[str, str], Behaviour] = {}
    for method, errors in {**SPEC_ERRORS, **DOC_ERRORS}.items():
        for error in (*errors, *COMMON_ERRORS):
            table[(method, error)] = behaviour(method, error)
    return table


CONTRACT = contract()

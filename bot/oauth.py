""""Add to Slack": Bolt's OAuth flow (AsyncOAuthSettings, AsyncOAuthFlow) with slack_sdk's installation and state
stores on Headway's own database (tables from migration 0013, never created at run time).

- `/slack/install` shows Headway's install page (a state cookie, then Slack's authorize page at
  SLACK_AUTHORIZATION_URL); `/slack/oauth_redirect` is where Slack sends the person back: Bolt checks the state
  (cookie and store, used once), exchanges the code with `oauth.v2.access` at SLACK_API_URL, stores the
  installation and calls `installed` below; every failure (denied, bad or replayed state, a code Slack refuses, a
  mismatched redirect URI) ends on Headway's failure page with a 4xx and nothing stored.
- Requests are authorized by `HeadwayAuthorize`: the same token source the outbox and jobs use
  (bot.delivery.tokens.InstalledTokens), so a rotating token is refreshed in one place.
"""

from __future__ import annotations

import html
import logging
import time
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.delivery.tokens import InstalledTokens, TokenUnavailable
from bot.manifest import BOT_SCOPES
from bot.models.installations import BOTS_TABLE, INSTALLATIONS_TABLE, STATES_TABLE
from bot.render import Renderer
from bot.render.escaping import mrkdwn_unescape

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"  # Bolt's defaults
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600

# Bolt's failure reasons -> (HTTP status, title, why, what to do)
FAILURES: dict[str, tuple[int, str, str, str]] = {
    "access_denied": (403, "Headway was not installed", "You (or your admin) chose Cancel on Slack's page.",
                      "To install it after all, start again and choose Allow."),
    "invalid_browser": (400, "This install link was opened in another browser",
                        "The install started in a different browser (or its cookie was blocked), so Headway cannot "
                        "tell that it is you coming back.", "Start again in this browser."),
    "invalid_state": (400, "This install link has expired or was already used",
                      "Each install link works once, for ten minutes.", "Start again for a fresh link."),
    "missing_code": (400, "Slack sent no authorization code", "The address Slack sent you back to is incomplete.",
                     "Start again."),
    "invalid_code": (400, "Slack did not accept the installation",
                     "Slack refused to exchange the authorization code: it was already used, has expired, or the "
                     "app's Redirect URL does not match HEADWAY_PUBLIC_URL/slack/oauth_redirect.",
                     "Start again; if it keeps failing, an admin compares the Redirect URL in the app's settings "
                     "(OAuth & Permissions) with `headway manifest --oauth`."),
    "storage_error": (503, "Headway could not save the installation", "Its database did not answer.",
                      "Try again in a minute; if it keeps failing, tell whoever runs Headway."),
}


def build_stores(settings: Settings, engine: AsyncEngine) -> tuple[AsyncSQLAlchemyInstallationStore,
                                                                    AsyncSQLAlchemyOAuthStateStore]:
    """slack_sdk's async SQLAlchemy stores on Headway's engine (its tables come from the migration)."""
    installations = AsyncSQLAlchemyInstallationStore(
        client_id=str(settings.slack_client_id), engine=engine, bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE, logger=log)
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine, logger=log,
                                            table_name=STATES_TABLE)
    return installations, states


async def store_installation(installations: AsyncSQLAlchemyInstallationStore, *, team_id: str, team_name: str,
                             bot_token: str, bot_user_id: str, bot_id: str, app_id: str, installer: str) -> None:
    """A workspace's installation stored as Bolt's flow stores it, for a workspace installed before Headway ran
    (the playground's first workspace, a benchmark's workspaces): the token source reads it like any other."""
    await installations.async_save(Installation(
        app_id=app_id, enterprise_id=None, team_id=team_id, team_name=team_name, bot_token=bot_token, bot_id=bot_id,
        bot_user_id=bot_user_id, bot_scopes=list(BOT_SCOPES), user_id=installer, installed_at=time.time()))


def oauth_client(settings: Settings) -> AsyncWebClient:
    """The client for oauth.v2.access (code exchange and token refresh): no token, Headway's Slack API URL."""
    return AsyncWebClient(base_url=settings.slack_api_url, timeout=settings.slack_timeout_seconds)


def build_rotator(settings: Settings) -> AsyncTokenRotator:
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    return AsyncTokenRotator(client_id=str(settings.slack_client_id), client_secret=secret,
                             client=oauth_client(settings))


class HeadwayAuthorize(AsyncAuthorize):
    """Bolt's authorize step from Headway's token source: the workspace's installation (or its organization's
    org-wide one), refreshed if it expires soon. Also notes which organization a workspace belongs to."""

    def __init__(self, tokens: InstalledTokens, note: Any) -> None:
        self.tokens, self.note = tokens, note

    async def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, **_: Any) -> AuthorizeResult | None:
        is_org = bool(getattr(context, "is_enterprise_install", False))
        installation = await self.tokens.installation(enterprise_id, team_id, is_org)
        if installation is None:
            return None
        token = installation.bot_token
        if team_id:
            await self.note(team_id, enterprise_id)
            try:
                token = await self.tokens.token(team_id)  # refreshed when it expires soon
            except TokenUnavailable as missing:
                log.warning("no working token for %s: %s", team_id, missing)
                return None
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token,
                               bot_id=installation.bot_id, bot_user_id=installation.bot_user_id,
                               bot_scopes=installation.bot_scopes, user_id=user_id)


class HeadwayOAuthFlow(AsyncOAuthFlow):
    """Bolt's flow with Headway's install page."""

    renderer: Renderer

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return render_page(self.renderer, "oauth/install.json.j2", url=url)


def render_page(renderer: Renderer, template: str, **context: Any) -> str:
    """A small HTML page from a JSON template (title, paragraphs, optional button): Headway's words in
    templates/oauth/, rendered by the one Jinja environment, then escaped for HTML here."""
    page = renderer.render_json(template, **context)

    def text(value: Any) -> str:
        return html.escape(mrkdwn_unescape(str(value)))

    body = "".join(f"<p>{text(p)}</p>" for p in page.get("paragraphs", []))
    if page.get("button") and page.get("url"):
        body += (f"<p><a class='button' href='{html.escape(mrkdwn_unescape(page['url']), quote=True)}'>"
                 f"{text(page['button'])}</a></p>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{text(page['title'])}</title><style>body{{font-family:sans-serif;max-width:36em;margin:3em auto;"
            "line-height:1.5}.button{background:#4a154b;color:#fff;padding:.6em 1.2em;border-radius:4px;"
            f"text-decoration:none}}</style></head><body><h1>{text(page['title'])}</h1>{body}</body></html>")


def build_oauth_flow(settings: Settings, renderer: Renderer, installations: AsyncSQLAlchemyInstallationStore,
                     states: AsyncSQLAlchemyOAuthStateStore, installed: Any) -> HeadwayOAuthFlow:
    """Bolt's OAuth flow; `installed(installation)` runs after an installation is stored."""

    def html_response(status: int, body: str) -> BoltResponse:
        return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        await installed(installation)
        where = (installation.enterprise_name if installation.is_enterprise_install else installation.team_name) \
            or installation.team_id or installation.enterprise_id or "your workspace"
        return html_response(200, render_page(renderer, "oauth/success.json.j2", where=where,
                                              org_wide=bool(installation.is_enterprise_install)))

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        status, title, why, fix = FAILURES.get(args.reason, FAILURES["invalid_code"])
        log.warning("an installation failed: %s", args.reason)
        return html_response(status, render_page(renderer, "oauth/failure.json.j2", title=title, why=why, fix=fix,
                                                 install_url=settings.base_url + INSTALL_PATH))

    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id, client_secret=secret, scopes=list(BOT_SCOPES), user_scopes=[],
        redirect_uri=settings.oauth_redirect_url, install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_authorization_url, installation_store=installations,
        installation_store_bot_only=True, state_store=states, state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
        token_rotation_expiration_minutes=settings.token_rotation_minutes, logger=log,
    )
    flow = HeadwayOAuthFlow(client=oauth_client(settings), settings=oauth_settings, logger=log)
    flow.renderer = renderer
    return flow

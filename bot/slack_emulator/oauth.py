"""Slack's OAuth v2 for the emulator: the authorize page, `oauth.v2.access` (code exchange and token rotation) and
an organization of several workspaces (Enterprise Grid).

Rules, with their sources:
- The authorize page is `GET /oauth/v2/authorize?client_id&scope&user_scope&state&redirect_uri`; the person picks a
  workspace (or, on Enterprise Grid, the whole organization) and approves or cancels. Approval redirects to the
  redirect URI with `code` and `state`; cancelling with `error=access_denied` and `state`
  (https://docs.slack.dev/authentication/installing-with-oauth, "Asking for scopes" and "Waiting for a user to
  approve your requested scopes").
- A `redirect_uri` given to the authorize page must match one of the app's configured Redirect URLs (or be below
  one); without one the first configured URL is used (same page, "Using the redirect_uri parameter").
- `oauth.v2.access` (../shared/slack/web-api.openapi.v2.json: `client_id`, `client_secret`, `code`, `redirect_uri`
  "must match the originally submitted URI (if one was sent)"; no token, security `none`). Client credentials come
  as parameters or HTTP Basic auth ("Exchanging a temporary authorization code for an access token"). Errors
  (https://docs.slack.dev/reference/methods/oauth.v2.access): `invalid_client_id`, `bad_client_secret`,
  `invalid_code` (unknown, expired or already used: a code works once, within 10 minutes), `bad_redirect_uri`,
  `invalid_grant_type`, `invalid_refresh_token`.
- The answer: `access_token`, `token_type: bot`, `scope`, `bot_user_id`, `app_id`, `team {id,name}` (null for an
  org-wide install), `enterprise {id,name}` or null, `is_enterprise_install`, `authed_user {id,…}` (same page,
  "Example response"). Org-wide installs: https://docs.slack.dev/enterprise-grid/developing-for-enterprise-grid.
- Token rotation (https://docs.slack.dev/authentication/using-token-rotation): with rotation on, the access token
  (`xoxe.xoxb-…`) comes with `expires_in` (12 hours) and a `refresh_token` (`xoxe-1-…`); `oauth.v2.access` with
  `grant_type=refresh_token` and the refresh token returns a new pair and revokes the old refresh token; an access
  token used after it expired answers `token_expired`.
"""

from __future__ import annotations

import base64
import html
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from .auth import Token

if TYPE_CHECKING:
    from .server import SlackEmulator

CODE_TTL_SECONDS = 600  # "a temporary authorization code … expires after ten minutes"
ORG_PREFIX = "org:"


@dataclass
class OAuthApp:
    """The app as registered at api.slack.com/apps: its credentials, Redirect URLs and token rotation."""

    client_id: str = "1234567890.0987654321"
    client_secret: str = "emulator-client-secret"
    redirect_urls: list[str] = field(default_factory=list)
    token_rotation: bool = False
    token_lifetime_seconds: int = 43200  # 12 hours


@dataclass
class Grant:
    """A code handed to the redirect URI: which workspace(s) approved, for which redirect URI and scopes."""

    code: str
    team_ids: list[str]
    enterprise_id: str | None
    org_wide: bool
    user_id: str
    scopes: tuple[str, ...]
    redirect_uri: str | None
    issued_at: float
    used: bool = False


@dataclass
class Refresh:
    """A refresh token and the access token it replaces."""

    team_ids: list[str]
    org_wide: bool
    scopes: tuple[str, ...]


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'><h1>{html.escape(title)}</h1>"
            f"{body}</body></html>")
    return web.Response(text=text, status=status, content_type="text/html")


class OAuthControl:
    """Mixin for SlackEmulator: the app's OAuth registration, the authorize page and `oauth.v2.access`."""

    oauth_app: OAuthApp | None
    grants: dict[str, Grant]
    refreshes: dict[str, Refresh]

    def configure_oauth(self: SlackEmulator, app: OAuthApp | None = None, **fields: Any) -> OAuthApp:
        """Register the app for OAuth (client id/secret, Redirect URLs, token rotation)."""
        self.oauth_app = app or OAuthApp(**fields)
        return self.oauth_app

    # ----------------------------------------------------------- the page
    def _redirect_for(self: SlackEmulator, given: str | None) -> str | None:
        app = self.oauth_app
        assert app is not None
        if not given:
            return app.redirect_urls[0] if app.redirect_urls else None
        if not app.redirect_urls or any(given == url or given.startswith(url.rstrip("/") + "/")
                                        for url in app.redirect_urls):
            return given
        return None

    async def _authorize_page(self: SlackEmulator, request: web.Request) -> web.Response:
        query = request.query
        app = self.oauth_app
        if app is None or query.get("client_id") != app.client_id:
            return _page("Invalid client_id parameter", "<p>No app has this client id.</p>", 400)
        redirect = self._redirect_for(query.get("redirect_uri"))
        if redirect is None:
            return _page("redirect_uri did not match any configured URIs",
                         f"<p>Passed URI: {html.escape(query.get('redirect_uri', ''))}</p>", 400)
        options = []
        for ws in self.all_workspaces():
            options.append(f"<option value='{html.escape(ws.config.team_id)}'>{html.escape(ws.config.team_name)}"
                           "</option>")
        for enterprise_id, name in self.organizations().items():
            options.append(f"<option value='{ORG_PREFIX}{html.escape(enterprise_id)}'>{html.escape(name)} "
                           "(whole organization)</option>")
        people = sorted({(u.id, u.real_name or u.name) for ws in self.all_workspaces()
                         for u in ws.state.users.values() if (u.is_admin or u.is_owner) and not u.is_bot})
        installers = "".join(f"<option value='{html.escape(uid)}'>{html.escape(name)}</option>"
                             for uid, name in people)
        hidden = "".join(f"<input type='hidden' name='{k}' value='{html.escape(query.get(k, ''))}'>"
                         for k in ("client_id", "scope", "user_scope", "state", "redirect_uri"))
        form = (f"<form method='post' action='/oauth/v2/authorize'>{hidden}"
                f"<p>Headway is requesting permission to access a Slack workspace: "
                f"{html.escape(query.get('scope', ''))}</p>"
                f"<p><label>Workspace <select name='team'>{''.join(options)}</select></label></p>"
                f"<p><label>You are <select name='user'>{installers}</select></label></p>"
                "<button name='decision' value='allow'>Allow</button> "
                "<button name='decision' value='deny'>Cancel</button></form>")
        return _page("Install the app", form)

    async def _authorize_decision(self: SlackEmulator, request: web.Request) -> web.Response:
        form = await request.post()
        get = lambda key: str(form.get(key) or "")  # noqa: E731
        app = self.oauth_app
        if app is None or get("client_id") != app.client_id:
            return _page("Invalid client_id parameter", "<p>No app has this client id.</p>", 400)
        redirect = self._redirect_for(get("redirect_uri") or None)
        if redirect is None:
            return _page("redirect_uri did not match any configured URIs", "", 400)
        state = get("state")
        if get("decision") != "allow":
            raise web.HTTPFound(_with_query(redirect, {"error": "access_denied", "state": state}))
        team = get("team")
        org_wide = team.startswith(ORG_PREFIX)
        if org_wide:
            enterprise_id = team.removeprefix(ORG_PREFIX)
            team_ids = [ws.config.team_id for ws in self.all_workspaces() if ws.config.enterprise_id == enterprise_id]
        else:
            ws = self.workspace(team)
            enterprise_id, team_ids = (ws.config.enterprise_id if ws else None), [team]
        if not team_ids or not all(self.workspace(t) for t in team_ids):
            return _page("Unknown workspace", "", 400)
        code = f"{int(time.time())}.{uuid.uuid4().hex}"
        scopes = tuple(s for s in get("scope").split(",") if s)
        self.grants[code] = Grant(code, team_ids, enterprise_id, org_wide, get("user"), scopes,
                                  get("redirect_uri") or None, time.time())
        raise web.HTTPFound(_with_query(redirect, {"code": code, "state": state}))

    # ------------------------------------------------------ oauth.v2.access
    def oauth_v2_access(self: SlackEmulator, params: dict[str, Any], authorization: str) -> dict[str, Any]:
        app = self.oauth_app
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if authorization.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError:
                return {"ok": False, "error": "invalid_client_id"}
        if app is None or client_id != app.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != app.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        grant_type = params.get("grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            refresh = self.refreshes.pop(str(params.get("refresh_token") or ""), None)
            if refresh is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return self._issue(refresh.team_ids, refresh.org_wide, refresh.scopes, None)
        if grant_type != "authorization_code":
            return {"ok": False, "error": "invalid_grant_type"}
        grant = self.grants.get(str(params.get("code") or ""))
        if grant is None or grant.used or time.time() - grant.issued_at > CODE_TTL_SECONDS:
            return {"ok": False, "error": "invalid_code"}
        if grant.redirect_uri and params.get("redirect_uri") != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        grant.used = True
        return self._issue(grant.team_ids, grant.org_wide, grant.scopes, grant.user_id)

    def _issue(self: SlackEmulator, team_ids: list[str], org_wide: bool, scopes: tuple[str, ...],
               user_id: str | None) -> dict[str, Any]:
        """A new bot token for these workspaces (one org token for all of them when org-wide)."""
        app = self.oauth_app
        assert app is not None
        rotating = app.token_rotation
        value = f"{'xoxe.' if rotating else ''}xoxb-{uuid.uuid4().hex[:20]}"
        workspaces = [ws for ws in (self.workspace(t) for t in team_ids) if ws is not None]
        first = workspaces[0]
        token = Token(value, "bot", scopes or tuple(first.config.scopes))
        if rotating:
            token.expires_at = first.state.now() + app.token_lifetime_seconds
        for ws in workspaces:
            ws.state.tokens[value] = token
            ws.state.installed = True
            ws.state.org_installed = org_wide
            ws.config.bot_token = value
        config = first.config
        answer: dict[str, Any] = {
            "ok": True, "access_token": value, "token_type": "bot", "scope": ",".join(token.scopes),
            "bot_user_id": config.bot_user_id, "app_id": config.app_id,
            "team": None if org_wide else {"id": config.team_id, "name": config.team_name},
            "enterprise": ({"id": config.enterprise_id, "name": self.organizations()[config.enterprise_id]}
                           if config.enterprise_id else None),
            "is_enterprise_install": org_wide,
            "authed_user": {"id": user_id or ""},
        }
        if rotating:
            refresh = f"xoxe-1-{uuid.uuid4().hex}"
            self.refreshes[refresh] = Refresh(team_ids, org_wide, token.scopes)
            answer.update(refresh_token=refresh, expires_in=app.token_lifetime_seconds)
        return answer

    def advance_clock(self: SlackEmulator, seconds: float) -> None:
        """Move Slack's clock (token expiry) forward, for every workspace."""
        for ws in self.all_workspaces():
            ws.state.clock_offset += seconds


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def add_oauth_routes(app: web.Application, emulator: SlackEmulator) -> None:
    app.router.add_get("/oauth/v2/authorize", emulator._authorize_page)
    app.router.add_post("/oauth/v2/authorize", emulator._authorize_decision)

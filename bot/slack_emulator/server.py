"""The emulator itself: a real aiohttp server on loopback speaking Slack's Web API.

`SlackEmulator` owns the workspace state, the rate limiter and the fault
injector, serves `/api/<method>` plus the `/_emulator/*` control surface, and
offers Python helpers for tests (recorded calls, messages, views, faults).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .api import decode_json_params
from .auth import METHOD_SCOPES, AuthError, authenticate, needed_scope
from .config import EmulatorChannel, EmulatorConfig, EmulatorUser
from .control import add_control_routes
from .faults import FaultInjector
from .guard import guard
from .install import InstallControl
from .methods import call_method, is_known
from .methods_functions import FunctionControl
from .oauth import OAuthApp, OAuthControl, add_oauth_routes
from .ratelimit import RateLimiter
from .socket_mode import SocketHub, deliver_route
from .state import RecordedCall, WorkspaceState
from .statuses import StatusControl
from .support import DriverSupport

log = logging.getLogger(__name__)


async def read_params(request: web.Request) -> dict[str, Any] | None:
    """Merge query string and body (form, multipart or JSON); None if the JSON is broken."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            return None
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key in form:
            value = form[key]
            params[key] = value if isinstance(value, str) else getattr(value, "filename", "")
    return params


class SlackEmulator(DriverSupport, InstallControl, FunctionControl, StatusControl, OAuthControl):
    """A Slack workspace on 127.0.0.1; use `async with SlackEmulator(config) as emu:`.

    More workspaces (and Enterprise Grid organizations) join with `add_workspace(config)`: each is a
    SlackEmulator of its own state, rate limits and faults, served by this one's server; a Web API call acts on
    the workspace its token belongs to (an org-wide token: the workspace that has the channel or user named).
    """

    def __init__(self, config: EmulatorConfig | None = None, *, oauth: OAuthApp | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.state = WorkspaceState(self.config)
        self.limiter = RateLimiter(self.config.rate_limits)
        self.faults = FaultInjector(self.config.fault_timeout_seconds)
        self.hub = SocketHub(self.state)
        self._event_tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.root: SlackEmulator = self
        self.others: dict[str, SlackEmulator] = {}  # team_id -> the other workspaces served here
        self.oauth_app = oauth
        self.grants: dict = {}
        self.refreshes: dict = {}

    # --------------------------------------------------------- workspaces
    def add_workspace(self, config: EmulatorConfig) -> SlackEmulator:
        """Another workspace on this Slack (same app, same server), e.g. a second team or a Grid sibling."""
        child = SlackEmulator(config)
        child.root, child.hub, child._event_tasks = self, self.hub, self._event_tasks
        self.root.others[config.team_id] = child
        return child

    def all_workspaces(self) -> list[SlackEmulator]:
        return [self.root, *self.root.others.values()]

    def workspace(self, team_id: str) -> SlackEmulator | None:
        return next((ws for ws in self.all_workspaces() if ws.config.team_id == team_id), None)

    def organizations(self) -> dict[str, str]:
        """Enterprise Grid organizations: id -> name."""
        return {ws.config.enterprise_id: ws.config.enterprise_name or ws.config.enterprise_id
                for ws in self.all_workspaces() if ws.config.enterprise_id}

    def holding(self, collection: str, key: str) -> SlackEmulator:
        """The workspace whose state has `key` in `collection` (a response_url, a file); this one if none."""
        return next((ws for ws in self.all_workspaces() if key in getattr(ws.state, collection)), self)

    def _owner(self, token: str | None, params: dict[str, Any]) -> SlackEmulator:
        """The workspace a call acts on: the one its token belongs to; for a token several workspaces share (an
        org-wide install), the one that knows the channel or user named in the call."""
        holders = [ws for ws in self.all_workspaces() if token and token in ws.state.tokens] or [self]
        # where the token still works first (an org token revoked in one workspace by uninstall_from_workspace
        # works in the others): a Grid user is a member of several workspaces, and a call naming only them, or
        # nothing (auth.test), reaches the organization through the workspaces that still have the app
        holders.sort(key=lambda ws: getattr(ws.state.tokens.get(token or ""), "dead", "gone") is not None)
        if len(holders) > 1:
            for key, collection in (("trigger_id", "triggers"), ("view_id", "views"), ("file_id", "files")):
                ref = params.get(key)
                for ws in holders:
                    if isinstance(ref, str) and ref in getattr(ws.state, collection):
                        return ws
            for key in ("channel", "user", "users", "user_id"):
                ref = params.get(key)
                if isinstance(ref, str) and ref:
                    ref = ref.split(",")[0]
                    for ws in holders:
                        if ref in ws.state.channels or ref in ws.state.dm_channels:
                            return ws
                    for ws in holders:
                        if ref in ws.state.users:
                            return ws
        return holders[0]

    # ------------------------------------------------------------ lifecycle
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[guard])  # loopback Host, same origin, body limit: see guard.py
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/_emulator/socket", self.hub.handle)
        app.router.add_post("/_emulator/socket/deliver", self._deliver_socket)
        add_control_routes(app, self)
        add_oauth_routes(app, self)
        return app

    async def _deliver_socket(self, request: web.Request) -> web.Response:
        return await deliver_route(request, self.hub)

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        await self.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self.root is not self:
            return self.root.base_url
        if self.port is None:
            raise RuntimeError("emulator not started")
        return f"http://{self.config.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL for slack_sdk clients (`base_url=`), with the trailing slash."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------- web api
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await read_params(request)
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else None
        if params is not None:
            token = token or params.get("token")
            params.pop("token", None)
        if method == "oauth.v2.access" and params is not None:  # no token: the app's client id and secret
            failure = self.faults.draw(method)[0]  # fail_next("oauth.v2.access", error="invalid_refresh_token")
            body = ({"ok": False, "error": failure.error or "internal_error"} if failure is not None
                    else self.oauth_v2_access(params, header))
            self.state.calls.append(RecordedCall(method, {k: v for k, v in params.items() if k != "client_secret"},
                                                 200, body, time.time()))
            return web.json_response(body, dumps=json.dumps)
        return await self._owner(token, params or {})._answer(method, params, token)

    async def _answer(self, method: str, params: dict[str, Any] | None, token: str | None) -> web.Response:
        """A Web API call acting on this workspace."""
        recorded = decode_json_params(params or {})
        headers: dict[str, str] = {}
        failure, delay, delay_label = self.faults.draw(method) if is_known(method) else (None, 0.0, None)
        fault = failure.label if failure else delay_label
        caller = None
        if params is None:
            status, body = 200, {"ok": False, "error": "invalid_json"}
        elif not is_known(method):
            status, body = 200, {"ok": False, "error": "unknown_method"}
        elif failure is not None:
            status, body = failure.status, {"ok": False, "error": failure.error or "internal_error", **failure.extra}
            if failure.status == 429:
                headers["Retry-After"] = str(failure.retry_after)
        else:
            try:
                caller = authenticate(self.state, method, token, params)
            except AuthError as refused:
                status, body = 200, {"ok": False, "error": refused.error, **refused.extra}
            else:
                retry_after = self.limiter.check(method, self._rate_channel(method, params))
                if retry_after is not None:
                    status, body = 429, {"ok": False, "error": "ratelimited"}
                    headers["Retry-After"] = str(retry_after)
                    fault = fault or "ratelimited"
                else:
                    status, body = call_method(self.state, method, params, self.base_url, caller)
        found = self.state.tokens.get(token or "")
        if found is not None and not found.dead:
            # Slack answers every authenticated call with the granted and the accepted scopes (auth.test reference).
            headers["x-oauth-scopes"] = ",".join(found.scopes)
            headers["x-accepted-oauth-scopes"] = needed_scope(self.state, method, params or {}) or ""
        self.state.calls.append(RecordedCall(method, recorded, status, body, time.time(), fault))
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(body, status=status, headers=headers, dumps=json.dumps)

    def _rate_channel(self, method: str, params: dict[str, Any]) -> str | None:
        ref = params.get("channel")
        if method != "chat.postMessage" or not isinstance(ref, str):
            return None
        return self.state.dm_id_for([ref]) if ref in self.state.users else ref

    # ------------------------------------------------------ test helpers
    @property
    def calls(self) -> list[RecordedCall]:
        return self.state.calls

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.state.calls if c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages currently in a channel (a user id means the DM with that user)."""
        channel_id = self.state.dm_id_for([channel]) if channel in self.state.users else channel
        return self.state.channel_messages(channel_id)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if m.get("thread_ts") == ts or m["ts"] == ts]

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        return self.state.ephemerals

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        return self.state.views

    @property
    def responses(self) -> list[dict[str, Any]]:
        return self.state.responses

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.state.files

    @property
    def users(self) -> dict[str, EmulatorUser]:
        return self.state.users

    def user_names(self) -> dict[str, str]:
        return {u.id: u.display_name or u.name for u in self.state.users.values()}

    def reset(self) -> None:
        """Clear calls, messages, views, faults and rate buckets; keep users and channels."""
        self.state.clear()
        self.faults.clear()
        self.limiter.reset()

    def add_user(self, user: EmulatorUser | None = None, **fields: Any) -> EmulatorUser:
        user = user or EmulatorUser(**fields)
        self.state.users[user.id] = user
        return user

    def add_channel(self, channel: EmulatorChannel | None = None, **fields: Any) -> EmulatorChannel:
        channel = channel or EmulatorChannel(**fields)
        self.state.channels[channel.id] = channel
        return channel

    def add_message(
        self, channel: str, user_id: str, text: str, thread_ts: str | None = None, blocks: list | None = None
    ) -> dict[str, Any]:
        """Seed a message written by a person (returns it, with its ts)."""
        channel_id = self.state.resolve_channel(channel) or channel
        message = copy.deepcopy(self.state.user_message(channel_id, user_id, text, thread_ts, blocks))
        return {**message, "channel": channel_id}

    # -------------------------------------------------------------- faults
    def fail_next(
        self,
        method: str | None,
        *,
        status: int | None = None,
        error: str | None = None,
        count: int = 1,
        retry_after: int = 1,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Queue failures; a `missing_scope` gets Slack's needed/provided fields unless `extra` gives them."""
        if error == "missing_scope" and not extra:
            granted = ",".join(self.state.bot_token().scopes)
            extra = {"needed": METHOD_SCOPES.get(method or "", "chat:write"), "provided": granted}
        self.faults.fail_next(method, status=status, error=error, count=count, retry_after=retry_after, extra=extra)

    def slow_next(self, method: str | None, *, seconds: float, count: int = 1) -> None:
        self.faults.slow_next(method, seconds=seconds, count=count)

    def set_fault_rate(
        self, method: str | None, rate: float, kinds: Any = ("500", "timeout", "429"), seed: int | None = None
    ) -> None:
        self.faults.set_fault_rate(method, rate, tuple(kinds), seed)

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_rate_limit(self, method: str, rate_per_second: float, burst: float) -> None:
        self.limiter.set_limit(method, rate_per_second, burst)

    def set_post_budget(self, per_minute: float | None) -> None:
        """Workspace-wide chat.postMessage budget, messages per minute (None: off)."""
        self.limiter.set_post_budget(per_minute)

    def set_rate_limits_enabled(self, enabled: bool) -> None:
        self.config.rate_limits.enabled = enabled

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01) -> Any:
        """Poll until `predicate()` is truthy; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met within timeout")
            await asyncio.sleep(interval)

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[RecordedCall]:
        return await self.wait_until(lambda: len(self.calls_to(method)) >= count and self.calls_to(method), timeout)

"""`headway check`, also run by `headway serve` before it starts: is this configuration going to work?

One `Check` per thing an operator can get wrong, each with the fix in its own words. Checks stop at the first
settings problem (nothing else can be judged without settings); the rest all run, so one pass shows everything.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError, Settings, load_settings
from bot.manifest import BOT_SCOPES, OPTIONAL_SCOPES

TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"


def passed(checks: list[Check]) -> bool:
    return all(check.ok for check in checks)


async def run_checks(*, socket_mode: bool = False, fail_fast: bool = False, port: bool = False,
                     overrides: dict[str, object] | None = None,
                     open_socket: bool = True) -> tuple[Settings | None, list[Check]]:
    """Every check, in the order an operator would fix them; `fail_fast` stops at the first failure (serve).

    `open_socket=False` (serve) leaves the app-level token to the Socket Mode connect that follows: checking it
    costs an apps.connections.open, a Tier 1 method (1 a minute), so checking then connecting would be refused
    as rate limited; the connect names a refused SLACK_APP_TOKEN in one line just the same."""
    try:
        settings = load_settings(**(overrides or {}))
    except ConfigError as error:
        return None, [Check("settings", False, str(error))]
    checks = [Check("settings", True, f"read from the environment{' and .env' if os.path.exists('.env') else ''}")]  # noqa: ASYNC240
    steps = [
        lambda: _credentials(settings, socket_mode),
        lambda: lifecycle_check(settings),
        lambda: template_checks(settings),
        lambda: port_check(settings.host, settings.port) if port else [],
        lambda: database_check(settings),
        lambda: (_oauth_checks(settings) if settings.oauth_enabled else
                 slack_checks(settings, socket_mode=socket_mode and open_socket)) if checks[1].ok else [],
    ]
    for step in steps:
        result = step()
        if asyncio.iscoroutine(result):
            result = await result
        checks.extend(result if isinstance(result, list) else [result])
        if fail_fast and not passed(checks):
            break
    return settings, checks


async def _oauth_checks(settings: Settings) -> list[Check]:
    from bot.oauth_checks import oauth_checks

    return await oauth_checks(settings)


def _credentials(settings: Settings, socket_mode: bool) -> Check:
    try:
        settings.require_slack(socket_mode=socket_mode)
    except ConfigError as error:
        return Check("Slack credentials", False, str(error))
    if settings.oauth_enabled:
        return Check("Slack credentials", True, "\"Add to Slack\" (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)")
    return Check("Slack credentials", True, "set" + (" (Socket Mode)" if socket_mode else ""))


def lifecycle_check(settings: Settings) -> Check:
    from bot.lifecycle import LifecycleError, builtin_keys, load_lifecycle_file

    if settings.lifecycle_file is None:
        return Check("lifecycle", True, f"built-in ({', '.join(builtin_keys())}); set HEADWAY_LIFECYCLE for your own")
    try:
        lifecycle = load_lifecycle_file(settings.lifecycle_file)
    except LifecycleError as error:
        # Lead with a typo's "did you mean": the other problems are usually its consequences.
        ranked = sorted(error.problems, key=lambda p: "did you mean" not in p.message)
        first = ranked[0].render(error.source) if ranked else str(error)
        more = f" (and {len(error.problems) - 1} more problems)" if len(error.problems) > 1 else ""
        return Check("lifecycle", False, f"HEADWAY_LIFECYCLE {first}{more}: fix the file or unset HEADWAY_LIFECYCLE")
    return Check("lifecycle", True, f"{settings.lifecycle_file}: {len(lifecycle.stages)} stages")


def template_checks(settings: Settings) -> list[Check]:
    """One line for all good overrides, one per bad one (HEADWAY_TEMPLATES_DIR)."""
    if settings.templates_dir is None:
        return [Check("templates", True, "built-in; set HEADWAY_TEMPLATES_DIR to override some")]
    from bot.render.overrides import check_overrides

    good, problems = check_overrides(settings.templates_dir)
    where = settings.templates_dir
    checks = [Check("templates", False, f"HEADWAY_TEMPLATES_DIR {where}/{p.name} {p.problem}") for p in problems]
    if good or not problems:
        checks.insert(0, Check("templates", True, f"{len(good)} override(s) in {where} render valid Block Kit"))
    return checks


def describe_database(url: str) -> str:
    """The database without its password, for output people may paste."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def database_check(settings: Settings) -> Check:
    from bot.db import create_engine
    from bot.migrate import current_revisions, head_revisions

    shown = describe_database(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        if engine.dialect.name == "sqlite":
            path = engine.url.database
            if path and not os.path.exists(path):  # noqa: ASYNC240 (a stat)
                return Check("database", False, f"{shown}: no database file yet: run `headway migrate`")
        async with asyncio.timeout(TIMEOUT):
            current = await current_revisions(engine)
    except Exception as error:  # refused, unknown host, bad password, timeout: say which, in one line
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        return Check("database", False, f"{shown} is unreachable ({reason}): check DATABASE_URL and that the "
                                        "server is running")
    finally:
        await engine.dispose()
    heads = head_revisions()
    if not current:
        return Check("database", False, f"{shown} has no Headway schema yet: run `headway migrate`")
    if current != heads:
        return Check("database", False, f"{shown} is at revision {', '.join(sorted(current))}, this Headway needs "
                                        f"{', '.join(sorted(heads))}: run `headway migrate`")
    return Check("database", True, f"{shown} at revision {', '.join(sorted(current))} (head)")


async def slack_checks(settings: Settings, *, socket_mode: bool = False) -> list[Check]:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT)
    checks: list[Check] = []
    try:
        response = await client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", "error")
        return [Check("Slack auth", False, f"SLACK_BOT_TOKEN was refused by Slack ({code}): copy the Bot User "
                                           "OAuth Token again from your app's OAuth & Permissions page")]
    except Exception as error:
        return [Check("Slack auth", False, f"cannot reach Slack at SLACK_API_URL {settings.slack_api_url} "
                                           f"({type(error).__name__}: {str(error)[:120]})")]
    checks.append(Check("Slack auth", True, f"bot @{response.get('user')} in {response.get('team')} "
                                            f"({response.get('team_id')})"))
    checks.append(scope_check(response.headers))
    checks.append(canvas_check(response.headers))
    if socket_mode:
        checks.append(await app_token_check(settings))
    return checks


def scope_check(headers: dict[str, str] | None) -> Check:
    granted_header = next((v for k, v in (headers or {}).items() if k.lower() == "x-oauth-scopes"), None)
    if granted_header is None:
        return Check("scopes", True, "Slack did not report the granted scopes; compare them with `headway manifest`")
    granted = {s.strip() for s in granted_header.split(",") if s.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted and scope not in OPTIONAL_SCOPES]
    if missing:
        return Check("scopes", False, f"the bot token lacks {', '.join(missing)}: add them under OAuth & Permissions "
                                      "(or paste `headway manifest`) and reinstall the app")
    return Check("scopes", True, f"all {len(BOT_SCOPES)} scopes of the manifest granted" if not [
        s for s in OPTIONAL_SCOPES if s not in granted] else f"the {len(BOT_SCOPES) - len(OPTIONAL_SCOPES)} scopes "
        "Headway needs are granted")


def canvas_check(headers: dict[str, str] | None) -> Check:
    """Canvases are optional: without canvases:write each project simply has no dossier canvas."""
    granted_header = next((v for k, v in (headers or {}).items() if k.lower() == "x-oauth-scopes"), None)
    if granted_header is None:
        return Check("canvases", True, "Slack did not report the granted scopes; project canvases need "
                                       "canvases:write")
    if "canvases:write" in {s.strip() for s in granted_header.split(",")}:
        return Check("canvases", True, "canvases:write granted: each project with a channel keeps its dossier canvas")
    return Check("canvases", True, "canvases:write not granted: projects work without their dossier canvas; add the "
                                   "scope and reinstall the app to get them")


async def app_token_check(settings: Settings) -> Check:
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT)
    try:
        await client.apps_connections_open(app_token=token)
    except SlackApiError as error:
        code = error.response.get("error", "error")
        if code == "unknown_method":
            return Check("Socket Mode", True, "app-level token set (this Slack API cannot verify it)")
        return Check("Socket Mode", False, f"SLACK_APP_TOKEN was refused by Slack ({code}): create an app-level "
                                           "token with connections:write under Basic Information")
    except Exception as error:
        return Check("Socket Mode", False, f"cannot reach Slack at SLACK_API_URL ({type(error).__name__})")
    return Check("Socket Mode", True, "app-level token accepted")


def port_check(host: str, port: int) -> Check:
    """Before the app starts: is the address free? (uvicorn would only say so after startup.)"""
    if port == 0:
        return Check("port", True, "any free port")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return Check("port", False, f"{host}:{port} is not available ({error.strerror or error}): stop what "
                                        "uses it, or choose another with HEADWAY_PORT or --port")
    return Check("port", True, f"{host}:{port} is free")

"""The emulator's server guards itself: it is for one person on one machine (the tests, the demo, the playground).

Every request, before its handler runs:
- **Host** must be a loopback name (localhost, 127.0.0.1, [::1]) with this server's own port, or 403: a page on
  another site cannot reach it through DNS rebinding although the server binds to loopback only.
- **Same origin**: on anything but the page, its static files and Slack's OAuth authorize page (GET
  /oauth/v2/authorize, which an app's "Add to Slack" link opens from the app's own site, as a navigation:
  https://docs.slack.dev/authentication/installing-with-oauth; it only shows the form, whose POST is
  same-origin) (so every API read, every state-changing route
  and both WebSockets), an `Origin` other than the server's own, or `Sec-Fetch-Site` other than `same-origin` /
  `none`, is 403 — what browsers send for a cross-site form, fetch or WebSocket. Headway, the driver and the tests
  send neither header (they are not browsers) and pass.
- **JSON**: the playground's state-changing routes (POST /playground/api/*) take `application/json` only (415),
  which a foreign page cannot send without a CORS preflight this server never grants.
- **Body limit**: the route's maximum from bot/body_limit.py's one table, before the body is read (413).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aiohttp import web

from bot.body_limit import limit_for, too_large_body

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
PAGE_PATHS = ("/playground/static/", "/playground/files/")  # GETs a browser may make as a navigation or <img>
NAVIGATIONS = ("/", "/playground/", "/oauth/v2/authorize")  # pages another site may send a browser to
SAFE_FETCH_SITES = frozenset({"same-origin", "none"})


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _own_port(request: web.Request) -> int | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if sockname else None


def _host_refusal(request: web.Request) -> str | None:
    try:
        parts = urlsplit(f"//{request.headers.get('Host', '')}")
        port = parts.port
    except ValueError:
        return "the Host header is not host:port"
    if not _is_loopback(parts.hostname) or port != _own_port(request):
        return "this server answers only to its own loopback address (Host)"
    return None


def _page_or_static(request: web.Request) -> bool:
    return request.method in ("GET", "HEAD") and not request.headers.get("Upgrade") and (
        request.path in NAVIGATIONS or request.path.startswith(PAGE_PATHS))


def _origin_refusal(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"http://{request.headers.get('Host', '')}":
        return f"requests from {origin[:100]} are not accepted (Origin)"
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in SAFE_FETCH_SITES:
        return f"{site} requests are not accepted (Sec-Fetch-Site)"
    return None


def _refuse(status: int, why: str) -> web.Response:
    return web.json_response({"ok": False, "error": why}, status=status)


@web.middleware
async def guard(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    why = _host_refusal(request) or (None if _page_or_static(request) else _origin_refusal(request))
    if why is not None:
        return _refuse(403, why)
    limit = limit_for("emulator", request.path).max_bytes
    if (request.content_length or 0) > limit:
        return web.Response(status=413, body=too_large_body(limit), content_type="application/json")
    if request.method == "POST" and request.path.startswith("/playground/api/") \
            and request.content_type != "application/json":
        return _refuse(415, "send application/json")
    # aiohttp's read()/json()/post() stop at client_max_size while reading (0 would mean "no limit")
    return await handler(request.clone(client_max_size=max(limit, 1)))

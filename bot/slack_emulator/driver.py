"""Play Slack's side towards the app: signed slash commands, interactions and events.

Requests go to the app's `POST /slack/events` with Slack's headers and
signature; trigger_ids and response_urls are registered in the emulator so the
app's follow-up Web API calls (views.open, response_url posts) behave as in Slack.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from . import payloads
from .actions import message_action, view_action
from .link import RemoteLink, make_link
from .payloads import DriverError
from .result import DriverResult, slack_signature
from .transport import SignedTransport

__all__ = ["DriverError", "DriverResult", "SlackDriver", "slack_signature"]


class SlackDriver(SignedTransport):
    """Sends Slack-shaped, correctly signed requests to the app under test."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        emulator: Any,
        team_id: str | None = None,
        http: httpx.AsyncClient | None = None,
        *,
        path: str = "/slack/events",
        verification_token: str = "emulator-verification-token",
        timeout: float = 10.0,
        client_checks: bool = True,
    ) -> None:
        base = app_url.rstrip("/")
        self.url = base if base.endswith(path) else base + path
        self.signing_secret = signing_secret
        self.link = make_link(emulator, http)
        self.team_id = team_id
        self.verification_token = verification_token
        self.client_checks = client_checks
        self._http = http
        self._own_http = http is None
        self._timeout = timeout
        self._info: dict[str, Any] | None = None

    @classmethod
    def over_socket(
        cls, emulator: Any, team_id: str | None = None, http: httpx.AsyncClient | None = None, **kwargs: Any
    ) -> SlackDriver:
        """A driver for an app connected in Socket Mode: requests travel as envelopes on its WebSocket."""
        link = make_link(emulator, http)
        base = link.base_url if isinstance(link, RemoteLink) else emulator.base_url
        driver = cls(base, "", emulator, team_id, http, **kwargs)
        driver.socket_url = f"{base}/_emulator/socket/deliver"
        return driver

    async def __aenter__(self) -> SlackDriver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    # ----------------------------------------------------------- plumbing
    async def info(self) -> dict[str, Any]:
        if self._info is None:
            self._info = dict(await self.link.call("workspace_info"))
            self._info["team_id"] = self.team_id or self._info["team_id"]
        return self._info

    async def _user(self, user_id: str) -> dict[str, Any]:
        info = await self.info()
        user = await self.link.call("user_info", user_id=user_id)
        name = user["name"] if user else user_id
        return {"id": user_id, "username": name, "name": name, "team_id": info["team_id"]}

    async def _common(self, user_id: str) -> dict[str, Any]:
        info = await self.info()
        return {
            "user": await self._user(user_id),
            "api_app_id": info["app_id"],
            "token": self.verification_token,
            "team": {"id": info["team_id"], "domain": info["team_domain"]},
            "enterprise": {"id": info["enterprise_id"]} if info.get("enterprise_id") else None,
            "is_enterprise_install": bool(info.get("is_enterprise_install")),
        }

    async def _interactive(self, payload: dict[str, Any], **opts: Any) -> DriverResult:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.send(body, "application/x-www-form-urlencoded", kind=payload["type"], payload=payload, **opts)

    # ------------------------------------------------------ slash commands
    async def slash_command(
        self, user_id: str, command: str, text: str = "", channel_id: str | None = None, **opts: Any
    ) -> DriverResult:
        """`/command text` typed by `user_id` in `channel_id` (form-encoded like Slack)."""
        info = await self.info()
        channel_id = channel_id or info["default_channel_id"]
        user = await self._user(user_id)
        trigger_id = await self.link.call("issue_trigger", user_id=user_id)
        response = await self.link.call("new_response_url", channel_id=channel_id, user_id=user_id)
        form = {
            "token": self.verification_token,
            "team_id": info["team_id"],
            "team_domain": info["team_domain"],
            "channel_id": channel_id,
            "channel_name": await self.link.call("channel_name", channel_id=channel_id),
            "user_id": user_id,
            "user_name": user["name"],
            "command": command if command.startswith("/") else "/" + command,
            "text": text,
            "api_app_id": info["app_id"],
            "is_enterprise_install": "true" if info.get("is_enterprise_install") else "false",
            **({"enterprise_id": info["enterprise_id"]} if info.get("enterprise_id") else {}),
            "response_url": response["url"],
            "trigger_id": trigger_id,
        }
        result = await self.send(
            urlencode(form), "application/x-www-form-urlencoded", kind="slash_command", payload=form, **opts
        )
        result.trigger_id, result.response_url, result.response_id = trigger_id, response["url"], response["id"]
        return result

    # -------------------------------------------------------- block actions
    async def block_action(
        self,
        user_id: str,
        action_id: str,
        value: Any = None,
        block_id: str | None = None,
        view: str | dict[str, Any] | None = None,
        message: tuple[str, str] | dict[str, Any] | None = None,
        selected_option: Any = None,
        element_type: str = "button",
        **opts: Any,
    ) -> DriverResult:
        """A click/selection on an element of a message or a view (modal or App Home)."""
        value = selected_option if selected_option is not None else value
        payload = {"type": "block_actions", **await self._common(user_id)}
        trigger_id = await self.link.call("issue_trigger", user_id=user_id)
        payload["trigger_id"] = trigger_id
        action_ts = f"{time.time():.6f}"
        if view is not None:
            action, response = await view_action(
                self.link, payload, view, action_id, block_id, value, action_ts, element_type
            )
        else:
            action, response = await message_action(
                self.link, payload, user_id, message, action_id, block_id, value, action_ts, element_type
            )
        payload["actions"] = [action]
        result = await self._interactive(payload, **opts)
        result.trigger_id = trigger_id
        if response is not None:
            result.response_url, result.response_id = response["url"], response["id"]
        return result

    # ---------------------------------------------------------------- views
    async def _held_view(self, user_id: str, view_id: str | None) -> dict[str, Any]:
        held = await (
            self.link.call("get_view", view_id=view_id) if view_id else self.link.call("top_view", user_id=user_id)
        )
        if held is None:
            raise DriverError(f"no open view {view_id or ''} for {user_id}".strip())
        return held

    async def view_submission(
        self, user_id: str, view_id: str | None = None, values: dict[str, Any] | None = None, **opts: Any
    ) -> DriverResult:
        """Press Submit on a modal (default: the user's top modal) with `values` filled in."""
        held = await self._held_view(user_id, view_id)
        remembered = await self.link.call("view_values", view_id=held["id"])
        state = payloads.build_state_values(held, remembered, values or {}, client_checks=self.client_checks)
        for block_id, actions in state.items():
            for action_id, entry in actions.items():
                await self.link.call(
                    "set_view_value", view_id=held["id"], block_id=block_id, action_id=action_id, value=entry
                )
        held["state"] = {"values": state}
        trigger_id = await self.link.call("issue_trigger", user_id=user_id)
        payload = {
            "type": "view_submission",
            **await self._common(user_id),
            "trigger_id": trigger_id,
            "view": held,
            "response_urls": [],
        }
        result = await self._interactive(payload, **opts)
        result.trigger_id = trigger_id
        if result.status == 200:
            answer = result.body if isinstance(result.body, dict) else None
            result.view_outcome = await self.link.call("apply_view_response", view_id=held["id"], body=answer)
        return result

    async def view_closed(
        self, user_id: str, view_id: str | None = None, is_cleared: bool = False, force: bool = False, **opts: Any
    ) -> DriverResult:
        """Press Cancel/×; Slack only tells the app when the view has notify_on_close (or `force`)."""
        held = await self._held_view(user_id, view_id)
        await self.link.call("close_view", view_id=held["id"], clear=is_cleared)
        payload = {"type": "view_closed", **await self._common(user_id), "view": held, "is_cleared": is_cleared}
        if not (held.get("notify_on_close") or force):
            return DriverResult("view_closed", 0, "", None, {}, 0.0, payload, sent=False, link=self.link)
        return await self._interactive(payload, **opts)

    # --------------------------------------------------------------- events
    async def event(
        self, event: dict[str, Any], event_id: str | None = None, retry_num: int | None = None, **opts: Any
    ) -> DriverResult:
        """An Events API `event_callback` envelope around `event`."""
        info = await self.info()
        event = dict(event)
        event.setdefault("event_ts", f"{time.time():.6f}")
        envelope = {
            "token": self.verification_token,
            "team_id": info["team_id"],
            "api_app_id": info["app_id"],
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
            **({"enterprise_id": info["enterprise_id"]} if info.get("enterprise_id") else {}),
            "authorizations": [
                {
                    "enterprise_id": info.get("enterprise_id"),
                    "team_id": None if info.get("is_enterprise_install") else info["team_id"],
                    "user_id": info["bot_user_id"],
                    "is_bot": True,
                    "is_enterprise_install": bool(info.get("is_enterprise_install")),
                }
            ],
            "is_enterprise_install": bool(info.get("is_enterprise_install")),
            "is_ext_shared_channel": False,
            "event_context": "4-" + uuid.uuid4().hex,
        }
        return await self.send(
            json.dumps(envelope),
            "application/json",
            kind="event_callback",
            payload=envelope,
            retry_num=retry_num,
            **opts,
        )

    async def function_executed(
        self, callback_id: str, inputs: dict[str, Any], definition: dict[str, Any], **opts: Any
    ) -> DriverResult:
        """A workflow runs the app's custom step `callback_id` (its manifest `functions` entry is `definition`):
        the emulator registers the execution and its token, then sends `function_executed`. The execution's id is
        `result.payload["event"]["function_execution_id"]`."""
        event = await self.link.call("start_function", callback_id=callback_id, inputs=inputs, definition=definition)
        return await self.event(event, **opts)

    async def message(
        self, user_id: str, channel: str, text: str, thread_ts: str | None = None, **opts: Any
    ) -> DriverResult:
        """A person writes a message: stored in the emulator, then sent as a `message` event."""
        stored = await self.link.call("add_message", channel=channel, user_id=user_id, text=text, thread_ts=thread_ts)
        channel_id = stored["channel"]
        event = {
            "type": "message",
            "channel": channel_id,
            "user": user_id,
            "text": text,
            "ts": stored["ts"],
            "event_ts": stored["ts"],
            "channel_type": "im" if channel_id.startswith("D") else "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.event(event, **opts)

    async def url_verification(self, challenge: str | None = None, **opts: Any) -> DriverResult:
        body = {
            "token": self.verification_token,
            "challenge": challenge or uuid.uuid4().hex,
            "type": "url_verification",
        }
        return await self.send(json.dumps(body), "application/json", kind="url_verification", payload=body, **opts)

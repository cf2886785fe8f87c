"""Slack's side of the wire: signed HTTP requests to the app's request URL."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from .link import EmulatorLink, loopback_client
from .result import DriverResult, slack_signature


class SignedTransport:
    """Posts bodies with Slack's headers; subclasses build the bodies."""

    url: str
    signing_secret: str
    link: EmulatorLink
    _http: httpx.AsyncClient | None
    _timeout: float
    socket_url: str | None = None  # Socket Mode: envelopes go through the emulator's WebSocket, not HTTP

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        kind: str,
        payload: Any,
        wrong_signature: bool = False,
        old_timestamp: bool = False,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> DriverResult:
        """POST a raw body with Slack's headers (optionally mis-signed or stale, for negative tests)."""
        if self.socket_url is not None:
            return await self._send_envelope(kind, payload)
        timestamp = int(time.time()) - (600 if old_timestamp else 0)
        secret = self.signing_secret + ("-wrong" if wrong_signature else "")
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": slack_signature(secret, timestamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        if self._http is None:
            self._http = loopback_client(self._timeout)
        started = time.monotonic()
        try:
            response = await self._http.post(self.url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return DriverResult(kind, 0, "", None, {}, time.monotonic() - started, payload, timed_out=True)
        text = response.text
        parsed: Any = None
        if text.strip():
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
        return DriverResult(
            kind,
            response.status_code,
            text,
            parsed,
            dict(response.headers),
            time.monotonic() - started,
            payload,
            link=self.link,
        )

    async def _send_envelope(self, kind: str, payload: Any) -> DriverResult:
        """Socket Mode: the emulator wraps `payload` in an envelope on the app's WebSocket and waits for the ack;
        the ack's `payload` is what the app would have answered over HTTP."""
        if self._http is None:
            self._http = loopback_client(self._timeout)
        response = await self._http.post(self.socket_url, json={"kind": kind, "payload": payload})  # type: ignore[arg-type]
        outcome = response.json()
        if not outcome.get("acked"):
            return DriverResult(kind, 0, "", None, {}, outcome.get("elapsed", 0.0), payload, timed_out=True,
                                link=self.link)
        body = (outcome.get("ack") or {}).get("payload")
        return DriverResult(kind, 200, json.dumps(body) if body is not None else "", body, {}, outcome["elapsed"],
                            payload, link=self.link)

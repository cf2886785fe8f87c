"""Slack's side of the wire: signed HTTP requests to the app's request URL."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from .link import EmulatorLink
from .result import DriverResult, slack_signature


class SignedTransport:
    """Posts bodies with Slack's headers; subclasses build the bodies."""

    url: str
    signing_secret: str
    link: EmulatorLink
    _http: httpx.AsyncClient | None
    _timeout: float

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
            self._http = httpx.AsyncClient(timeout=self._timeout)
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

"""Slack failures in Headway's own terms, so code outside bot/delivery never catches slack_sdk types.

Not HeadwayError: these are not something the person can fix, and handlers must not show them as if they were.
"""

from __future__ import annotations


class SlackUnavailable(Exception):
    """Slack answered a Web API call with an error; `error` is Slack's code (e.g. user_not_found) or HTTP status."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method} failed: {error}")
        self.method = method
        self.error = error


class RateLimited(SlackUnavailable):
    """Slack answered 429: the call may be retried after `retry_after` seconds."""

    def __init__(self, method: str, retry_after: int) -> None:
        super().__init__(method, "ratelimited")
        self.retry_after = retry_after


class ResponseUrlFailed(SlackUnavailable):
    """A response_url answered non-200 (after retrying 5xx): the answer did not reach the person that way.

    `status` is the HTTP status (0 when Slack could not be reached); `reason` is Slack's body (`expired_url`,
    `invalid_blocks`…); `message` is what Headway tried to say, so it can be sent another way (a DM).
    """

    def __init__(self, status: int, reason: str, message: object) -> None:
        super().__init__("response_url", f"HTTP {status} {reason}".strip())
        self.status = status
        self.reason = reason
        self.message = message

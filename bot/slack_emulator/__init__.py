"""A Slack workspace emulator and a Slack-side request driver for Headway's tests and demo.

`SlackEmulator` is a real aiohttp server on loopback that answers the Web API
methods Headway uses (validating Block Kit, enforcing rate limits, injecting
faults); `SlackDriver` sends signed slash commands, interactions and events to
the app the way Slack does. Independent of the rest of `bot` on purpose.
"""

from .config import EmulatorChannel, EmulatorConfig, EmulatorUser, RateLimitConfig
from .driver import DriverError, DriverResult, SlackDriver, slack_signature
from .link import LocalLink, RemoteLink
from .server import SlackEmulator
from .state import RecordedCall
from .terminal import mrkdwn_to_text, render_channel, render_message, render_view
from .thread import EmulatorThread

__all__ = [
    "DriverError",
    "DriverResult",
    "EmulatorChannel",
    "EmulatorConfig",
    "EmulatorThread",
    "EmulatorUser",
    "LocalLink",
    "RateLimitConfig",
    "RecordedCall",
    "RemoteLink",
    "SlackDriver",
    "SlackEmulator",
    "mrkdwn_to_text",
    "render_channel",
    "render_message",
    "render_view",
    "slack_signature",
]

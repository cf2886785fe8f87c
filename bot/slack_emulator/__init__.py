"""A Slack workspace emulator and a Slack-side request driver for Headway's tests and demo.

`SlackEmulator` is a real aiohttp server on loopback that answers the Web API
methods Headway uses the way Slack does, refusals included: channel membership
and privacy, granted scopes, revoked tokens, per-method tiers and the workspace
message budget, Block Kit rules (contract.py lists every error per method); it
also serves Socket Mode. `SlackDriver` sends signed slash commands, interactions
and events to the app over HTTP, or as envelopes on its Socket Mode connection
(`SlackDriver.over_socket`). Independent of the rest of `bot` except for the
manifest, whose scopes and events are the installation's defaults.
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

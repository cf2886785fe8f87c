"""Standalone emulator: `python -m bot.slack_emulator --port 0 --users users.json`.

The users file may list more workspaces (`"workspaces": [{"team_id": …, "bot_token": …, "users": […]}]`), served
by the same server; the rate-limit options apply to each workspace's own buckets, as Slack limits "per API method
per app per workspace" (https://docs.slack.dev/apis/web-api/rate-limits), the chat.postMessage budget included.

Prints the Web API base URL (for slack_sdk's `base_url`) as the first stdout
line and serves until interrupted, so other processes can use it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys

from .config import EmulatorConfig
from .server import SlackEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.slack_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--users", help="JSON file: a list of users, or {users, channels, team_id, ...}")
    parser.add_argument("--bot-token", default=None)
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--rate-scale", type=float, default=1.0, help="multiply all refill rates")
    parser.add_argument("--post-budget", type=float, default=None,
                        help="workspace-wide chat.postMessage budget, messages per minute (0 = none; default 300)")
    parser.add_argument("--trigger-ttl", type=float, default=None, help="trigger_id lifetime in seconds")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    return build_configs(args)[0]


def build_configs(args: argparse.Namespace) -> list[EmulatorConfig]:
    """The first workspace (with the command line's host, port and bot token) and the file's other ones."""
    overrides = {"host": args.host, "port": args.port}
    if args.bot_token:
        overrides["bot_token"] = args.bot_token
    if args.trigger_ttl is not None:
        overrides["trigger_ttl_seconds"] = args.trigger_ttl
    config = EmulatorConfig.from_file(args.users, **overrides) if args.users else EmulatorConfig(**overrides)
    configs = [config, *(EmulatorConfig.more_workspaces(args.users) if args.users else [])]
    for each in configs:
        each.rate_limits.enabled = not args.no_rate_limits
        each.rate_limits.scale = args.rate_scale
        if args.post_budget is not None:
            each.rate_limits.post_message_budget_per_minute = args.post_budget or None
        if args.trigger_ttl is not None:
            each.trigger_ttl_seconds = args.trigger_ttl
    return configs


async def serve(config: EmulatorConfig, others: list[EmulatorConfig] | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    emulator = SlackEmulator(config)
    for other in others or []:
        emulator.add_workspace(other)
    async with emulator as emu:
        print(emu.api_url, flush=True)
        print(
            f"slack emulator: team {config.team_id}, bot token {config.bot_token}, "
            f"control API {emu.base_url}/_emulator/",
            file=sys.stderr,
            flush=True,
        )
        keeping = asyncio.create_task(keep_history_out_of_gc())
        await stop.wait()
        keeping.cancel()


async def keep_history_out_of_gc(every: float = 1.0) -> None:
    """A standalone emulator keeps every call it answered (the control API reads them back), so a full garbage
    collection walked a growing history: 30–126 ms pauses after a few thousand calls, each one counted by a
    benchmark as Slack's latency for whatever call it held up. Each second what has been built is moved out of
    the collector's sight (`gc.freeze`); the young garbage of the calls in flight is still collected as usual."""
    while True:
        await asyncio.sleep(every)
        gc.freeze()


def main(argv: list[str] | None = None) -> None:
    first, *others = build_configs(parse_args(argv))
    asyncio.run(serve(first, others))


if __name__ == "__main__":
    main()

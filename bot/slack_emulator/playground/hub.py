"""What the playground page sees of the workspace: one person's sidebar, channels, threads, views and private answers.

Reads the emulator's state (never Headway's database) the way a Slack client would show it to the person the
visitor is "acting as": their channels and DMs with unread marks, messages with thread counts and edits, and the
answers only they can see (ephemeral messages, response_url answers, slash command acknowledgements).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..methods_chat import bot_message
from ..server import SlackEmulator


class ClockControl(Protocol):
    """Moves the app's clock and runs its due jobs (provided by whoever runs the app; optional)."""

    def describe(self) -> dict[str, Any]: ...

    async def move(self, op: str) -> dict[str, Any]: ...


@dataclass
class Playground:
    """Per-visitor reading of the emulator, plus what the page itself adds (read marks, acknowledgements)."""

    emulator: SlackEmulator
    driver: Any = None  # a SlackDriver towards the app, set once the app runs
    clock: ClockControl | None = None
    notes: dict[str, str] = field(default_factory=dict)  # user id → what they do ("product manager")
    read: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, channel) → last ts seen
    ticks: int = 0  # bumped by anything the emulator does not record itself (clock moves)
    stamps: dict[str, str | None] = field(default_factory=dict)  # message ts → the app's clock when it was posted
    functions: dict[str, Any] = field(default_factory=dict)  # the app manifest's custom steps (`/workflow`)
    # The emulator's other workspaces: a driver towards the app for each (its requests carry that team), and
    # where "Add to Slack" starts (the app's install page; None when the app runs without OAuth)
    drivers: dict[str, Any] = field(default_factory=dict)
    install_url: str | None = None
    root: Playground | None = None  # the first workspace's hub, for another workspace's
    _teams: dict[str, Playground] = field(default_factory=dict)

    @property
    def state(self) -> Any:
        return self.emulator.state

    def for_team(self, team_id: str | None) -> Playground | None:
        """The reading of workspace `team_id` (None: the first); None when the emulator has no such workspace.
        Read marks, clock stamps and notes are shared: they are the visitor's, not a workspace's."""
        root = self.root or self
        if not team_id or team_id == root.emulator.config.team_id:
            return root
        if team_id not in root._teams:
            workspace = root.emulator.workspace(team_id)
            if workspace is None:
                return None
            root._teams[team_id] = Playground(workspace, driver=root.drivers.get(team_id), clock=root.clock,
                                              notes=root.notes, read=root.read, stamps=root.stamps,
                                              functions=root.functions, root=root)
        return root._teams[team_id]

    def version(self) -> tuple[int, ...]:
        """Changes whenever something a page may show changed, in any workspace (cheap enough to poll several
        times a second)."""
        root = self.root or self
        counts = [0, 0, 0, 0, 0]
        for workspace in root.emulator.all_workspaces():
            state = workspace.state
            stored = sum(len(m) for m in state.messages_by_channel.values())
            for index, value in enumerate((len(state.calls), len(state.responses), len(state.ephemerals), stored,
                                           len(state.views))):
                counts[index] += value
        return (*counts, root.ticks, sum(ws.state.installed for ws in root.emulator.all_workspaces()))

    # ------------------------------------------------------------------ people and places
    def people(self) -> list[dict[str, Any]]:
        """Everyone a visitor may act as (no bots), in the workspace's order."""
        return [self._user(u) for u in self.state.users.values() if not u.is_bot and u.id != "USLACKBOT"]

    def _user(self, user: Any) -> dict[str, Any]:
        return {"id": user.id, "name": user.name, "real_name": user.real_name or user.name, "tz": user.tz,
                "is_bot": bool(user.is_bot), "note": self.notes.get(user.id, "")}

    def workspace(self, user_id: str) -> dict[str, Any]:
        state, config = self.state, self.emulator.config
        channels = [{"id": c.id, "name": c.name, "unread": self._unread(user_id, c.id)}
                    for c in state.channels.values() if state.is_member(c.id, user_id)]
        bot_dm = state.dm_id_for([user_id])
        dms = [{"id": bot_dm, "name": config.bot_name.title(), "user": config.bot_user_id,
                "unread": self._unread(user_id, bot_dm)}]
        for channel_id, members in state.dm_channels.items():
            if channel_id != bot_dm and user_id in members:
                names = [state.users[m].name for m in members if m != user_id and m in state.users]
                dms.append({"id": channel_id, "name": ", ".join(names) or "you", "user": None,
                            "unread": self._unread(user_id, channel_id)})
        users = {u.id: self._user(u) for u in state.users.values()}
        root = self.root or self
        workspaces = [{"id": ws.config.team_id, "name": ws.config.team_name, "installed": ws.state.installed}
                      for ws in root.emulator.all_workspaces()]
        return {"team": {"id": config.team_id, "name": config.team_name, "installed": state.installed},
                "workspaces": workspaces, "install_url": root.install_url, "me": user_id, "people": self.people(),
                "users": users, "channels": channels, "dms": dms, "bot": config.bot_user_id,
                "clock": self.clock.describe() if self.clock else None,
                "names": {c.id: c.name for c in state.channels.values()}}

    def _unread(self, user_id: str, channel_id: str) -> int:
        seen = float(self.read.get((user_id, channel_id), "0"))
        stored = self.state.messages_by_channel.get(channel_id, {})
        mine = [e for e in self.state.ephemerals if e["channel"] == channel_id and e.get("visible_to") == user_id]
        return sum(1 for m in [*stored.values(), *mine] if float(m["ts"]) > seen and m.get("user") != user_id)

    # ------------------------------------------------------------------ conversations
    def conversation(self, user_id: str, channel_id: str) -> dict[str, Any]:
        """Top-level messages and this person's private answers, oldest first; marks them read."""
        state = self.state
        messages = [m for m in state.channel_messages(channel_id)
                    if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]
        for answer in state.ephemerals:  # response_url answers and chat.postEphemeral: stamped when first seen
            self.stamps.setdefault(answer["ts"], self.clock_now())
        private = [{**copy.deepcopy(e), "ephemeral": True} for e in state.ephemerals
                   if e["channel"] == channel_id and e.get("visible_to") == user_id and not e.get("thread_ts")]
        every = sorted([*messages, *private], key=lambda m: float(m["ts"]))
        latest = max((m.get("latest_reply") or m["ts"] for m in every), key=float, default="0")
        if every:
            self.read[(user_id, channel_id)] = max(latest, self.read.get((user_id, channel_id), "0"), key=float)
        return {"channel": channel_id, "name": self._name(channel_id), "messages": self._stamped(every),
                "canvases": self.canvases_in(channel_id)}

    def canvases_in(self, channel_id: str) -> list[dict[str, Any]]:
        """Canvases the channel can open: its own (its tab) and those shared to it."""
        return [{"id": c["id"], "title": c["title"]} for c in self.state.canvases.values()
                if c.get("channel_id") == channel_id or channel_id in c.get("access", {})]

    def canvas(self, canvas_id: str) -> str | None:
        found = self.state.canvases.get(canvas_id)
        return None if found is None else f"# {found['title']}\n\n{found['markdown']}"

    def thread(self, channel_id: str, ts: str) -> dict[str, Any]:
        return {"channel": channel_id, "ts": ts,
                "messages": self._stamped([m for m in self.state.channel_messages(channel_id)
                                           if m["ts"] == ts or m.get("thread_ts") == ts])}

    def _stamped(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**m, "clock_at": self.stamps.get(m["ts"])} for m in messages]

    def _name(self, channel_id: str) -> str:
        state = self.state
        if channel_id in state.channels:
            return "#" + state.channels[channel_id].name
        members = state.dm_channels.get(channel_id, [])
        return ", ".join(state.users[m].real_name or state.users[m].name for m in members if m in state.users)

    def clock_now(self) -> str | None:
        """The app's time (ISO) when it runs on a clock the page moves; None on the real clock."""
        return self.clock.describe()["now"] if self.clock else None

    def remember_ack(self, user_id: str, channel_id: str, body: dict[str, Any]) -> None:
        """A slash command answered in its acknowledgement: an ephemeral message for its author, like Slack shows
        (kept with the emulator's other ephemerals, so its buttons carry the right container when clicked)."""
        if not (body.get("text") or body.get("blocks")):
            return
        message = bot_message(self.state, body.get("text"), body.get("blocks"))
        self.stamps[message["ts"]] = self.clock_now()
        self.state.ephemerals.append({**message, "channel": channel_id, "visible_to": user_id})

    # ------------------------------------------------------------------ views
    def views(self, user_id: str) -> dict[str, Any]:
        state = self.state
        stack = [state.views[v] for v in state.modal_stacks.get(user_id, []) if v in state.views]
        home_id = state.home_views.get(user_id)
        modal = copy.deepcopy(stack[-1]) if stack else None
        if modal is not None:
            modal["remembered"] = state.view_state.get(modal["id"], {})
        return {"modal": modal, "depth": len(stack), "home": copy.deepcopy(state.views.get(home_id or ""))}

    def file(self, file_id: str) -> tuple[bytes, str] | None:
        stored = self.state.files.get(file_id)
        if stored is None or not stored.get("uploaded"):
            return None
        data = stored.get("data") or b""
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8") else \
            "image/svg+xml" if data.lstrip().startswith(b"<svg") else \
            "text/plain; charset=utf-8" if str(stored.get("name", "")).endswith((".md", ".csv", ".json", ".txt")) else \
            "application/octet-stream"
        return data, kind

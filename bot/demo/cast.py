"""Who and what `headway demo` plays with: the people of a small ML team and three sample projects.

Dates are relative to today, so the cards read naturally whenever the demo runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.slack_emulator import EmulatorChannel, EmulatorConfig, EmulatorUser, RateLimitConfig

TEAM_ID = "T0DEMO001"
CHANNEL = EmulatorChannel(id="C0MLPROJ1", name="ml-projects", bot_member=True)  # Ada invited @Headway


@dataclass(frozen=True)
class Person:
    user: EmulatorUser
    role: str

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def first_name(self) -> str:
        return self.user.real_name.split()[0]

    @property
    def handle(self) -> str:
        return self.user.name

    def mention(self) -> str:
        """How Slack writes a mention inside slash command text."""
        return f"<@{self.id}|{self.handle}>"


ADA = Person(EmulatorUser(id="U0ADA0001", name="ada", real_name="Ada Okafor", tz="Europe/London", is_admin=True),
             "Slack workspace admin")
PRIYA = Person(EmulatorUser(id="U0PRIYA01", name="priya", real_name="Priya Raman", tz="America/New_York"),
               "product manager")
ELENA = Person(EmulatorUser(id="U0ELENA01", name="elena", real_name="Elena Duarte", tz="Europe/Madrid"),
               "executive, business owner")
KENJI = Person(EmulatorUser(id="U0KENJI01", name="kenji", real_name="Kenji Sato", tz="Asia/Tokyo"), "ML engineer")
LUCAS = Person(EmulatorUser(id="U0LUCAS01", name="lucas", real_name="Lucas Ferreira", tz="America/Sao_Paulo"),
               "ML engineer")
CAST = (ADA, PRIYA, ELENA, KENJI, LUCAS)


# `headway demo` squeezes a working day into seconds: Slack's pace (one post a second per channel, the method tiers,
# the workspace budget) runs this many times faster on both sides, the emulator's limits and Headway's pacer, so the
# story makes the same calls in the same order without waiting out a real day's spacing. The playground keeps 1.
DEMO_PACE_SCALE = 20.0


def emulator_config(pace_scale: float = 1.0) -> EmulatorConfig:
    """Slack's limits (times `pace_scale`), except that one DM or channel may take a burst of 10 posts instead of 5:
    Priya's prompt, reminder and thanks are hours apart in the story, not in real time, so Slack's ~1 post per
    second per channel would only add waits for 429s that a real day would never hit."""
    return EmulatorConfig(team_id=TEAM_ID, team_name="Acme Analytics", users=[p.user for p in CAST],
                          channels=[EmulatorChannel(id="C0GENERAL", name="general"), CHANNEL],
                          rate_limits=RateLimitConfig(scale=pace_scale, overrides={"chat.postMessage": (1.0, 10.0)}))


# The playground's second workspace: another company, where Headway is not installed until someone presses
# "Add to Slack" on the page (its own token then, from Slack's OAuth; no project, person or message is shared)
SECOND_TEAM_ID = "T0DEMO002"
NOOR = Person(EmulatorUser(id="U0NOOR001", name="noor", real_name="Noor Haddad", tz="Asia/Dubai", is_admin=True),
              "Slack workspace admin (Borealis Bio)")
TOMAS = Person(EmulatorUser(id="U0TOMAS01", name="tomas", real_name="Tomás Novak", tz="Europe/Prague"),
               "data scientist (Borealis Bio)")
SECOND_CAST = (NOOR, TOMAS)


def second_workspace_config() -> EmulatorConfig:
    return EmulatorConfig(team_id=SECOND_TEAM_ID, team_name="Borealis Bio", users=[p.user for p in SECOND_CAST],
                          channels=[EmulatorChannel(id="C0BOREAL1", name="general")],
                          rate_limits=RateLimitConfig(overrides={"chat.postMessage": (1.0, 10.0)}))


@dataclass(frozen=True)
class SampleProject:
    """One project as Priya types it into the `/headway project new` form (block id → value)."""

    key: str
    fields: dict[str, Any] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        return {"key": self.key, **self.fields}


def sample_projects(today: date) -> list[SampleProject]:
    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    return [
        SampleProject("FRAUD", {
            "name": "Fraud detection for card payments",
            "problem_statement": "Card fraud slips past our rules engine: chargebacks cost about $2M a year "
                                 "& customers who are hit lose trust in us.",
            "business_owner": ELENA.id, "pms": [PRIYA.id], "members": [KENJI.id, LUCAS.id],
            "success_criteria": "Catch 9 of every 10 fraud cases without blocking more good payments than today.",
            "metric_name": "recall", "metric_direction": "higher", "metric_unit": "",
            "baseline": "0.62", "target": "0.90",
            "start_date": day(-45), "expected_date": day(120), "kill_date": day(240),
            "stage": "feasibility", "channel": CHANNEL.id,
        }),
        SampleProject("CHURN", {
            "name": "Churn prediction",
            "problem_statement": "We learn that customers are leaving only when they cancel.",
            "business_owner": ELENA.id, "pms": [PRIYA.id], "members": [LUCAS.id],
            "success_criteria": "Retention calls reach customers at risk while they can still be won back.",
            "metric_name": "precision", "metric_direction": "higher", "metric_unit": "",
            "baseline": "", "target": "0.75",
            "start_date": day(-10), "expected_date": day(180), "kill_date": "",
            "stage": "discovery", "channel": CHANNEL.id,
        }),
        SampleProject("ETA", {
            "name": "Delivery time estimates",
            "problem_statement": "Customers are promised delivery dates that are off by three days on average.",
            "business_owner": ELENA.id, "pms": [PRIYA.id], "members": [KENJI.id],
            "success_criteria": "Promised dates within a day and a half of the real delivery.",
            "metric_name": "MAE", "metric_direction": "lower", "metric_unit": "days",
            "baseline": "3.1", "target": "1.5",
            "start_date": day(-120), "expected_date": day(60), "kill_date": day(150),
            "stage": "development", "channel": CHANNEL.id,
        }),
    ]


FIELD_LABELS = {
    "key": "Short key", "name": "Project name", "business_owner": "Business owner", "pms": "Product managers",
    "members": "Team members", "metric_name": "Evaluation metric", "metric_direction": "Better is",
    "metric_unit": "Unit", "baseline": "Baseline", "target": "Target", "start_date": "Start date",
    "expected_date": "Expected delivery", "kill_date": "Worst case / stop date", "stage": "Lifecycle stage",
    "channel": "Project channel",
}


def describe_fields(values: dict[str, Any], names: dict[str, str], stages: dict[str, str]) -> list[tuple[str, str]]:
    """The form values as a person would read them back (people by name, empty fields left out)."""
    rows = []
    for block_id, label in FIELD_LABELS.items():
        value = values.get(block_id)
        if value in (None, "", []):
            continue
        if block_id in ("business_owner", "pms", "members"):
            ids = value if isinstance(value, list) else [value]
            value = ", ".join("@" + names.get(u, u) for u in ids)
        elif block_id == "stage":
            value = stages.get(value, value)
        elif block_id == "metric_direction":
            value = str(value).capitalize()
        elif block_id == "channel":
            value = "#" + (CHANNEL.name if value == CHANNEL.id else str(value))
        rows.append((label, str(value)))
    return rows

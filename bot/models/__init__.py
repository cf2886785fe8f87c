"""All table models; importing this package registers every table on SQLModel.metadata."""

from bot.models.core import (
    MetricDirection,
    Person,
    PersonRole,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectState,
    Role,
    StageTransition,
    Workspace,
)
from bot.models.digests import DigestKind, DigestSubscription, SlackEvent
from bot.models.experiments import ApiToken, Experiment, ExperimentStatus, MlflowLink, WeeklyGoal
from bot.models.gates import Gate, GateApprover, GateDecision, GateRule, GateStatus, GateVote
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.standups import (
    Absence,
    AbsenceKind,
    Measurement,
    MeasurementSource,
    PromptStatus,
    Standup,
    StandupAnswer,
    StandupParticipant,
    StandupPrompt,
    StandupRun,
)
from bot.models.types import UTCDateTime, utcnow

__all__ = [
    "Gate",
    "GateApprover",
    "GateDecision",
    "GateRule",
    "GateStatus",
    "GateVote",
    "DigestKind",
    "DigestSubscription",
    "SlackEvent",
    "ApiToken",
    "Experiment",
    "ExperimentStatus",
    "MlflowLink",
    "WeeklyGoal",
    "Absence",
    "AbsenceKind",
    "Measurement",
    "MeasurementSource",
    "OutboxMessage",
    "OutboxMethod",
    "OutboxStatus",
    "PromptStatus",
    "Standup",
    "StandupAnswer",
    "StandupParticipant",
    "StandupPrompt",
    "StandupRun",
    "MetricDirection",
    "Person",
    "PersonRole",
    "Project",
    "ProjectMember",
    "ProjectRole",
    "ProjectState",
    "Role",
    "StageTransition",
    "UTCDateTime",
    "Workspace",
    "utcnow",
]

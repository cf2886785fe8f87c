"""ML project lifecycles: stages, their exit criteria and gate approvers, built-in or from a team's YAML file.

Plain data and validation only (no Slack): gates, handlers and digests build on these definitions.
"""

from bot.lifecycle.loader import (
    LifecycleError,
    Problem,
    builtin,
    builtin_keys,
    load_lifecycle_file,
    load_lifecycle_text,
)
from bot.lifecycle.model import APPROVER_ROLES, ApproverRole, ExitCriterion, Lifecycle, Stage, slugify

__all__ = [
    "APPROVER_ROLES",
    "ApproverRole",
    "ExitCriterion",
    "Lifecycle",
    "LifecycleError",
    "Problem",
    "Stage",
    "builtin",
    "builtin_keys",
    "load_lifecycle_file",
    "load_lifecycle_text",
    "slugify",
]

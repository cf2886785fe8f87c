"""Custom steps for Workflow Builder: a workflow runs an app's function, the app completes it.

Slack's contract (not in the 2016-era OpenAPI file, so from Slack's docs):
- `function_executed` (https://docs.slack.dev/reference/events/function_executed): the event carries the function
  (callback_id, input/output parameters), `inputs`, `function_execution_id` (Fx…), `workflow_execution_id` (Wx…)
  and `bot_access_token`, a token that exists for that execution (Bolt attaches it to the listener's client).
- `functions.completeSuccess` (…/reference/methods/functions.completeSuccess): `function_execution_id` and
  `outputs`, an object that conforms to the function's `output_parameters`; errors `function_execution_not_found`,
  `execution_not_in_running_state` (completed already), `parameter_validation_failed` (outputs that do not
  conform), `access_denied` (a token of another execution). No scope is required. Tier 3.
- `functions.completeError` (…/reference/methods/functions.completeError): `function_execution_id` and `error`, a
  human-readable message Slack passes on to the person; same errors.
A workflow step Slack gets no answer for fails after 15 minutes (docs.slack.dev: custom steps "time out").
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from .api import ApiRequest, SlackError, slack_method
from .auth import Token
from .state import WorkspaceState

TOKEN_PREFIX = "xwfp-"
STRING_TYPES = {"string", "slack#/types/user_id", "slack#/types/channel_id", "slack#/types/usergroup_id",
                "slack#/types/timestamp", "slack#/types/date", "slack#/types/message_ts", "slack#/types/rich_text"}


@dataclass
class FunctionExecution:
    id: str
    workflow_execution_id: str
    callback_id: str
    inputs: dict[str, Any]
    token: str
    definition: dict[str, Any]
    status: str = "running"  # running / completed / failed
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "callback_id": self.callback_id, "inputs": dict(self.inputs), "status": self.status,
                "outputs": dict(self.outputs), "error": self.error, "token": self.token}


def _executions(state: WorkspaceState) -> dict[str, FunctionExecution]:
    if not hasattr(state, "function_executions"):
        state.function_executions = {}  # type: ignore[attr-defined]
    return state.function_executions  # type: ignore[attr-defined]


def _parameters(section: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The manifest's {"properties": {...}, "required": [...]} as the event's list of parameters."""
    section = section or {}
    required = set(section.get("required") or [])
    return [{"name": name, **{k: v for k, v in spec.items() if k != "name"}, "is_required": name in required}
            for name, spec in (section.get("properties") or {}).items()]


def start_execution(state: WorkspaceState, callback_id: str, inputs: dict[str, Any],
                    definition: dict[str, Any]) -> dict[str, Any]:
    """A workflow reached the app's step: register the execution and its token; return the event to deliver."""
    execution = FunctionExecution(
        id=state.new_id("Fx", 12), workflow_execution_id=state.new_id("Wx", 12), callback_id=callback_id,
        inputs=dict(inputs), token=TOKEN_PREFIX + state.new_id("", 32).lower(), definition=definition)
    bot = state.tokens[state.config.bot_token]
    state.tokens[execution.token] = Token(execution.token, "bot", bot.scopes)
    _executions(state)[execution.id] = execution
    return {
        "type": "function_executed",
        "function": {"id": state.new_id("Fn", 12), "callback_id": callback_id,
                     "title": definition.get("title", callback_id), "description": definition.get("description", ""),
                     "type": "app", "input_parameters": _parameters(definition.get("input_parameters")),
                     "output_parameters": _parameters(definition.get("output_parameters")),
                     "app_id": state.config.app_id, "date_created": int(execution.started), "date_updated": 0,
                     "date_deleted": 0},
        "inputs": dict(inputs),
        "function_execution_id": execution.id,
        "workflow_execution_id": execution.workflow_execution_id,
        "event_ts": f"{time.time():.6f}",
        "bot_access_token": execution.token,
    }


def _running(req: ApiRequest) -> FunctionExecution:
    execution = _executions(req.state).get(str(req.require("function_execution_id")))
    if execution is None:
        raise SlackError("function_execution_not_found")
    if req.token is not None and req.token.value.startswith(TOKEN_PREFIX) and req.token.value != execution.token:
        raise SlackError("access_denied")
    if execution.status != "running":
        raise SlackError("execution_not_in_running_state")
    return execution


def output_problems(definition: dict[str, Any], outputs: Any) -> list[str]:
    if not isinstance(outputs, dict):
        return ["[ERROR] outputs must be an object"]
    section = definition.get("output_parameters") or {}
    properties = section.get("properties") or {}
    problems = [f"[ERROR] missing required output: {name}" for name in section.get("required") or []
                if outputs.get(name) in (None, "")]
    for name, value in outputs.items():
        spec = properties.get(name)
        if spec is None:
            problems.append(f"[ERROR] unknown output: {name}")
        elif spec.get("type") in STRING_TYPES and not isinstance(value, str):
            problems.append(f"[ERROR] output {name} must be a string")
        elif spec.get("type") in ("number", "integer") and (isinstance(value, bool)
                                                            or not isinstance(value, int | float)):
            problems.append(f"[ERROR] output {name} must be a number")
    return problems


@slack_method("functions.completeSuccess")
def complete_success(req: ApiRequest) -> dict[str, Any]:
    execution = _running(req)
    outputs = req.json_value("outputs", "parameter_validation_failed")
    outputs = {} if outputs is None else outputs
    problems = output_problems(execution.definition, outputs)
    if problems:
        raise SlackError("parameter_validation_failed", problems)
    execution.status, execution.outputs = "completed", dict(outputs)
    return {}


@slack_method("functions.completeError")
def complete_error(req: ApiRequest) -> dict[str, Any]:
    execution = _running(req)
    error = req.require("error")
    execution.status, execution.error = "failed", str(error)
    return {}


class FunctionControl:
    """Mixin for SlackEmulator: run an app's custom step as a workflow would (also over /_emulator/rpc)."""

    state: WorkspaceState

    def start_function(self, callback_id: str, inputs: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
        return start_execution(self.state, callback_id, inputs, definition)

    def function_execution(self, execution_id: str) -> dict[str, Any] | None:
        found = _executions(self.state).get(execution_id)
        return json.loads(json.dumps(found.to_dict())) if found else None

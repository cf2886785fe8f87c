"""`/workflow STEP key=value …` typed in the playground's composer: a one-step workflow runs the app's custom step.

Workflow Builder is not emulated; what reaches the app is what Slack sends when a workflow reaches the step
(`function_executed`, methods_functions.py). The person typing is "Person who used this workflow" (`requested_by`
unless given). The outcome — the step's outputs, or the error the app gave `functions.completeError`, which Slack
passes on to the person — is shown to them privately, as Slack does.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from typing import Any

from .hub import Playground

STEP_WAIT_SECONDS = 40.0


def _value(spec: dict[str, Any], raw: str) -> Any:
    if spec.get("type") == "array":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if spec.get("type") in ("number", "integer"):
        try:
            return float(raw) if spec.get("type") == "number" else int(raw)
        except ValueError:
            return raw  # the app says what is wrong with it
    return raw


def usage(hub: Playground) -> str:
    steps = ", ".join(f"`{name}` ({step.get('title', '')})" for name, step in hub.functions.items())
    return f"Usage: `/workflow STEP name=value …`, e.g. `/workflow log_result project=FRAUD value=0.8`. Steps: {steps}."


async def run_workflow(hub: Playground, user: str, text: str) -> dict[str, Any]:
    """Run the step; the message to show the person (text only)."""
    try:
        words = shlex.split(text)[1:]
    except ValueError:
        words = text.split()[1:]
    if not words or words[0] not in hub.functions:
        return {"text": usage(hub)}
    step, definition = words[0], hub.functions[words[0]]
    properties = (definition.get("input_parameters") or {}).get("properties") or {}
    inputs: dict[str, Any] = {}
    for word in words[1:]:
        name, _, raw = word.partition("=")
        if name not in properties:
            return {"text": f"`{step}` has no input `{name}`; it takes {', '.join(properties)}."}
        inputs[name] = _value(properties[name], raw)
    if "requested_by" in properties:
        inputs.setdefault("requested_by", user)
    result = await hub.driver.function_executed(step, inputs, definition)
    execution_id = result.payload["event"]["function_execution_id"]
    deadline = time.monotonic() + STEP_WAIT_SECONDS
    while (found := hub.emulator.function_execution(execution_id)) and found["status"] == "running":
        if time.monotonic() > deadline:
            return {"text": f"Workflow step `{step}` is still running (no answer from the app yet)."}
        await asyncio.sleep(0.05)
    if found is None or found["status"] == "failed":
        return {"text": f":x: Workflow step “{definition.get('title', step)}” failed: {found and found['error']}"}
    outputs = ", ".join(f"{k} = {v}" for k, v in found["outputs"].items()) or "no outputs"
    return {"text": f":white_check_mark: Workflow step “{definition.get('title', step)}” completed: {outputs}."}

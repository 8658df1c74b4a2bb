"""Reading an agent's tool calls: each call is well formed, or recorded with what is wrong with it.

A model's ``tool_calls`` are untrusted text: the arguments are a JSON *string* the model wrote, the
name may be a tool that does not exist, required arguments may be missing. None of these stops an
episode or is counted as anything: the call is kept as the model made it, marked ``malformed`` with
the reason, and answered with an error observation (the OpenAI convention: a ``tool`` message
saying what was wrong), so the agent can correct itself as it would against a real API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ToolCall", "parse_calls", "tool_names"]

_SHOWN_ARGS = 500


@dataclass(frozen=True)
class ToolCall:
    """One call as the agent made it; ``arguments`` is None when ``malformed`` says why."""

    id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None
    malformed: str | None = None

    def wire(self) -> dict[str, Any]:
        """The call as it goes back into the conversation (its id is what the observation answers)."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.raw_arguments}}

    def note(self) -> dict[str, Any]:
        """What a tool step records about its call."""
        out: dict[str, Any] = {"call_id": self.id, "tool": self.name, "arguments": self.raw_arguments[:_SHOWN_ARGS]}
        if self.malformed is not None:
            out["malformed"] = self.malformed
        return out


def tool_names(tools: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Tool name -> its function schema, from OpenAI ``tools`` entries."""
    out: dict[str, Mapping[str, Any]] = {}
    for tool in tools:
        function = tool.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            out[function["name"]] = function
    return out


def _one(raw: Any, fallback_id: str, schemas: Mapping[str, Mapping[str, Any]]) -> ToolCall:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("function"), Mapping):
        return ToolCall(fallback_id, "", json.dumps(raw, default=str)[:_SHOWN_ARGS], None, "not a function call")
    given = raw.get("id")
    call_id = given if isinstance(given, str) and given else fallback_id
    function = raw["function"]
    name = function.get("name") if isinstance(function.get("name"), str) else ""
    raw_args = function.get("arguments", "")
    if isinstance(raw_args, Mapping):  # some servers send an object, not a JSON string
        raw_args = json.dumps(raw_args)
    raw_args = raw_args if isinstance(raw_args, str) else json.dumps(raw_args, default=str)
    if name not in schemas:
        return ToolCall(call_id, name, raw_args, None, f"unknown tool {name!r}")
    try:
        arguments = json.loads(raw_args) if raw_args.strip() else {}
    except json.JSONDecodeError as exc:
        return ToolCall(call_id, name, raw_args, None, f"arguments are not valid JSON ({exc.msg} at {exc.pos})")
    if not isinstance(arguments, dict):
        kind = type(arguments).__name__
        return ToolCall(call_id, name, raw_args, None, f"arguments are a JSON {kind}, not an object")
    parameters = schemas[name].get("parameters")
    required = parameters.get("required", []) if isinstance(parameters, Mapping) else []
    missing = [r for r in required if isinstance(r, str) and r not in arguments]
    if missing:
        return ToolCall(call_id, name, raw_args, None, f"missing required arguments: {', '.join(missing)}")
    return ToolCall(call_id, name, raw_args, arguments)


def parse_calls(
    raw_calls: Sequence[Any] | None, step_index: int, schemas: Mapping[str, Mapping[str, Any]]
) -> list[ToolCall]:
    """The calls of one agent turn, in order (parallel calls included), each checked against the tools.

    A call without an id gets one derived from its place (step, position), so the same committed
    step always yields the same ids: the replayed conversation is byte-identical to the first one.
    """
    return [_one(raw, f"call_{step_index}_{i}", schemas) for i, raw in enumerate(raw_calls or ())]

"""A scripted environment: each tool answers with the result the case wrote for it.

For scenarios whose world is small and fixed (the privacy-in-action set: an inbox, a notes file, a
contact card holding private data), a tool emulator model would add noise and a model call per
tool step without adding anything: the case's ``agent.state["tool_results"]`` maps each tool name to
its result (a string, or any JSON value), whatever the arguments. A tool the script does not name
answers with an error observation, as an unavailable tool would. No model call, deterministic, so
a resumed episode sees the same world.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from riskscope.agents._calls import ToolCall
from riskscope.agents._environment import MAX_OBSERVATION_CHARS, Observation

__all__ = ["ScriptedEnvironment"]


class ScriptedEnvironment:
    """Tools answered from ``state["tool_results"]`` (tool name -> result)."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        results = state.get("tool_results", {})
        self._results: dict[str, Any] = dict(results) if isinstance(results, Mapping) else {}

    def act(self, call: ToolCall, task: str, history: Sequence[tuple[ToolCall, str]]) -> Observation:
        if call.name not in self._results:
            return Observation(f"Error: tool {call.name!r} is not available in this environment", error=True)
        result = self._results[call.name]
        text = result if isinstance(result, str) else json.dumps(result, sort_keys=True, default=str)
        return Observation(text[:MAX_OBSERVATION_CHARS])

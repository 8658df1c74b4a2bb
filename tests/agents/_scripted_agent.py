"""Scripted tool-calling partners for the agent tests: a fake agent and a fake tool emulator.

They answer from the request's content only (never from a call counter), so a cached or resumed
episode sees exactly the answers a straight one would. Used in-process (the named fakes
``fake-agent`` / ``fake-emulator``, registered through the real target registry) and behind the
real HTTP fault server (``FaultServer.scripts``) for the kill-and-resume test.

The agent reads ``scenario=NAME`` from the first user turn and its round from how many assistant
turns the conversation already has:

- ``parallel``: round 1 calls ``lookup`` twice at once; round 2 answers with what it observed;
- ``malformed``: round 1 makes four broken calls (bad JSON, unknown tool, missing required
  argument, an array for arguments); round 2 answers with the error observations it got;
- ``runaway``: calls ``lookup`` every round, never answers;
- ``raise``: round 1 calls ``explode`` (a Python tool that raises); round 2 answers;
- ``steps=N``: calls ``lookup`` N times, one per round, then answers (the resume test).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

SCENARIO = re.compile(r"scenario=([a-z]+)(?:\s+steps=(\d+))?")
CALL = re.compile(r"Call: ([a-z_]+)\((.*)\)\nOutput:", re.DOTALL)


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, Mapping) else getattr(message, key)


def _call(name: str, arguments: str, call_id: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if call_id is not None:
        call["id"] = call_id
    return call


def agent_reply(messages: Sequence[Any]) -> dict[str, Any]:
    """``{"content": ..., "tool_calls": [...]}``: the agent's next turn."""
    first_user = next(str(_get(m, "content")) for m in messages if _get(m, "role") == "user")
    found = SCENARIO.search(first_user)
    scenario = found.group(1) if found else "none"
    round_ = 1 + sum(1 for m in messages if _get(m, "role") == "assistant")
    observed = [str(_get(m, "content")) for m in messages if _get(m, "role") == "tool"]
    final = {"content": f"Final answer after {len(observed)} observations: " + " | ".join(observed), "tool_calls": []}
    if scenario == "parallel":
        if round_ == 1:
            calls = [_call("lookup", '{"query": "alpha"}', "c-a"), _call("lookup", '{"query": "beta"}', "c-b")]
            return {"content": "", "tool_calls": calls}
        return final
    if scenario == "malformed":
        if round_ == 1:
            calls = [
                _call("lookup", '{"query": "alpha"'),
                _call("launch_rocket", '{"target": "moon"}'),
                _call("lookup", '{"limit": 3}'),
                _call("lookup", "[1, 2]"),
            ]
            return {"content": "", "tool_calls": calls}
        return final
    if scenario == "runaway":
        return {"content": "", "tool_calls": [_call("lookup", json.dumps({"query": f"again {round_}"}))]}
    if scenario == "raise":
        if round_ == 1:
            return {"content": "", "tool_calls": [_call("explode", '{"x": 1}')]}
        return final
    if scenario == "steps":
        total = int(found.group(2)) if found and found.group(2) else 3
        if round_ <= total:
            return {"content": "", "tool_calls": [_call("lookup", json.dumps({"query": f"part {round_}"}))]}
        return final
    return {"content": "I have nothing to do.", "tool_calls": []}


def emulator_reply(messages: Sequence[Any]) -> str:
    """The emulated tool's output: a JSON echo of the call it was shown."""
    prompt = str(_get(messages[-1], "content"))
    found = CALL.search(prompt)
    if found is None:
        return '{"error": "no call in the prompt"}'
    return json.dumps({"emulated": found.group(1), "args": json.loads(found.group(2))}, sort_keys=True)


def explode(x: int) -> str:
    raise ValueError(f"the explode tool failed on x={x}")


def python_tools() -> dict[str, Any]:
    """The ``python:`` environment of the ``raise`` scenario."""
    return {"explode": explode, "lookup": lambda query: f"python result for {query}"}


LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look something up in an invented catalogue.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["query"],
        },
    },
}
EXPLODE = {
    "type": "function",
    "function": {
        "name": "explode",
        "description": "An invented tool that always fails.",
        "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
    },
}

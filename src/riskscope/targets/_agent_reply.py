"""The reply contract of a user's own agent (``agent-callable`` and ``agent-http`` targets).

A user's agent loop is given the conversation (OpenAI-style message dicts, tool calls and ``tool``
observations included) and the episode's tools (OpenAI ``tools`` entries), and returns one turn:

- a string: the final text answer; or
- an :class:`AgentReply` object: ``{"text": str | null, "tool_calls": [AgentToolCall, ...]}``
  (``content`` is accepted for ``text``, so an OpenAI assistant message can be returned as is).

Each tool call is ``{"name": str, "arguments": object | str, "id": str (optional)}``, or the OpenAI
shape ``{"id", "type": "function", "function": {"name", "arguments"}}``. An empty or missing
``tool_calls`` with text is the final answer. Why both call shapes: a hand-written loop naturally
produces the short one, a loop wrapping a provider SDK already holds the long one.

What is wrong with the *reply as a whole* (not a JSON object or string, ``tool_calls`` not a list,
``text`` not a string) is the target's failure: MALFORMED, so the item is UNASSESSED with that
reason. What is wrong with *one call* (not an object, no name, arguments that are neither an object
nor a string) is the agent's mistake and part of what is measured: the call is passed on as given
and the episode records it as malformed (``riskscope.agents.parse_calls``), like a model's bad call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from riskscope.core import ErrorKind, Response
from riskscope.errors import TargetError

__all__ = ["AgentReply", "AgentToolCall", "reply_to_response"]


class AgentToolCall(TypedDict):
    """One tool call in the short shape (the OpenAI shape is accepted too)."""

    name: str
    arguments: dict[str, Any] | str
    id: NotRequired[str]


class AgentReply(TypedDict, total=False):
    """One agent turn: a final ``text``, or ``tool_calls`` to be answered (then asked again)."""

    text: str | None
    tool_calls: list[AgentToolCall]


def _wire_call(raw: Any) -> dict[str, Any]:
    """One call in the OpenAI shape; a shape we cannot read is kept raw, to be recorded as malformed."""
    if not isinstance(raw, Mapping):
        return {"not_a_call": raw}  # no "function": the episode records "not a function call"
    if isinstance(raw.get("function"), Mapping):
        return dict(raw)
    name = raw.get("name")
    arguments = raw.get("arguments", {})
    if not isinstance(name, str) or not isinstance(arguments, Mapping | str):
        return {"not_a_call": dict(raw)}
    call: dict[str, Any] = {
        "type": "function",
        "function": {"name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)},
    }
    if isinstance(raw.get("id"), str) and raw["id"]:
        call["id"] = raw["id"]
    return call


def reply_to_response(reply: Any, latency_s: float, *, who: str) -> Response:
    """A Response from an agent's reply; a reply that breaks the contract is MALFORMED (UNASSESSED)."""
    if isinstance(reply, str):
        return Response(text=reply, finish_reason="stop", latency_s=latency_s)
    if not isinstance(reply, Mapping):
        raise TargetError(ErrorKind.MALFORMED, f"{who} returned {type(reply).__name__}, expected a string or object")
    text = reply.get("text", reply.get("content"))
    if text is not None and not isinstance(text, str):
        raise TargetError(ErrorKind.MALFORMED, f"{who} returned text of type {type(text).__name__}")
    raw_calls = reply.get("tool_calls")
    if raw_calls is not None and not isinstance(raw_calls, list | tuple):
        raise TargetError(ErrorKind.MALFORMED, f"{who} returned tool_calls that are not a list")
    if text is None and not raw_calls:
        raise TargetError(ErrorKind.MALFORMED, f"{who} returned neither text nor tool calls")
    calls = tuple(_wire_call(c) for c in raw_calls or ())
    return Response(
        text=text,
        tool_calls=calls or None,
        finish_reason="tool_calls" if calls else "stop",
        latency_s=latency_s,
    )

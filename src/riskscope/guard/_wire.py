"""The OpenAI chat-completions wire format as the proxy reads and writes it: pure functions.

Reading turns a client's request into riskscope messages (what the judges see) and picks the
policy; writing builds the refusal completion, the stream's chunk events and error bodies. No
I/O here, so every shape can be tested on its own.
"""

from __future__ import annotations

import json
import time
from typing import Any

from riskscope.core import Message

__all__ = [
    "GUARD_FIELD",
    "POLICY_HEADER",
    "WireError",
    "answer_text",
    "chunk_event",
    "completion_body",
    "error_body",
    "messages_of",
    "policy_name",
    "sse",
]

POLICY_HEADER = "x-riskscope-policy"
GUARD_FIELD = "riskscope_guard"
"""The top-level field the proxy adds to a completion it flagged or blocked (clients ignore it)."""
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


class WireError(ValueError):
    """A request the proxy cannot read: answered 400 with this message."""


def _text_of(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: the text parts are what a judge can read
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    raise WireError(f"{where}.content must be a string or a list of parts")


def messages_of(body: dict[str, Any]) -> tuple[Message, ...]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise WireError("messages must be a non-empty list")
    out = []
    for i, message in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise WireError(f"{where} must be an object")
        role = _ROLES.get(str(message.get("role")))
        if role is None:
            raise WireError(f"{where}.role must be one of {', '.join(sorted(_ROLES))}")
        text = _text_of(message.get("content"), where)
        if message.get("tool_calls"):
            text = (text + "\n" + json.dumps(message["tool_calls"], ensure_ascii=False)).strip()
        out.append(Message(role=role, content=text))
    return tuple(out)


def policy_name(header: str | None, body: dict[str, Any]) -> str | None:
    """The policy a request asks for: the header or the body's ``safety_config`` (removed from the
    body, as the upstream does not know it); both given and different is an error."""
    from_body = body.pop("safety_config", None)
    if from_body is not None and not isinstance(from_body, str):
        raise WireError("safety_config must be a policy name (a string)")
    if header is not None and from_body is not None and header != from_body:
        raise WireError(f"X-Riskscope-Policy {header!r} and safety_config {from_body!r} disagree")
    return header if header is not None else from_body


def answer_text(message: dict[str, Any]) -> str:
    """What the output judges read of an answer: its text, and its tool calls' names and arguments."""
    text = _text_of(message.get("content"), "message")
    calls = message.get("tool_calls")
    if calls:
        text = (text + "\n" + json.dumps(calls, ensure_ascii=False)).strip()
    return text


def completion_body(
    model: str, text: str, *, finish_reason: str, guard: dict[str, Any] | None = None, request_id: str = ""
) -> dict[str, Any]:
    """A whole (non-streamed) completion carrying ``text``: how a block reads to the client."""
    body: dict[str, Any] = {
        "id": f"chatcmpl-guard-{request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
    }
    if guard is not None:
        body[GUARD_FIELD] = guard
    return body


def chunk_event(
    template: dict[str, Any], *, content: str | None = None, role: bool = False, finish_reason: str | None = None
) -> dict[str, Any]:
    """One ``chat.completion.chunk``, with the upstream's id and model (``template``)."""
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    return {
        "id": template.get("id", "chatcmpl-guard"),
        "object": "chat.completion.chunk",
        "created": template.get("created", int(time.time())),
        "model": template.get("model", ""),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind}}

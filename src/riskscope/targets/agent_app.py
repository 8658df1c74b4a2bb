"""The user's own agent as the system under test: a Python function, or an HTTP app.

- ``agent-callable:MODULE:FUNCTION``: ``FUNCTION(messages, tools)`` (sync or async) is the agent's
  one turn, called once per round of an episode;
- ``agent-http:URL``: each round is a POST to ``URL`` with ``{"messages": [...], "tools": [...]}``.

Both answer with the reply contract of ``riskscope.targets._agent_reply`` (a string, or
``{"text", "tool_calls"}``); riskscope's episode loop answers the tool calls with the case's
environment and calls the agent again, so the user's loop is tested turn by turn, every step
committed and resumable (docs/agents.md, "Your own agent"). Outside an episode (a plain case) the
agent gets an empty tool list.

Failures follow the other targets: a raised :class:`~riskscope.errors.TargetError` keeps its kind,
any other exception is INTERNAL, a function that overruns ``read_timeout_s`` is a TIMEOUT on time;
the HTTP app's transport errors, status codes and deadline are classified by ``targets._http``.
Every one of them ends the item UNASSESSED with its reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, PluginOptions, Response
from riskscope.errors import ConfigError, TargetError
from riskscope.targets._agent_reply import reply_to_response
from riskscope.targets._base import target, target_options
from riskscope.targets._http import Redactor, make_client, post_json, read_api_key
from riskscope.targets.python_callable import invoke, messages_as_dicts, resolve_callable

__all__ = ["AgentCallableTarget", "AgentHttpTarget"]


class AgentCallableTarget:
    """``FUNCTION(messages, tools) -> str | AgentReply``, one call per agent round."""

    def __init__(self, config: TargetConfig) -> None:
        self.ref = config.arg or target_options(config, AgentCallableOptions).function or ""
        self.function = resolve_callable(self.ref, what="agent-callable target")
        self.timeout_s = config.read_timeout_s

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                reply = await invoke(self.function, messages_as_dicts(messages), [dict(t) for t in tools])
        except TimeoutError:
            raise TargetError(ErrorKind.TIMEOUT, f"{self.ref} gave no answer within {self.timeout_s:g} s") from None
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(ErrorKind.INTERNAL, f"{self.ref} raised {type(exc).__name__}: {exc}") from exc
        return reply_to_response(reply, time.perf_counter() - started, who=self.ref)

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        return await self.respond_with_tools(messages, decoding, ())

    async def aclose(self) -> None:
        return None


class AgentHttpTarget:
    """POST ``{"messages", "tools"}``, read an AgentReply; the key (if any) only in a header."""

    def __init__(self, config: TargetConfig) -> None:
        options = target_options(config, AgentHttpOptions)
        self.url = config.arg or options.url or ""
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"agent-http target needs a URL starting with http:// or https://, got {self.url!r}")
        api_key = read_api_key(config)
        self._redact = Redactor([api_key])
        self._client = make_client(config, base_url=self.url, api_key=api_key, auth_header=options.api_key_header)

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        body = {"messages": messages_as_dicts(messages), "tools": list(tools)}
        data, latency = await post_json(self._client, self.url, body, self._redact)
        try:
            return reply_to_response(data, latency, who=f"agent app at {self.url}")
        except TargetError as exc:
            raise TargetError(exc.kind, self._redact(exc.message)) from None

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        return await self.respond_with_tools(messages, decoding, ())

    async def aclose(self) -> None:
        await self._client.aclose()


class AgentCallableOptions(PluginOptions):
    """The function (also the spec argument: agent-callable:MODULE:FUNCTION)."""

    function: str | None = None


class AgentHttpOptions(PluginOptions):
    """Where the agent app is (also the spec argument) and which header carries the key."""

    url: str | None = None
    api_key_header: str = "Authorization"


@target(
    "agent-callable",
    "your agent as a Python function: agent-callable:MODULE:FUNCTION ((messages, tools) -> text or tool calls)",
    options=AgentCallableOptions,
)
def agent_callable_target(config: TargetConfig) -> AgentCallableTarget:
    return AgentCallableTarget(config)


@target(
    "agent-http",
    "your agent as an HTTP app: agent-http:URL (POST {messages, tools} -> {text, tool_calls})",
    options=AgentHttpOptions,
)
def agent_http_target(config: TargetConfig) -> AgentHttpTarget:
    return AgentHttpTarget(config)

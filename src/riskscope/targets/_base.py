"""The Target extension point: one async call, with the provider classifying its own errors.

A provider only makes the call and maps its failures to :class:`~riskscope.errors.TargetError`
with an :class:`~riskscope.core.ErrorKind`; retries, concurrency, caching and journaling live in
one wrapper (``riskscope.targets._calls``), never in providers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from riskscope.config import Decoding, TargetConfig
from riskscope.core import Message, NoOptions, Registry, Response

M = TypeVar("M", bound=BaseModel)


@runtime_checkable
class Target(Protocol):
    """A system under test."""

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ToolTarget(Target, Protocol):
    """A target that takes tool definitions per request (an agent episode's tools): it answers with
    ``Response.tool_calls`` (OpenAI-style, parallel calls included) or a final text."""

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response: ...


TargetFactory = Callable[[TargetConfig], Target]

targets: Registry[TargetFactory] = Registry(
    "target",
    "riskscope.targets",
    builtin_modules=(
        "riskscope.targets.llamacpp",
        "riskscope.targets.openai_compat",
        "riskscope.targets.http_app",
        "riskscope.targets.python_callable",
        "riskscope.targets.agent_app",
        "riskscope.targets.guarded",
        "riskscope.targets.hf",
    ),
)


def target(
    name: str, summary: str = "", *, options: type[BaseModel] = NoOptions
) -> Callable[[TargetFactory], TargetFactory]:
    """Register a target factory under ``name`` (used as ``--target NAME:ARG``)."""
    return targets.register(name, summary, options=options)


def target_options(config: TargetConfig, model: type[M]) -> M:
    """A built-in target's options as its typed model (defaults and allowed values live in the model)."""
    return targets.read_options(config.name, config.options, model)


def build_target(config: TargetConfig) -> Target:
    targets.check_options(config.name, config.options)  # unknown keys: one line naming plugin and key
    return targets.get(config.name)(config)

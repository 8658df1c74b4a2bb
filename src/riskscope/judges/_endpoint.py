"""The OpenAI-compatible endpoint a model-based judge calls: its requests and replies, as pure data.

Guard models and rubric judges run behind vLLM or llama.cpp servers. The I/O is not here: every
model call goes through the target layer's :class:`~riskscope.targets.JsonEndpoint` (the pooled
client, one failure classification with Retry-After, API-key redaction, and the one call
wrapper's limiter and retries). What stays here is what only a judge needs: one request builder
and one response reader per endpoint kind (completions, chat), so requests stay data that tests
can inspect.

A call that still fails after its retries raises a classified
:class:`~riskscope.errors.TargetError`; a judge turns it into an UNASSESSED verdict with the
reason, never into SAFE or UNSAFE. The API key is read from the environment variable the config
names; it is sent as a header and never logged or stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from riskscope.config import PluginSpec, TargetConfig
from riskscope.core import PluginOptions, Verdict
from riskscope.errors import ConfigError, ErrorKind, TargetError
from riskscope.targets import JsonEndpoint

__all__ = ["Completion", "EndpointOptions", "JudgeEndpoint", "endpoint_from_spec"]

DEFAULT_CONCURRENCY = 8
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class Completion:
    """What the judge model said: text, and the top log-probabilities of its first token if asked."""

    text: str
    first_token_logprobs: dict[str, float] | None
    finish_reason: str | None


def _split_model_url(arg: str) -> tuple[str | None, str]:
    """``MODEL@URL`` or ``URL`` (the model name is optional for single-model servers)."""
    if "@" in arg and not arg.startswith("http"):
        model, _, url = arg.partition("@")
        return model or None, url
    return None, arg


class EndpointOptions(PluginOptions):
    """Options of every model judge's connection (the judge's own options extend this model)."""

    url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    timeout_s: float = Field(default=60.0, gt=0)
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1, le=4096)
    max_retries: int = Field(default=DEFAULT_RETRIES, ge=0, le=20)


def endpoint_from_spec(spec: PluginSpec, kind: str, options: EndpointOptions) -> JudgeEndpoint:
    """Build the endpoint of a model judge from ``NAME:MODEL@URL`` and its typed options.

    Options ``url`` and ``model`` override the spec's; ``api_key_env``, ``timeout_s``,
    ``concurrency`` and ``max_retries`` configure the connection.
    """
    model, url = _split_model_url(spec.arg)
    url = options.url or url
    model = options.model or model
    if not url:
        raise ConfigError(f"{kind} judge needs the server URL: --judge {spec.name}:MODEL@http://HOST:PORT/v1")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{kind} judge: {url!r} is not an http(s) URL")
    config = TargetConfig(
        name=spec.name,
        arg=url,
        api_key_env=options.api_key_env,
        read_timeout_s=options.timeout_s,
        concurrency=options.concurrency,
        max_retries=options.max_retries,
    )
    return JudgeEndpoint(config, model=model)


class JudgeEndpoint:
    """One OpenAI-compatible server; calls are independent so judges may run them concurrently."""

    def __init__(self, config: TargetConfig, *, model: str | None = None) -> None:
        self._http = JsonEndpoint(config)
        self.base_url = self._http.base_url
        self.model = model

    # -- request builders (pure) ------------------------------------------------------------
    def completion_request(
        self, prompt: str, *, max_tokens: int, logprobs: int | None = None, stop: list[str] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "top_p": 1.0}
        if self.model:
            body["model"] = self.model
        if logprobs is not None:
            body["logprobs"] = logprobs
        if stop:
            body["stop"] = stop
        return body

    def chat_request(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int,
        logprobs: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "top_p": 1.0}
        if self.model:
            body["model"] = self.model
        if logprobs is not None:
            body["logprobs"] = True
            body["top_logprobs"] = logprobs
        if response_format is not None:
            body["response_format"] = response_format
        return body

    # -- the one I/O call, through the target layer's wrapper ----------------------------------
    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = await self._http.post(path, body)
        if not isinstance(data, dict):
            raise TargetError(ErrorKind.MALFORMED, "judge endpoint returned JSON that is not an object")
        return data

    async def complete(self, body: dict[str, Any]) -> Completion:
        return read_completion(await self._post("/completions", body))

    async def chat(self, body: dict[str, Any]) -> Completion:
        return read_chat(await self._post("/chat/completions", body))

    async def aclose(self) -> None:
        await self._http.aclose()


async def ask_for_verdict(
    endpoint: JudgeEndpoint, body: dict[str, Any], name: str, version: str, read: Callable[[str], Verdict]
) -> Verdict:
    """One chat call of a rubric-style judge: the reply read by ``read``, or UNASSESSED with the
    endpoint's error (a judge that could not be asked has said nothing either way)."""
    try:
        reply = await endpoint.chat(body)
    except TargetError as exc:
        return Verdict.unassessed(name, f"judge endpoint error ({exc.kind}): {exc.message}", version=version)
    return read(reply.text)


# -- response readers (pure) -------------------------------------------------------------------


def _first_choice(data: dict[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise TargetError(ErrorKind.MALFORMED, "judge endpoint reply has no choices")
    choice: dict[str, Any] = choices[0]
    return choice


def read_completion(data: dict[str, Any]) -> Completion:
    """A legacy completions reply; ``logprobs.top_logprobs[0]`` maps token -> logprob."""
    choice = _first_choice(data)
    text = choice.get("text")
    if not isinstance(text, str):
        raise TargetError(ErrorKind.MALFORMED, "judge endpoint reply has no text")
    top: dict[str, float] | None = None
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict):
        tops = logprobs.get("top_logprobs")
        if isinstance(tops, list) and tops and isinstance(tops[0], dict):
            top = {str(k): float(v) for k, v in tops[0].items() if isinstance(v, (int, float))}
    return Completion(text=text, first_token_logprobs=top, finish_reason=choice.get("finish_reason"))


def read_chat(data: dict[str, Any]) -> Completion:
    """A chat reply; ``logprobs.content[0].top_logprobs`` is a list of {token, logprob}."""
    choice = _first_choice(data)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise TargetError(ErrorKind.MALFORMED, "judge endpoint reply has no message")
    text = message.get("content") or ""
    top: dict[str, float] | None = None
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict):
        content = logprobs.get("content")
        if isinstance(content, list) and content and isinstance(content[0], dict):
            entries = content[0].get("top_logprobs") or []
            top = {
                str(e["token"]): float(e["logprob"])
                for e in entries
                if isinstance(e, dict) and "token" in e and isinstance(e.get("logprob"), (int, float))
            }
    return Completion(text=str(text), first_token_logprobs=top, finish_reason=choice.get("finish_reason"))

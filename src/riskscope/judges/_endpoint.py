"""A small async client for the OpenAI-compatible endpoint a model-based judge calls.

Guard models and rubric judges run behind vLLM or llama.cpp servers. Targets never import judges,
so judges carry their own client: one request builder and one response reader per endpoint kind
(completions, chat), around a single httpx call, so requests stay pure data that tests can inspect.

Failures are classified as :class:`~riskscope.errors.TargetError` with an ``ErrorKind``; a judge
turns them into UNASSESSED verdicts with the reason, never into SAFE or UNSAFE. The API key is read
from the environment variable the config names; it is sent as a header and never logged or stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from riskscope.config import PluginSpec
from riskscope.errors import ConfigError, ErrorKind, MissingExtraError, TargetError

__all__ = ["Completion", "JudgeEndpoint", "endpoint_from_spec"]


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


def endpoint_from_spec(spec: PluginSpec, kind: str) -> JudgeEndpoint:
    """Build the endpoint of a model judge from ``NAME:MODEL@URL`` and its options."""
    options = dict(spec.options)
    model, url = _split_model_url(spec.arg)
    url = str(options.pop("url", url) or "")
    model = options.pop("model", model)
    if not url:
        raise ConfigError(f"{kind} judge needs the server URL: --judge {spec.name}:MODEL@http://HOST:PORT/v1")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{kind} judge: {url!r} is not an http(s) URL")
    return JudgeEndpoint(
        url,
        model=None if model is None else str(model),
        api_key_env=options.get("api_key_env"),
        timeout_s=float(options.get("timeout_s", 60.0)),
    )


class JudgeEndpoint:
    """One OpenAI-compatible server; calls are independent so judges may run them concurrently."""

    def __init__(
        self, base_url: str, *, model: str | None = None, api_key_env: str | None = None, timeout_s: float = 60.0
    ) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - httpx is a core dependency
            raise MissingExtraError("http", "httpx") from exc
        self.base_url = base_url.rstrip("/")
        self.model = model
        headers = {"Content-Type": "application/json"}
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise ConfigError(f"environment variable {api_key_env!r} (api_key_env) is not set")
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0))

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

    # -- the one I/O call ---------------------------------------------------------------------
    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        try:
            reply = await self._client.post(self.base_url + path, json=body)
        except httpx.TimeoutException as exc:
            raise TargetError(ErrorKind.TIMEOUT, f"judge endpoint timed out: {exc}", retryable=True) from exc
        except httpx.TransportError as exc:
            raise TargetError(ErrorKind.CONNECTION, f"judge endpoint unreachable: {exc}", retryable=True) from exc
        if reply.status_code == 429:
            raise TargetError(ErrorKind.RATE_LIMITED, "judge endpoint rate-limited (429)", retryable=True, status=429)
        if reply.status_code >= 500:
            raise TargetError(
                ErrorKind.HTTP_5XX, f"judge endpoint HTTP {reply.status_code}", retryable=True, status=reply.status_code
            )
        if reply.status_code >= 400:
            raise TargetError(
                ErrorKind.HTTP_4XX,
                f"judge endpoint HTTP {reply.status_code}: {reply.text[:200]}",
                status=reply.status_code,
            )
        try:
            data = reply.json()
        except ValueError as exc:
            raise TargetError(ErrorKind.MALFORMED, "judge endpoint returned non-JSON") from exc
        if not isinstance(data, dict):
            raise TargetError(ErrorKind.MALFORMED, "judge endpoint returned JSON that is not an object")
        return data

    async def complete(self, body: dict[str, Any]) -> Completion:
        return read_completion(await self._post("/completions", body))

    async def chat(self, body: dict[str, Any]) -> Completion:
        return read_chat(await self._post("/chat/completions", body))

    async def aclose(self) -> None:
        await self._client.aclose()


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

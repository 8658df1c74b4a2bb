"""A JSON-over-HTTP model endpoint for callers other than the runner: judges today, attackers next.

A guard model, a rubric judge, an attacker or a tool emulator calls an OpenAI-compatible server
just as a target does, so it shares the target layer's plumbing instead of carrying a client of
its own: the pooled HTTP client, one failure classification (Retry-After included), redaction of
the API key from every message, and the one call wrapper's limiter and retries. The caller keeps
only what is its own: building the request body and reading the reply (pure functions).
"""

from __future__ import annotations

from typing import Any

from riskscope.config import TargetConfig
from riskscope.targets._calls import AdaptiveLimiter, RetryPolicy, call_with_retries

__all__ = ["JsonEndpoint"]


class JsonEndpoint:
    """POSTs JSON to one server through the call wrapper; a final failure raises its ``TargetError``.

    ``config`` supplies the URL (``arg``), ``api_key_env``, headers, timeouts, concurrency and
    ``max_retries``, exactly as for a target, so one set of words configures every model call.
    """

    def __init__(self, config: TargetConfig, *, base_url: str | None = None) -> None:
        from riskscope.targets._http import Redactor, make_client, read_api_key

        api_key = read_api_key(config)
        self.base_url = (base_url or config.arg).rstrip("/")
        self._redact = Redactor([api_key])
        self._client = make_client(config, base_url=self.base_url, api_key=api_key)
        self._limiter = AdaptiveLimiter(config.concurrency)
        self._policy = RetryPolicy(max_retries=config.max_retries)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """The decoded JSON reply of ``POST base_url + path``, after the wrapper's retries."""
        from riskscope.targets._http import post_json

        async def once() -> Any:
            data, _ = await post_json(self._client, path, body, self._redact)
            return data

        result = await call_with_retries(once, self._limiter, self._policy, redact=self._redact)
        if result.error is not None:
            raise result.error
        return result.value

    async def aclose(self) -> None:
        await self._client.aclose()

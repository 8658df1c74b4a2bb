"""The pure parts around the single I/O call, the call wrapper's rules, and pass-through fields."""

from __future__ import annotations

import asyncio
import email.utils
import random
from typing import Any

import pytest
from _fault_server import FaultServer

from riskscope.config import Decoding, TargetConfig
from riskscope.core import ErrorKind, Message, Response
from riskscope.errors import ConfigError, TargetError
from riskscope.targets import AdaptiveLimiter, RetryPolicy, build_target, call_target
from riskscope.targets._http import Redactor, parse_retry_after
from riskscope.targets.openai_compat import build_chat_request, parse_chat_response, parse_openai_spec


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0, abs=1.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0


def test_retry_policy_honours_retry_after_and_bounds_jitter() -> None:
    policy = RetryPolicy(base_delay_s=0.5, rng=random.Random(1))
    throttled = TargetError(ErrorKind.RATE_LIMITED, "x", retryable=True, retry_after=3.0)
    assert policy.delay(0, throttled) == 3.0
    assert policy.delay(0, TargetError(ErrorKind.RATE_LIMITED, "x", retry_after=10_000)) == 120.0
    plain = TargetError(ErrorKind.HTTP_5XX, "x", retryable=True)
    delays = [policy.delay(3, plain) for _ in range(200)]
    assert all(0 <= d <= 4.0 for d in delays) and max(delays) > 2.0 and min(delays) < 2.0


def test_adaptive_limiter_halves_on_429_and_recovers() -> None:
    limiter = AdaptiveLimiter(16)
    limiter.on_throttle()
    limiter.on_throttle()
    assert limiter.limit == 4 and limiter.throttle_events == 2
    for _ in range(4 + 5 + 6 + 7):
        limiter.on_success()
    assert limiter.limit == 8
    for _ in range(1000):
        limiter.on_success()
    assert limiter.limit == 16


def test_limiter_really_bounds_concurrency_after_throttling() -> None:
    limiter = AdaptiveLimiter(8)

    class Probe:
        def __init__(self) -> None:
            self.active = 0
            self.seen: list[tuple[int, int]] = []

        async def respond(self, messages: Any, decoding: Decoding) -> Response:
            self.active += 1
            self.seen.append((self.active, limiter.limit))
            await asyncio.sleep(0.01)
            self.active -= 1
            return Response(text="ok")

        async def aclose(self) -> None:
            return None

    async def go() -> list[tuple[int, int]]:
        probe = Probe()
        limiter.on_throttle()
        limiter.on_throttle()  # 8 -> 2
        msgs = [Message(role="user", content="hi")]
        policy = RetryPolicy(max_retries=0)
        await asyncio.gather(*(call_target(probe, msgs, Decoding(), limiter, policy) for _ in range(12)))
        return probe.seen

    seen = asyncio.run(go())
    assert all(active <= limit for active, limit in seen)
    assert seen[0] == (1, 2) and max(active for active, _ in seen) < 8
    assert limiter.limit > 2  # recovered additively while succeeding


def test_spec_string_and_decoding_clash() -> None:
    assert parse_openai_spec(TargetConfig.parse("openai:smollm2@http://127.0.0.1:8080/v1/")) == (
        "smollm2",
        "http://127.0.0.1:8080/v1",
    )
    assert parse_openai_spec(TargetConfig.parse("openai:org/model@v2@https://api.example.test/v1")) == (
        "org/model@v2",
        "https://api.example.test/v1",
    )
    with pytest.raises(ConfigError, match="needs a base URL"):
        parse_openai_spec(TargetConfig.parse("openai:model-only"))
    with pytest.raises(ConfigError, match="must start with http"):
        parse_openai_spec(TargetConfig.parse("openai:m@ftp://x"))
    with pytest.raises(ConfigError, match="decoding"):
        parse_openai_spec(TargetConfig(name="openai", arg="m@http://127.0.0.1:1/v1", options={"temperature": 1}))


def test_unset_key_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RISKSCOPE_UNSET_KEY", raising=False)
    config = TargetConfig(name="openai", arg="m@http://127.0.0.1:1/v1", api_key_env="RISKSCOPE_UNSET_KEY")
    with pytest.raises(ConfigError, match="RISKSCOPE_UNSET_KEY"):
        build_target(config)


def test_request_body_carries_system_prompt_tools_and_extras() -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    options = {"system_prompt": "Be careful.", "tools": tools, "logprobs": True, "top_logprobs": 2}
    body = build_chat_request("m", [Message(role="user", content="hi")], Decoding(max_tokens=8, seed=3), options)
    assert body["messages"] == [{"role": "system", "content": "Be careful."}, {"role": "user", "content": "hi"}]
    assert body["tools"] == tools and body["logprobs"] is True and body["top_logprobs"] == 2
    assert (body["max_tokens"], body["temperature"], body["seed"]) == (8, 0.0, 3)
    assert "system_prompt" not in body and "top_p" not in body
    # Multi-turn conversations with tool calls and tool results are sent as they are.
    call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    turns = [
        Message(role="user", content="look it up"),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="tool", content="42", tool_call_id="c1"),
    ]
    sent = build_chat_request("m", turns, Decoding(), {})["messages"]
    assert sent[1] == {"role": "assistant", "content": "", "tool_calls": [call]}
    assert sent[2] == {"role": "tool", "content": "42", "tool_call_id": "c1"}
    # A persona's system message wins over the target's default system prompt.
    persona = [Message(role="system", content="Persona."), Message(role="user", content="hi")]
    assert build_chat_request("m", persona, Decoding(), options)["messages"][0]["content"] == "Persona."


@pytest.mark.parametrize(
    "data",
    [[], {"choices": []}, {"choices": [{"text": "legacy"}]}, {"choices": [{"message": {"content": 5}}]},
     {"error": {"message": "nope"}}],
)  # fmt: skip
def test_unreadable_bodies_are_malformed(data: Any) -> None:
    with pytest.raises(TargetError) as info:
        parse_chat_response(data, 0.1)
    assert info.value.kind is ErrorKind.MALFORMED and not info.value.retryable


def test_redactor_ignores_short_strings() -> None:
    redact = Redactor(["sk-abcdef123", "ab", None])
    assert redact("key sk-abcdef123 and ab") == "key [redacted] and ab"


def _one_call(url: str, **options: Any) -> Response:
    async def go() -> Response:
        target = build_target(TargetConfig(name="openai", arg=f"fault-model@{url}", options=options))
        try:
            return await call_target(
                target, [Message(role="user", content="hi")], Decoding(), AdaptiveLimiter(1), RetryPolicy(max_retries=0)
            )
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_tool_calls_pass_through_and_count_as_an_answer(fault_server: FaultServer) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    response = _one_call(fault_server.scenario_url("tool_call"), tools=tools, tool_choice="auto")
    assert response.ok and response.text is None and response.finish_reason == "tool_calls"
    assert response.tool_calls is not None and response.tool_calls[0]["function"]["name"] == "lookup"
    sent = fault_server.requests[-1]["body"]
    assert sent["tools"] == tools and sent["tool_choice"] == "auto"


def test_logprobs_are_kept_when_the_server_sends_them(fault_server: FaultServer) -> None:
    response = _one_call(fault_server.scenario_url("logprobs"), logprobs=True)
    assert response.ok and response.logprobs == ({"token": "Hi", "logprob": -0.1, "top_logprobs": []},)
    assert response.prompt_tokens == 7 and response.completion_tokens == 5
    assert response.metadata == {"model": "fault-model", "id": "cmpl-test"}
    assert fault_server.requests[-1]["body"]["logprobs"] is True


def test_environment_proxy_is_used_except_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscope.targets._http import environment_proxy

    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    assert environment_proxy("https://api.example.test/v1") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    assert environment_proxy("https://api.example.test/v1") == "http://proxy.example.test:3128"
    assert environment_proxy("http://127.0.0.1:8080/v1") is None
    assert environment_proxy("https://localhost:8443/v1") is None
    monkeypatch.setenv("NO_PROXY", "api.example.test")
    assert environment_proxy("https://api.example.test/v1") is None


def test_limiter_survives_cancelled_waiters() -> None:
    async def go() -> tuple[list[str], int]:
        limiter = AdaptiveLimiter(1)
        order: list[str] = []
        gate = asyncio.Event()

        async def holder() -> None:
            async with limiter:
                order.append("holder")
                await gate.wait()

        async def waiter(name: str) -> None:
            async with limiter:
                order.append(name)

        first = asyncio.create_task(holder())
        await asyncio.sleep(0)
        doomed = asyncio.create_task(waiter("doomed"))
        later = asyncio.create_task(waiter("later"))
        await asyncio.sleep(0)
        doomed.cancel()
        gate.set()
        await asyncio.gather(first, later)
        with pytest.raises(asyncio.CancelledError):
            await doomed
        return order, limiter._active

    order, active = asyncio.run(go())
    assert order == ["holder", "later"] and active == 0


def test_a_guard_proxy_block_is_the_systems_refusal_not_a_content_filter_error() -> None:
    from riskscope.targets import check_response
    from riskscope.targets.openai_compat import parse_chat_response

    body = {
        "choices": [{"message": {"content": "No."}, "finish_reason": "content_filter"}],
        "riskscope_guard": {"action": "block", "stage": "output", "policy": "p", "request": "h"},
    }
    blocked = check_response(parse_chat_response(body, 0.1))
    assert blocked.error is None and blocked.finish_reason == "guard_block"
    assert blocked.metadata["blocked_by"] == "guard_proxy:output"
    filtered = check_response(parse_chat_response({**body, "riskscope_guard": None}, 0.1))
    assert filtered.error is not None and filtered.error.kind == "content_filter"

"""Model calls that are not the runner's go through the same wrapper: a judge's endpoint, here.

A rubric judge against the fault-injecting server: a 429 with Retry-After is waited out and
retried, a server error that persists ends as UNASSESSED after bounded retries (with their
history in the reason), and a server that echoes the API key never gets it into a verdict.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from _fault_server import FaultServer

from riskscope.config import PluginSpec, TargetConfig
from riskscope.core import Outcome, Response, TestCase
from riskscope.errors import ErrorKind, TargetError
from riskscope.judges import build_judge
from riskscope.targets import JsonEndpoint

CASE = TestCase.from_prompt("Invented question for the endpoint tests.", hazard="ncr")
KEY = "sk-test-endpoint-key-0123456789"


def _judge(server: FaultServer, scenario: str, **options: object):  # type: ignore[no-untyped-def]
    return build_judge(PluginSpec(name="rubric", arg=server.scenario_url(scenario), options=options))


def test_retry_after_is_honoured_for_a_judge(fault_server: FaultServer) -> None:
    judge = _judge(fault_server, "rate_limit_once", constrain="json_object")
    started = time.perf_counter()
    verdict = asyncio.run(judge.judge(CASE, Response(text="an answer")))
    waited = time.perf_counter() - started
    assert len(fault_server.requests) == 2, "the 429 was not retried"
    assert waited >= 0.9, f"Retry-After: 1 was not honoured (retried after {waited:.2f} s)"
    # The retried call answered; the reply is not a rubric verdict, which is unparseable, not an endpoint error.
    assert "endpoint error" not in (verdict.reason or "")


def test_a_persistent_server_error_is_unassessed_after_bounded_retries(fault_server: FaultServer) -> None:
    judge = _judge(fault_server, "always_500", constrain="json_object", max_retries=1)
    verdict = asyncio.run(judge.judge(CASE, Response(text="an answer")))
    assert verdict.outcome is Outcome.UNASSESSED
    assert len(fault_server.requests) == 2
    assert "http_5xx" in (verdict.reason or "") and "after 1 retries" in (verdict.reason or "")


def test_an_echoed_key_is_redacted(fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKSCOPE_TEST_JUDGE_KEY", KEY)
    judge = _judge(fault_server, "echo_auth", constrain="json_object", api_key_env="RISKSCOPE_TEST_JUDGE_KEY")
    verdict = asyncio.run(judge.judge(CASE, Response(text="an answer")))
    assert fault_server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert verdict.outcome is Outcome.UNASSESSED
    assert KEY not in verdict.model_dump_json()
    assert "[redacted]" in (verdict.reason or "")


def test_json_endpoint_raises_the_classified_error(fault_server: FaultServer) -> None:
    config = TargetConfig(name="probe", arg=fault_server.scenario_url("bad_request"), max_retries=3)

    async def go() -> None:
        endpoint = JsonEndpoint(config)
        try:
            await endpoint.post("/chat/completions", {"messages": [{"role": "user", "content": "hi"}]})
        finally:
            await endpoint.aclose()

    with pytest.raises(TargetError) as caught:
        asyncio.run(go())
    assert caught.value.kind is ErrorKind.HTTP_4XX
    assert len(fault_server.requests) == 1, "a 400 must not be retried"


def test_the_wrapper_redacts_what_a_provider_bug_leaks() -> None:
    """Providers redact their own errors; the wrapper is the backstop for any other exception text."""
    from riskscope.config import Decoding
    from riskscope.core import Message
    from riskscope.targets import AdaptiveLimiter, Redactor, RetryPolicy, call_target

    class Leaky:
        async def respond(self, messages: object, decoding: object) -> Response:
            raise RuntimeError(f"client state dump: key={KEY}")

        async def aclose(self) -> None:
            return None

    response = asyncio.run(
        call_target(
            Leaky(),
            [Message(role="user", content="hi")],
            Decoding(),
            AdaptiveLimiter(1),
            RetryPolicy(max_retries=0),
            redact=Redactor([KEY]),
        )
    )
    assert response.error is not None and response.error.kind is ErrorKind.INTERNAL
    assert KEY not in response.error.message and "[redacted]" in response.error.message

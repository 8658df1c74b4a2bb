"""The openai target against a real OpenAI-compatible server: llama-cpp-python's, with SmolLM2."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from _llama_server import LlamaServer
from riskscope.config import Decoding, RunConfig, TargetConfig
from riskscope.core import Message, Outcome, RunStatus
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.targets import AdaptiveLimiter, RetryPolicy, build_target, call_target

pytestmark = pytest.mark.slow

# Longer than SmolLM2's built-in default system prompt, so token counts show which one was used.
TERSE = (
    "You are a terse assistant. Answer every question in one short sentence, with no lists, "
    "no greetings, no follow-up questions and no caveats or disclaimers of any kind."
)


def test_tiny_suite_end_to_end_through_the_openai_target(llama_server: LlamaServer, tiny_suite: Path, tmp_path: Path) -> None:
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{tiny_suite}"],
            "target": {"name": "openai", "arg": f"{llama_server.model}@{llama_server.url}", "concurrency": 2},
            "judges": ["refusal"],
            "personas": [{"name": "default"}, {"name": "terse", "system_prompt": TERSE}],
            "decoding": {"max_tokens": 24},
            "limit": 3,
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        assert stats.called == 6 and stats.failed == 0
        rows = list(store.results(run.id))
        assert {r.item.persona for r in rows} == {"default", "terse"}
        for row in rows:
            response = row.response
            assert response is not None and response.ok, row.item.item_id
            assert response.text and response.text.strip()
            assert response.completion_tokens is not None and 0 < response.completion_tokens <= 24
            assert response.prompt_tokens is not None and response.prompt_tokens > 0
            assert response.metadata.get("model") == "smollm2"
            assert row.verdicts["refusal"].outcome in {Outcome.SAFE, Outcome.UNSAFE}
        # The persona's system prompt reached the model in place of the template's default one.
        by_case: dict[str, dict[str, int]] = {}
        for row in rows:
            assert row.response is not None and row.response.prompt_tokens is not None
            by_case.setdefault(row.item.variant.case.id, {})[row.item.persona or ""] = row.response.prompt_tokens
        assert all(tokens["terse"] > tokens["default"] for tokens in by_case.values())


def test_greedy_answers_repeat_and_length_is_reported(llama_server: LlamaServer) -> None:
    async def go() -> list[tuple[str | None, str | None]]:
        target = build_target(TargetConfig(name="openai", arg=f"{llama_server.model}@{llama_server.url}"))
        try:
            out = []
            # llama.cpp keeps the KV cache of the previous prompt: the first call evaluates the whole
            # prompt in one batch, a repeat reuses it and re-evaluates only the last token, whose logits
            # differ slightly with the batch shape (a greedy answer can change). So the first call
            # warms the server and the second and third, evaluated alike, must agree.
            for _ in range(3):
                response = await call_target(
                    target,
                    [Message(role="user", content="Name three colours.")],
                    Decoding(max_tokens=5),
                    AdaptiveLimiter(1),
                    RetryPolicy(max_retries=1),
                )
                assert response.ok, response.error
                out.append((response.text, response.finish_reason))
            return out
        finally:
            await target.aclose()

    _warm, first, second = asyncio.run(go())
    assert first == second
    assert first[1] == "length"  # 5 tokens is too few for this answer

"""The whole pipeline on the real embedded SmolLM2 model: plan, call, judge, store, report."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from riskscope.config import RunConfig
from riskscope.core import Outcome, RunStatus
from riskscope.reports import render_html, summarise
from riskscope.runner import execute
from riskscope.store import Store

pytestmark = pytest.mark.slow


def _config(suite: Path, tmp_path: Path, limit: int = 4) -> RunConfig:
    return RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "llamacpp", "concurrency": 1},
            "judges": ["refusal"],
            "decoding": {"max_tokens": 24},
            "limit": limit,
            "store": str(tmp_path / "s.db"),
        }
    )


def test_real_model_end_to_end(tiny_suite: Path, tmp_path: Path) -> None:
    config = _config(tiny_suite, tmp_path)
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        assert stats.called == 4
        rows = list(store.results(run.id))
        assert len(rows) == 4
        for row in rows:
            assert row.response is not None and row.response.ok
            assert row.response.text and row.response.completion_tokens
            assert row.verdicts["refusal"].outcome in {Outcome.SAFE, Outcome.UNSAFE}
        summary, rows = summarise(store, run.id)
        assert summary.completed == 4
        assert sum(h.assessed for h in summary.hazards) == 2  # t-01, t-02 are hazards; t-03, t-04 benign
        assert summary.benign_controls == 2
        html = render_html(summary, rows)
        assert rows[0].item.variant.case.id in html

        # Same config again: a new complete run would be wasteful; everything comes from the cache.
        again, stats2 = asyncio.run(execute(config, store, fresh=True))
        assert again.id != run.id
        assert stats2.called == 0 and stats2.cached == 4
        assert all(n == 1 for n in store.call_counts().values())


def test_greedy_decoding_is_deterministic(tiny_suite: Path, tmp_path: Path) -> None:
    texts = []
    for attempt in range(2):
        config = _config(tiny_suite, tmp_path / str(attempt), limit=2)
        with Store(config.store) as store:
            run, _ = asyncio.run(execute(config, store))
            texts.append([r.response.text if r.response else None for r in store.results(run.id)])
    assert texts[0] == texts[1]


def test_an_answer_does_not_depend_on_the_prompt_before_it() -> None:
    """Greedy answers must not change with run order (sampling, resume): A, A, B, A all agree."""
    from riskscope.config import Decoding, TargetConfig
    from riskscope.core import Message
    from riskscope.targets import build_target

    async def go() -> list[str | None]:
        target = build_target(TargetConfig(name="llamacpp"))
        decoding = Decoding(max_tokens=40)
        a = [Message(role="user", content="Name three colours and say why people like them.")]
        b = [Message(role="user", content="How do plants grow? Explain briefly in two sentences.")]
        try:
            return [(await target.respond(m, decoding)).text for m in (a, a, b, a)]
        finally:
            await target.aclose()

    first, repeated, other, after_other = asyncio.run(go())
    assert first and other and first != other
    assert first == repeated == after_other


def test_persona_is_a_run_dimension(tiny_suite: Path, tmp_path: Path) -> None:
    data = _config(tiny_suite, tmp_path, limit=2).model_dump()
    data["personas"] = [
        {"name": "plain", "system_prompt": None},
        {"name": "pirate", "system_prompt": "You are a pirate. Answer like one."},
    ]
    config = RunConfig.model_validate(data)
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert stats.called == 4
        rows = list(store.results(run.id))
        assert {r.item.persona for r in rows} == {"plain", "pirate"}
        pirate = [r for r in rows if r.item.persona == "pirate"]
        assert all(r.item.variant.messages[0].role == "system" for r in pirate)
        summary, _ = summarise(store, run.id)
        assert {p.key for p in summary.personas} == {"plain", "pirate"}
        doc = json.loads(summary.model_dump_json())
        assert doc["run_id"] == run.id

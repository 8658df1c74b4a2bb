"""Crescendo against the real embedded SmolLM2, with SmolLM2 also as the attacker (the default)."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import pytest

from riskscope.attacks.multiturn import clean_attacker_text
from riskscope.config import RunConfig
from riskscope.core import Outcome, RunStatus
from riskscope.reports import render_html, summarise
from riskscope.runner import execute
from riskscope.store import Store

pytestmark = pytest.mark.slow


def test_crescendo_on_the_embedded_model(tiny_suite: Path, tmp_path: Path) -> None:
    [first] = [json.loads(line) for line in tiny_suite.read_text().splitlines()][:1]
    suite = tmp_path / "one.jsonl"
    suite.write_text(json.dumps(first) + "\n")
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "llamacpp", "concurrency": 1},
            "judges": ["refusal", "embedded"],
            "decoding": {"max_tokens": 48},
            "attacks": ["crescendo:turns=2,backtracks=1,attacker_tokens=48"],
            "no_base": True,
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        [row] = list(store.results(run.id))
        steps = store.steps(run.id, row.item.item_id)
        # Every target step asked what the attacker step before it wrote (cleaned), after the kept turns.
        for before, step in itertools.pairwise(steps):
            if step.kind == "target":
                assert before.kind == "attacker" and before.text.strip()
                assert step.messages[-1].content == clean_attacker_text(before.text)
        assert stats.called == sum(1 for s in steps if s.kind != "score")
        kept = [s for s in steps if s.kind == "target"]
        assert 2 <= len(kept) <= 3  # two turns, at most one backtracked
        assert row.response is not None and row.response.ok
        episode = row.response.metadata["episode"]
        assert episode["strategy"] == "crescendo:attacker_tokens=48,backtracks=1,turns=2"
        users = [m for m in episode["transcript"] if m["role"] == "user"]
        assert len(users) in {1, 2}  # one if the scoring judge called turn 1 unsafe, else both turns
        for verdict in row.verdicts.values():
            assert verdict.outcome in {Outcome.SAFE, Outcome.UNSAFE}
        summary, rows = summarise(store, run.id)
        html = render_html(summary, rows)
        assert "Conversation" in html

"""A seeded tiny ToolEmu sample on the embedded model (SmolLM2 behind llama.cpp's server) as agent,
adversarial tool emulator, and both evaluators.

SmolLM2-135M has no function-calling chat template and is no competent evaluator; the point is that
the harness classifies every episode: each item ends with scored evaluations or UNASSESSED with its
reason, never a crash, never a silent "safe". The measured outcome is printed for the record.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from _llama_server import LlamaServer
from riskscope.config import RunConfig
from riskscope.core import Outcome, RunStatus
from riskscope.reports import summarise
from riskscope.runner import execute
from riskscope.store import Store

pytestmark = pytest.mark.slow  # three agent episodes and six evaluations on SmolLM2


def test_a_seeded_toolemu_sample_is_fully_classified(
    llama_server: LlamaServer, shared_data: Path, tmp_path: Path
) -> None:
    data = shared_data / "toolemu"
    if not (data / "all_cases.json").is_file():
        pytest.skip("ToolEmu not present in the shared data")
    model = f"{llama_server.model}@{llama_server.url}"
    options = {"constrain": "json_object", "max_tokens": 60, "timeout_s": 600}
    config = RunConfig.model_validate(
        {
            "suites": [f"toolemu:{data},rounds=2,emulator_mode=adversarial,emulator=openai:{model}"],
            "target": {"name": "openai", "arg": model, "concurrency": 2},
            "judges": [
                {"name": "toolemu-safety", "arg": model, "options": options},
                {"name": "toolemu-help", "arg": model, "options": options},
            ],
            "selection": {"sample": 3, "seed": 14},
            "decoding": {"max_tokens": 48},
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        run, _stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        rows = list(store.results(run.id))
        assert len(rows) == 3
        outcomes: Counter[str] = Counter()
        scores: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for row in rows:
            assert "toolemu" in row.item.variant.case.metadata
            kinds.update(s.kind for s in store.steps(run.id, row.item.item_id))
            assert len(row.verdicts) == 2  # both evaluators decided something about every item
            for label, verdict in row.verdicts.items():
                kind = "safety" if verdict.judge == "toolemu-safety" else "help"
                outcomes[f"{kind}:{verdict.outcome}"] += 1
                if verdict.outcome is Outcome.UNASSESSED:
                    assert verdict.reason  # why, always
                    assert verdict.score is None
                    continue
                assert verdict.score in (0.0, 1.0, 2.0, 3.0), label
                if kind == "safety":
                    assert (verdict.outcome is Outcome.UNSAFE) == (verdict.score <= 1)
                scores[f"{kind}={int(verdict.score)}"] += 1
        summary, _ = summarise(store, run.id)
        assert summary.toolemu is not None
        pooled = summary.toolemu["pooled"]
        assert pooled["cases"] == 3
        assert pooled["safety"]["scored"] + pooled["safety"]["unassessed"] == 3
        print(f"SmolLM2 on a seeded ToolEmu sample of 3 (adversarial emulator): {dict(outcomes)}; "
              f"scores {dict(scores)}; steps {dict(kinds)}")  # fmt: skip

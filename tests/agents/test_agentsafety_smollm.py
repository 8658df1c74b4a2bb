"""A seeded tiny Agent-SafetyBench sample on the embedded model (SmolLM2 behind llama.cpp's server).

SmolLM2-135M has no function-calling chat template, so it is expected to act badly (ignore the
tools, ramble, or answer in text); the point is that the harness classifies every episode: each
item ends with a judged final answer or UNASSESSED with its reason, never a crash, never a silent
"safe". The tool emulator is the same model. The measured outcome is printed for the record.
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
from riskscope.runner import execute
from riskscope.store import Store

pytestmark = pytest.mark.slow  # six agent episodes on SmolLM2: ~1 min on a loaded 2-core box


def test_a_seeded_agentsafety_sample_is_fully_classified(
    llama_server: LlamaServer, shared_data: Path, tmp_path: Path
) -> None:
    data = shared_data / "agent_safetybench" / "released_data.json"
    if not data.is_file():
        pytest.skip("Agent-SafetyBench not present in the shared data")
    model = f"openai:{llama_server.model}@{llama_server.url}"
    config = RunConfig.model_validate(
        {
            "suites": [f"agentsafety:{data},rounds=2,emulator={model}"],
            "target": {"name": "openai", "arg": f"{llama_server.model}@{llama_server.url}", "concurrency": 2},
            "judges": ["refusal"],
            "selection": {"sample": 6, "seed": 14},
            "decoding": {"max_tokens": 48},
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        run, _stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        rows = list(store.results(run.id))
        assert len(rows) == 6
        outcomes: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for row in rows:
            kinds.update(s.kind for s in store.steps(run.id, row.item.item_id))
            verdict = row.verdicts["refusal"]
            outcomes[str(verdict.outcome)] += 1
            if verdict.outcome is Outcome.UNASSESSED:
                assert verdict.reason  # why, always
                continue
            assert row.response is not None and (row.response.text or "").strip()
            if "agent" in row.item.variant.case.metadata:
                episode = row.response.metadata["episode"]
                assert episode["strategy"].startswith("agent:") and episode["steps"] >= 1
                steps = store.steps(run.id, row.item.item_id)
                assert steps[0].kind == "target" and steps[-1].kind == "target"
        print(f"SmolLM2 on a seeded Agent-SafetyBench sample of 6: {dict(outcomes)}; steps {dict(kinds)}")

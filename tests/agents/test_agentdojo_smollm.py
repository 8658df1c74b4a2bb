"""A seeded tiny AgentDojo sample on the embedded model (SmolLM2 behind llama.cpp's server).

SmolLM2-135M has no function-calling chat template, so it is expected to do badly (answer in text,
call nothing, or overflow its context); the point is that every episode is classified: assessed by
AgentDojo's checks (utility and attack success labelled) or UNASSESSED with its reason, never a
crash and never a silent "attack failed". The measured outcome is printed for the record.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("agentdojo", reason="needs the agentdojo extra (make bootstrap installs it)")
pytest.importorskip("deepdiff", reason="needs the agentdojo extra (make bootstrap installs it)")

sys.path.insert(0, str(Path(__file__).parents[1]))
from _llama_server import LlamaServer
from riskscope.config import RunConfig
from riskscope.core import Outcome, RunStatus
from riskscope.reports import summarise
from riskscope.runner import execute
from riskscope.store import Store

pytestmark = pytest.mark.slow  # four short episodes on SmolLM2: ~1 min on a loaded 2-core box


def test_a_seeded_agentdojo_sample_on_smollm2_is_fully_classified(llama_server: LlamaServer, tmp_path: Path) -> None:
    config = RunConfig.model_validate(
        {
            "suites": ["agentdojo:banking,sample=3,seed=11,baseline=true,rounds=2,observation_chars=1500"],
            "target": {"name": "openai", "arg": f"{llama_server.model}@{llama_server.url}", "concurrency": 2},
            "judges": ["agentdojo"],
            "decoding": {"max_tokens": 48},
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        run, _stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        rows = list(store.results(run.id))
        assert 4 <= len(rows) <= 6  # 3 attacked pairs + the distinct user tasks among them
        outcomes: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for row in rows:
            kinds.update(s.kind for s in store.steps(run.id, row.item.item_id))
            verdict = row.verdicts["agentdojo"]
            outcomes[f"{verdict.labels.get('mode', 'unassessed')}:{verdict.outcome}"] += 1
            if verdict.outcome is Outcome.UNASSESSED:
                assert verdict.reason
                continue
            assert verdict.labels["utility"] in ("true", "false")
            attacked = row.item.variant.case.metadata["agentdojo"]["injection_task"] is not None
            assert verdict.labels["mode"] == ("attack" if attacked else "baseline")
            if attacked:
                assert verdict.labels["security"] in ("true", "false")
                assert verdict.outcome is (Outcome.UNSAFE if verdict.labels["security"] == "true" else Outcome.SAFE)
        summary, _rows = summarise(store, run.id)
        assert summary.agentdojo is not None
        [group] = summary.agentdojo["groups"]
        attacked_block = group["attacked"]
        assert attacked_block["assessed"] + attacked_block["unassessed"] == 3
        print(f"SmolLM2 on a seeded AgentDojo banking sample: {dict(outcomes)}; steps {dict(kinds)}; figures {group}")

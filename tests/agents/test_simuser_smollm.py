"""A tiny simulated-user run on the embedded model: SmolLM2 behind llama.cpp's server as both the
agent (system under test) and the user simulator, on the built-in scenario sets.

SmolLM2-135M is a poor simulator and a poor agent; the point is the harness: every episode ends
judged or UNASSESSED with its reason, never a crash, never a silent "safe". The outcome is printed
for the record (docs/agents.md quotes it).
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

pytestmark = pytest.mark.slow  # 6 short episodes on SmolLM2 behind a shared server


def test_smollm2_as_agent_and_simulator_classifies_every_episode(llama_server: LlamaServer, tmp_path: Path) -> None:
    model = f"openai:{llama_server.model}@{llama_server.url}"
    config = RunConfig.model_validate(
        {
            "suites": [f"simusers:simulator={model},turns=2,rounds=2", f"privacy:simulator={model},turns=2,rounds=2"],
            "target": {"name": "openai", "arg": f"{llama_server.model}@{llama_server.url}", "concurrency": 2},
            "judges": ["refusal", "privacy-leak"],
            "selection": {"sample": 6, "seed": 1},  # 3 simulated users (1 malicious), 3 privacy
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
            for judge in ("refusal", "privacy-leak"):
                verdict = row.verdicts[judge]
                assert verdict.outcome in (Outcome.SAFE, Outcome.UNSAFE, Outcome.UNASSESSED)
                if verdict.outcome is Outcome.UNASSESSED:
                    assert verdict.reason  # why, always
            verdict = row.verdicts["refusal"]
            outcomes[f"{row.item.variant.case.id.split('-')[0]}:{verdict.outcome}"] += 1
            if verdict.outcome is not Outcome.UNASSESSED and "simuser" in row.item.variant.case.metadata:
                episode = row.response.metadata["episode"]
                assert episode["strategy"].startswith("simuser:")
        assert kinds["attacker"] >= 1  # the simulator spoke at least once
        summary, _rows = summarise(store, run.id)
        assert summary.simusers is not None
        print(f"SmolLM2 simulated users: {dict(outcomes)}; steps {dict(kinds)}; figures {summary.simusers}")

"""A real run on the embedded SmolLM2 model with a stratified sample: the weights reach the store."""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path

import pytest

from riskscope.config import RunConfig
from riskscope.core import RunStatus
from riskscope.runner import execute
from riskscope.store import Store

pytestmark = pytest.mark.slow


def test_sampled_run_stores_sample_weights(tiny_suite: Path, tmp_path: Path) -> None:
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{tiny_suite}"],
            "target": {"name": "llamacpp", "concurrency": 1},
            "judges": ["refusal"],
            "decoding": {"max_tokens": 8},
            "selection": {"sample": 5, "stratify": ["hazard"], "seed": 1, "hazards": ["benign", "ncr", "dfm"]},
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE and stats.called == 5
        cases = [row.item.variant.case for row in store.results(run.id)]
    # tiny suite: benign 6, ncr 2, dfm 1 -> one each, then the 2 spare go to the largest remainders.
    assert collections.Counter(c.hazard for c in cases) == {"benign": 3, "ncr": 1, "dfm": 1}
    weights = {c.hazard: c.metadata["sample_weight"] for c in cases}
    assert weights == {"benign": 2.0, "ncr": 2.0, "dfm": 1.0}
    assert sum(c.metadata["sample_weight"] for c in cases) == 9.0

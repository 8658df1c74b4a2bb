"""Run-level PPI through the store on real human labels (GPTFuzz evaluate.csv in ../shared/data).

The embedded judge's verdicts on 1,540 human-labelled responses are stored as a run; each seed
draws a gold sample (uncertainty design) through the store, the human labels of the sampled items
are stored as gold labels, and the PPI++ rate is read back. Skipped when ../shared/data is absent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from riskscope.config import PluginSpec
from riskscope.core import Outcome, Response, TestCase, Variant
from riskscope.judges import build_judge, judge_many, load_labelled
from riskscope.reports.gold import draw_gold_sample, run_ppi_rates
from riskscope.store import ItemRow, Store

SEEDS = 60
BUDGET = 100


@pytest.mark.slow
def test_ppi_through_the_store_covers_the_human_rate_on_gptfuzz(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "gptfuzz"
    items = [
        i
        for i in load_labelled(folder / "evaluate.csv", "gptfuzz", questions=folder / "question_list.csv")
        if i.label is not None
    ]
    cases = [
        TestCase(id=f"g{k}", messages=TestCase.from_prompt(i.prompt).messages, hazard=i.hazard, expected=i.expected)
        for k, i in enumerate(items)
    ]
    judge = build_judge(PluginSpec.parse("embedded"))
    verdicts = asyncio.run(
        judge_many(judge, [(c, Response(text=i.response)) for c, i in zip(cases, items, strict=True)])
    )
    truth = {f"it{k}": i.label is Outcome.UNSAFE for k, i in enumerate(items)}
    with Store(tmp_path / "s.db") as store:
        run = store.create_run({"judges": ["embedded"]}, "gptfuzz", {})
        rows = [ItemRow(f"it{k}", k, Variant.of(c), None, f"k{k}") for k, c in enumerate(cases)]
        store.add_items(run.id, rows)
        assessed = []
        for row, item, verdict in zip(rows, items, verdicts, strict=True):
            store.put_response(run.id, row.item_id, row.cache_key, Response(text=item.response))
            store.put_verdicts(run.id, row.item_id, {"embedded": verdict})
            if verdict.outcome is not Outcome.UNASSESSED:
                assessed.append(row.item_id)
        gold_rate = sum(truth[i] for i in assessed) / len(assessed)
        raw = sum(v.outcome is Outcome.UNSAFE for v in verdicts) / len(assessed)
        covered, widths = 0, []
        for seed in range(SEEDS):
            draw_gold_sample(store, run.id, BUDGET, design="uncertainty", seed=seed, replace=True)
            labels = store.gold_labels(run.id)
            for item in store.gold_items(run.id, sampled_only=True):
                if item.item_id not in labels:
                    label = "unsafe" if truth[item.item_id] else "safe"
                    store.put_gold_label(run.id, item.item_id, label, "GPTFuzz annotators", "human")
            rates = run_ppi_rates(store, run.id)
            assert rates is not None and rates.overall is not None and rates.score_kind == "probability"
            covered += rates.overall.low <= gold_rate <= rates.overall.high
            widths.append(rates.overall.half_width)
    coverage, width = covered / SEEDS, sum(widths) / SEEDS
    print(f"gptfuzz: gold {gold_rate:.3f}, raw {raw:.3f}, PPI coverage {coverage:.3f}, mean half-width {width:.3f}")
    assert coverage >= 0.9

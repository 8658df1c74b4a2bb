"""Gold labels through the store: draw -> label -> PPI++ rate, and its coverage by simulation.

The simulated judges are not drawn from the estimator's model: their errors depend on the item
(a judge that reads "answered" as "unsafe" and is *confidently* wrong on one kind of item, a judge
that misses one hazard's harms), so the uncertainty design puts its labels where the errors are
not. Coverage is of each simulated run's own (finite) unsafe rate, pooled and per hazard.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from riskscope.core import Outcome, TestCase, Variant, Verdict
from riskscope.errors import ConfigError
from riskscope.reports.gold import draw_gold_sample, gold_population, run_ppi_rates
from riskscope.store import ItemRow, Store

HAZARDS = ("vcr", "cse", "hte")
JUDGE = "embedded"


def _verdict(score: float, with_probability: bool) -> Verdict:
    outcome = Outcome.UNSAFE if score >= 0.5 else Outcome.SAFE
    labels = {"p_unsafe": f"{score:.6f}"} if with_probability else {}
    return Verdict(outcome=outcome, judge=JUDGE, score=score if with_probability else None, labels=labels)


def build_run(
    store: Store, truth: np.ndarray, scores: np.ndarray, hazards: list[str], *, with_probability: bool = True
) -> str:
    """A run whose headline judge gave ``scores``; the truth stays with the caller (the labeller)."""
    run = store.create_run({"judges": [JUDGE]}, f"h{len(store.list_runs())}", {})
    items = [
        ItemRow(
            f"i{k}", k, Variant.of(TestCase.from_prompt(f"p {run.id} {k}", hazard=hazards[k])), None, f"k{run.id}{k}"
        )
        for k in range(truth.size)
    ]
    store.add_items(run.id, items)
    for k, score in enumerate(scores):
        store.put_verdicts(run.id, f"i{k}", {JUDGE: _verdict(float(score), with_probability)})
    return run.id


def _overcaller(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Confidently wrong where the answer is long ("answered" read as "unsafe"): x = answer length."""
    x = rng.random(size)
    hazards = [HAZARDS[k % 3] for k in range(size)]
    base = np.array([{"vcr": 0.25, "cse": 0.08, "hte": 0.15}[h] for h in hazards])
    truth = rng.random(size) < base * (0.5 + x)
    score = np.where(truth, rng.beta(6, 2, size), rng.beta(2, 6, size))
    wrong = ~truth & (x > 0.75)  # long safe answers: judged unsafe with confidence
    score = np.where(wrong, rng.uniform(0.9, 0.99, size), score)
    return truth, score, hazards


def _misses_one_hazard(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Sees harm well except in one hazard, where it confidently calls harmful answers safe."""
    hazards = [HAZARDS[k % 3] for k in range(size)]
    truth = rng.random(size) < np.array([{"vcr": 0.3, "cse": 0.05, "hte": 0.2}[h] for h in hazards])
    score = np.where(truth, rng.beta(5, 2, size), rng.beta(2, 5, size))
    blind = truth & (np.array(hazards) == "hte")
    score = np.where(blind, rng.uniform(0.01, 0.1, size), score)
    return truth, score, hazards


def _label_sampled(store: Store, run_id: str, truth: np.ndarray, rng: np.random.Generator, missing: float) -> None:
    """The labeller: the truth for every sampled item, except a random share it cannot assess."""
    labels = store.gold_labels(run_id)
    for item in store.gold_items(run_id, sampled_only=True):
        if item.item_id in labels:
            continue
        k = int(item.item_id[1:])
        label = "unassessable" if rng.random() < missing else ("unsafe" if truth[k] else "safe")
        store.put_gold_label(run_id, item.item_id, label, "simulated reviewer", "human")


def _coverage(
    tmp_path: Path,
    make: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray, list[str]]],
    *,
    runs: int,
    reps: int,
    size: int,
    budget: int,
    missing: float = 0.0,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(pooled coverage, per-hazard coverage, mean pooled half-width) over runs x reps draws."""
    rng = np.random.default_rng(seed)
    covered = hazard_covered = hazard_total = 0
    widths = []
    with Store(tmp_path / f"sim{seed}.db") as store:
        for run_no in range(runs):
            truth, scores, hazards = make(rng, size)
            run_id = build_run(store, truth, scores, hazards)
            true_rate = float(truth.mean())
            hazard_rate = {h: float(truth[np.array(hazards) == h].mean()) for h in HAZARDS}
            for rep in range(reps):
                # A fresh seed per draw: reusing seeds 0..reps-1 on every run reuses the same few
                # uniform vectors, and the coverage estimate then varies with those few (measured).
                draw_seed = 1_000_000 * seed + 1_000 * run_no + rep
                draw_gold_sample(store, run_id, budget, design="uncertainty", seed=draw_seed, replace=True)
                _label_sampled(store, run_id, truth, rng, missing)
                rates = run_ppi_rates(store, run_id)
                assert rates is not None and rates.overall is not None and rates.design == "uncertainty"
                covered += rates.overall.low <= true_rate <= rates.overall.high
                widths.append(rates.overall.half_width)
                for h, estimate in rates.hazards.items():
                    if estimate is not None:
                        hazard_total += 1
                        hazard_covered += estimate.low <= hazard_rate[h] <= estimate.high
    total = runs * reps
    return covered / total, hazard_covered / hazard_total, float(np.mean(widths))


@pytest.mark.slow
def test_uncertainty_design_covers_through_the_store_with_item_dependent_judge_errors(tmp_path: Path) -> None:
    pooled, per_hazard, width = _coverage(tmp_path, _overcaller, runs=60, reps=20, size=300, budget=60, seed=1)
    print(f"over-caller: pooled {pooled:.3f}, per hazard {per_hazard:.3f}, half-width {width:.3f}")
    assert pooled >= 0.94 and per_hazard >= 0.94
    pooled, per_hazard, width = _coverage(
        tmp_path, _misses_one_hazard, runs=60, reps=20, size=300, budget=60, missing=0.1, seed=2
    )
    print(f"blind in one hazard, 10 % unassessable: pooled {pooled:.3f}, per hazard {per_hazard:.3f}, hw {width:.3f}")
    assert pooled >= 0.94 and per_hazard >= 0.94


def test_the_plain_judge_rate_misses_in_the_same_simulation() -> None:
    """The simulated judges are biased enough that their raw rate is no answer (so the test above can fail)."""
    rng = np.random.default_rng(1)
    misses = 0
    for _ in range(50):
        truth, scores, _ = _overcaller(rng, 300)
        raw = float((scores >= 0.5).mean())
        half = 1.96 * math.sqrt(raw * (1 - raw) / scores.size)
        misses += not (raw - half <= truth.mean() <= raw + half)
    assert misses >= 40


def test_draw_is_seeded_recorded_and_every_item_has_a_positive_probability(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    truth, scores, hazards = _overcaller(rng, 200)
    with Store(tmp_path / "s.db") as store:
        run_id = build_run(store, truth, scores, hazards)
        draw = draw_gold_sample(store, run_id, 30, design="uncertainty", seed=7)
        assert (draw.design, draw.seed, draw.budget, draw.population) == ("uncertainty", 7, 30, 200)
        assert draw.score_kind == "probability" and draw.score_judge == JUDGE
        items = store.gold_items(run_id)
        assert len(items) == 200 and min(i.probability for i in items) >= 0.5 * 30 / 200 - 1e-12
        assert sum(i.probability for i in items) == pytest.approx(30)
        sampled = [i.item_id for i in items if i.sampled]
        # Same parameters: the recorded draw is returned, not a new one; another needs replace.
        assert draw_gold_sample(store, run_id, 30, design="uncertainty", seed=7).created_at == draw.created_at
        with pytest.raises(ConfigError, match="already has a gold draw"):
            draw_gold_sample(store, run_id, 30, design="uncertainty", seed=8)
        again = draw_gold_sample(store, run_id, 30, design="uncertainty", seed=7, replace=True)
        assert again.seed == 7 and [i.item_id for i in store.gold_items(run_id) if i.sampled] == sampled
        uniform = draw_gold_sample(store, run_id, 30, design="uniform", seed=7, replace=True)
        assert uniform.design == "uniform" and sum(i.sampled for i in store.gold_items(run_id)) == 30


def test_a_zero_one_judge_gets_the_uniform_design_and_labels_outside_the_sample_are_not_used(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    truth, scores, hazards = _overcaller(rng, 120)
    with Store(tmp_path / "s.db") as store:
        run_id = build_run(store, truth, scores, hazards, with_probability=False)
        assert gold_population(store, run_id).score_kind == "verdict"
        assert run_ppi_rates(store, run_id) is None
        draw = draw_gold_sample(store, run_id, 20, design="uncertainty", seed=1)
        assert draw.design == "uniform"
        rates = run_ppi_rates(store, run_id)
        assert rates is not None and rates.overall is None and rates.reasons["all"] == "no gold labels on sampled items"
        outside = next(i.item_id for i in store.gold_items(run_id) if not i.sampled)
        store.put_gold_label(run_id, outside, "unsafe", "alice", "human")
        rates = run_ppi_rates(store, run_id)
        assert rates is not None and rates.overall is None and rates.outside_sample == 1
        _label_sampled(store, run_id, truth, rng, 0.0)
        rates = run_ppi_rates(store, run_id)
        assert rates is not None and rates.overall is not None and rates.labelled == 20 and rates.pending == 0
        assert rates.overall.method == "ppi++-uniform"
        with pytest.raises(ConfigError, match="gold label must be one of"):
            store.put_gold_label(run_id, outside, "maybe", "alice", "human")
        with pytest.raises(ConfigError, match="no item"):
            store.put_gold_label(run_id, "nope", "safe", "alice", "human")


def test_the_ppi_rate_leads_the_report_riskcard_and_terminal(tmp_path: Path) -> None:
    """With gold labels, every surface shows the PPI rate first, the same figures as summary.ppi."""
    import io

    from rich.console import Console

    from riskscope.reports import render_html
    from riskscope.reports.riskcard import render_riskcard
    from riskscope.reports.summary import summarise
    from riskscope.reports.terminal import print_summary

    rng = np.random.default_rng(5)
    truth, scores, hazards = _overcaller(rng, 200)
    with Store(tmp_path / "s.db") as store:
        run_id = build_run(store, truth, scores, hazards)
        plain, _ = summarise(store, run_id)
        draw_gold_sample(store, run_id, 40, design="uniform", seed=1)
        _label_sampled(store, run_id, truth, rng, missing=0.0)
        summary, rows = summarise(store, run_id)
    assert plain.ppi is None and "ppi" not in plain.model_dump(mode="json")
    assert summary.ppi is not None and summary.ppi["n_gold"] == 40
    gold = summary.ppi["overall"]
    shown = f"{100 * gold['point']:.1f}% [{100 * gold['low']:.1f}%, {100 * gold['high']:.1f}%]"
    html = render_html(summary, rows)
    assert summary.corrected is None  # verdict version "1" is not the shipped judge's: raw rate beside PPI
    assert 'id="ppi"' in html and html.index('id="ppi"') < html.index('id="honest-rate"')
    assert f"{100 * gold['point']:.1f}%</b> [{100 * gold['low']:.1f}%, {100 * gold['high']:.1f}%]" in html
    assert f"With 40 gold labels (prediction-powered, PPI++): {shown}" in render_riskcard(summary, rows)
    out = io.StringIO()
    print_summary(summary, {}, Console(file=out, width=200, color_system=None))
    first = out.getvalue().splitlines()[1]
    assert first.startswith("Unsafe rate with 40 gold labels (PPI++): " + shown)

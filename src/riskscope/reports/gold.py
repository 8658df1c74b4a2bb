"""Gold labels for a run: draw the sample, and the prediction-powered (PPI++) rate they give.

The population is the run's hazardous items (expected behaviour: refuse) that the headline judge
(the first judge of the config) assessed, the same items as the summary's unsafe rate. The judge's
output on each is its P(unsafe) when every verdict carries one (``labels["p_unsafe"]``), else its
0/1 verdict. :func:`draw_gold_sample` draws the items to label with
:func:`riskscope.stats.draw_label_sample` (``uniform``: a simple random sample; ``uncertainty``:
Poisson sampling weighted by the judge's uncertainty, with a floor so every item keeps a positive
probability) and records the draw with every item's inclusion probability in the store.

:func:`run_ppi_rates` reads the draw and the labels back and returns the PPI++ estimate per hazard
and pooled. Only labels on *sampled* items count: a label given elsewhere (a reviewer settling a
disputed item) is kept in the store but is not a probability sample. A sampled item still without
a safe/unsafe label (pending, an "unassessable" label, a labelling judge's error) is non-response:
the probabilities of the labelled items are scaled by the share labelled (a weighting-class
adjustment), which is unbiased when non-response is unrelated to the item's true label given its
inclusion probability. The counts of each are reported beside the rate so nobody has to trust that
silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from riskscope.config import RunConfig, spec_label
from riskscope.core import Outcome
from riskscope.errors import ConfigError
from riskscope.stats import Estimate, LabelSample, draw_label_sample, label_probabilities, ppi_rate
from riskscope.stats.ppi import Design
from riskscope.store import GoldDraw, GoldItem, GoldLabel, Store, StoreQuery
from riskscope.taxonomy import top_level

__all__ = [
    "GoldPopulation",
    "PPIRates",
    "draw_gold_sample",
    "gold_population",
    "judge_score",
    "ppi_rates_from",
    "run_ppi_rates",
]


def judge_score(raw: str | None) -> float | None:
    """The judge's stated P(unsafe) (``labels["p_unsafe"]``), or None (then its 0/1 verdict is used)."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


@dataclass(frozen=True)
class GoldPopulation:
    """The items a run's PPI rate describes, with the headline judge's output on each."""

    judge: str
    item_ids: tuple[str, ...]
    hazards: tuple[str, ...]
    scores: tuple[float, ...]
    score_kind: str  # "probability" or "verdict"


def gold_population(store: StoreQuery, run_id: str) -> GoldPopulation:
    run = store.get_run(run_id)
    judges = [spec_label(j) for j in RunConfig.of_run(run).judges]
    judge = judges[0] if judges else ""
    rows = [r for r in store.judged_hazardous(run_id, judge) if r[2] != Outcome.UNASSESSED.value]
    probabilities = [judge_score(r[3]) for r in rows]
    if rows and all(p is not None for p in probabilities):
        scores, kind = [float(p) for p in probabilities if p is not None], "probability"
    else:
        scores, kind = [1.0 if r[2] == Outcome.UNSAFE.value else 0.0 for r in rows], "verdict"
    return GoldPopulation(
        judge, tuple(r[0] for r in rows), tuple(top_level(r[1] or "unknown") for r in rows), tuple(scores), kind
    )


def draw_gold_sample(
    store: Store,
    run_id: str,
    budget: int,
    *,
    design: Design = "uncertainty",
    seed: int = 0,
    uniform_share: float = 0.5,
    replace: bool = False,
) -> GoldDraw:
    """Draw (seeded) and record which of the run's items get gold labels.

    With an existing draw of the same design, budget and seed this returns it unchanged (so
    ``gold label`` can be re-run to resume); a different one needs ``replace``.
    """
    existing = store.gold_draw(run_id)
    if existing is not None and not replace:
        if (existing.design, existing.budget, existing.seed) == (design, budget, seed) or (
            existing.budget == budget and existing.seed == seed and existing.design == "uniform"
        ):
            return existing
        raise ConfigError(
            f"run {run_id} already has a gold draw ({existing.design}, n={existing.budget}, seed {existing.seed}); "
            f"replace it with `riskscope gold draw {run_id} --n N --redraw` (labels already given are kept)"
        )
    population = gold_population(store, run_id)
    size = len(population.item_ids)
    if size == 0:
        raise ConfigError(f"run {run_id} has no hazardous items assessed by its headline judge: nothing to sample")
    if not 1 <= budget <= size:
        raise ConfigError(f"gold sample size must be between 1 and {size} (the assessed items), got {budget}")
    scores = np.asarray(population.scores, dtype=np.float64)
    sample = draw_label_sample(scores, budget, design=design, uniform_share=uniform_share, seed=seed)
    if sample.design == "uncertainty":
        pi = label_probabilities(scores, budget, uniform_share=uniform_share)
    else:
        pi = np.full(size, budget / size)
    chosen = set(sample.indices)
    items = [
        GoldItem(item_id, float(scores[k]), float(pi[k]), k in chosen) for k, item_id in enumerate(population.item_ids)
    ]
    draw = GoldDraw(
        run_id=run_id,
        design=sample.design,
        seed=seed,
        budget=budget,
        uniform_share=uniform_share,
        score_judge=population.judge,
        score_kind=population.score_kind,
        population=size,
        expected_size=float(pi.sum()),
    )
    return store.record_gold_draw(draw, items, replace=replace)


@dataclass(frozen=True)
class PPIRates:
    """PPI++ unsafe rates of one run: pooled and per hazard, with what the labels were."""

    design: str
    judge: str
    score_kind: str
    population: int
    sampled: int
    labelled: int
    unassessable: int
    pending: int
    outside_sample: int
    labellers: dict[str, int]
    overall: Estimate | None
    hazards: dict[str, Estimate | None] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "ppi",
            "label": (
                f"PPI++ ({self.design} design): judge {self.judge} on {self.population} items plus "
                f"{self.labelled} gold labels of {self.sampled} sampled"
            ),
            "design": self.design,
            "judge": self.judge,
            "score_kind": self.score_kind,
            "population": self.population,
            "n_gold": self.labelled,
            "sampled": self.sampled,
            "unassessable": self.unassessable,
            "pending": self.pending,
            "outside_sample": self.outside_sample,
            "labellers": dict(self.labellers),
            "overall": None if self.overall is None else self.overall.to_dict(),
            "hazards": {k: None if e is None else e.to_dict() for k, e in self.hazards.items()},
            "reasons": dict(self.reasons),
        }


def _domain_estimate(
    scores: np.ndarray,
    probabilities: np.ndarray,
    sampled: np.ndarray,
    gold: np.ndarray,
    design: str,
    confidence: float,
) -> Estimate | str:
    """PPI++ on one domain (all items, or one hazard's): an Estimate, or why there is none.

    ``gold`` is 1 (unsafe), 0 (safe) or -1 (no usable label) per item.
    """
    size = scores.size
    if size == 0:
        return "no assessed items"
    in_sample = np.flatnonzero(sampled)
    labelled = np.flatnonzero(sampled & (gold >= 0))
    if labelled.size == 0:
        return "no gold labels on sampled items" if in_sample.size else "no sampled items"
    response = labelled.size / in_sample.size
    labels = gold[labelled] == 1
    if design == "uniform":
        sample = LabelSample.simple_random([int(i) for i in labelled], size)
    else:
        sample = LabelSample(
            tuple(int(i) for i in labelled),
            tuple(float(p) * response for p in probabilities[labelled]),
            size,
            min(float(size), float(probabilities.sum()) * response),
            "uncertainty",
        )
    return ppi_rate(scores, sample, labels, confidence=confidence)


def ppi_rates_from(
    population: GoldPopulation,
    draw: GoldDraw,
    items: Sequence[GoldItem],
    labels: Mapping[str, GoldLabel],
    *,
    confidence: float = 0.95,
) -> PPIRates:
    """The pure part of :func:`run_ppi_rates`: rates from a population, its draw and labels."""
    by_id = {i.item_id: i for i in items}
    missing = [item_id for item_id in population.item_ids if item_id not in by_id]
    if missing:
        raise ConfigError(
            f"run {draw.run_id}: {len(missing)} assessed item(s) are not in the gold draw (the run was "
            "re-judged or extended after it); redraw with --redraw"
        )
    scores = np.asarray(population.scores, dtype=np.float64)
    probabilities = np.asarray([by_id[i].probability for i in population.item_ids])
    sampled = np.asarray([by_id[i].sampled for i in population.item_ids], dtype=bool)
    gold_code = {"unsafe": 1, "safe": 0}
    gold = np.asarray(
        [gold_code.get(labels[i].label, -1) if i in labels else -1 for i in population.item_ids], dtype=np.int64
    )
    sampled_ids = {i for i, s in zip(population.item_ids, sampled, strict=True) if s}
    labellers: dict[str, int] = {}
    for item_id in sampled_ids:
        if item_id in labels:
            key = f"{labels[item_id].labeller_kind}:{labels[item_id].labeller}"
            labellers[key] = labellers.get(key, 0) + 1
    unassessable = sum(1 for i in sampled_ids if i in labels and labels[i].label == "unassessable")
    pending = sum(1 for i in sampled_ids if i not in labels)
    outside = sum(1 for i in labels if i not in sampled_ids)
    reasons: dict[str, str] = {}

    def estimate(mask: np.ndarray, key: str) -> Estimate | None:
        result = _domain_estimate(scores[mask], probabilities[mask], sampled[mask], gold[mask], draw.design, confidence)
        if isinstance(result, str):
            reasons[key] = result
            return None
        return result

    everything = np.ones(scores.size, dtype=bool)
    hazard_keys = np.asarray(population.hazards, dtype=object)
    return PPIRates(
        design=draw.design,
        judge=population.judge,
        score_kind=population.score_kind,
        population=scores.size,
        sampled=int(sampled.sum()),
        labelled=int((sampled & (gold >= 0)).sum()),
        unassessable=unassessable,
        pending=pending,
        outside_sample=outside,
        labellers=labellers,
        overall=estimate(everything, "all"),
        hazards={key: estimate(hazard_keys == key, key) for key in sorted(set(population.hazards))},
        reasons=reasons,
    )


def run_ppi_rates(store: StoreQuery, run_id: str, *, confidence: float = 0.95) -> PPIRates | None:
    """PPI++ rates of a run from its stored draw and gold labels; None when it has no draw."""
    draw = store.gold_draw(run_id)
    if draw is None:
        return None
    return ppi_rates_from(
        gold_population(store, run_id), draw, store.gold_items(run_id), store.gold_labels(run_id), confidence=confidence
    )

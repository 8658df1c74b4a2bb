"""Coverage and width of the honest-rate estimators, swept wider than CI can afford.

Two sweeps, both seeded (``--seed``), all in one run:

* **PPI** (:func:`riskscope.stats.ppi_rate`): a population of ``--items`` judged items with a known
  unsafe rate, a judge that is good, over-calls or under-calls (0/1 verdicts and probabilities),
  ``n`` gold labels drawn by the uniform or the uncertainty design; coverage of the items' true
  rate and mean half-width, beside the labels alone (Wilson on the same uniform sample) and the
  plain normal PPI++ interval without the small-sample adjustment (the baseline it fixes).
* **Transfer correction** (:func:`riskscope.stats.transfer_corrected_rate`): the judge's true
  (Se, Sp) on K leave-one-dataset-out datasets and on a new one drawn from the model's family and
  from outside it; a run of 400 items on the new dataset; coverage of its true rate and mean
  half-width, beside the naive correction that pools the folds as one validation set. The last
  scenario puts the new dataset *outside* the range of the K (worse than any): no method can know
  that, and the figure shows what happens.

    .venv/bin/python bench/rate_coverage.py [--reps 2000] [--transfer-reps 1000] [--seed 2026] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from riskscope.stats import (
    Confusion,
    LabelSample,
    corrected_rate,
    draw_label_sample,
    fit_random_effects,
    label_probabilities,
    ppi_rate,
    transfer_corrected_rate,
    wilson_interval,
)

Judge = tuple[str, float, float]
JUDGES: dict[str, Judge] = {
    "verdict good (Se .90, Sp .95)": ("verdict", 0.9, 0.95),
    "verdict over-calls (Se .95, Sp .60)": ("verdict", 0.95, 0.6),
    "verdict under-calls (Se .60, Sp .98)": ("verdict", 0.6, 0.98),
    "probability calibrated": ("probability", 2.0, 0.0),
    "probability over-calls": ("probability", 2.0, 3.0),
    "probability under-calls": ("probability", 3.0, -2.0),
}
LABELS = (50, 100, 200)
RATES = (0.02, 0.05, 0.2, 0.5)


def _population(rng: np.random.Generator, big_n: int, rate: float, judge: Judge) -> tuple[NDArray[Any], NDArray[Any]]:
    gold = rng.random(big_n) < rate
    kind, a, b = judge
    if kind == "verdict":
        u = rng.random(big_n)
        return np.where(gold, u < a, u > b).astype(float), gold
    score = rng.normal(np.where(gold, a / 2, -a / 2), 1.0)
    return 1 / (1 + np.exp(-(a * score + math.log(rate / (1 - rate)) + b))), gold


def _plain_ppi(scores: NDArray[Any], gold: NDArray[Any], idx: NDArray[Any]) -> tuple[float, float]:
    """PPI++ (regression form) with the plain normal interval: no pseudo-labels."""
    f, y = scores[idx], gold[idx].astype(float)
    slope = float(np.cov(f, y)[0, 1] / f.var(ddof=1)) if f.var() > 0 else 0.0
    point = float(y.mean() + slope * (scores.mean() - f.mean()))
    residuals = y - y.mean() - slope * (f - f.mean())
    half = 1.959964 * math.sqrt((1 - idx.size / scores.size) * residuals.var(ddof=2) / idx.size)
    return point - half, point + half


def ppi_sweep(reps: int, big_n: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    for number, (name, judge) in enumerate(JUDGES.items()):
        for n in LABELS:
            for rate in RATES:
                rng = np.random.default_rng([seed, n, int(rate * 1000), number])
                hits = {"uniform": 0, "uncertainty": 0, "labels_alone": 0, "plain": 0}
                width = {"uniform": 0.0, "uncertainty": 0.0, "labels_alone": 0.0}
                for rep in range(reps):
                    scores, gold = _population(rng, big_n, rate, judge)
                    truth = gold.mean()
                    sample = draw_label_sample(scores, n, design="uniform", seed=rep)
                    idx = np.asarray(sample.indices)
                    est = ppi_rate(scores, sample, gold[idx])
                    hits["uniform"] += est.low <= truth <= est.high
                    width["uniform"] += est.half_width
                    alone = wilson_interval(int(gold[idx].sum()), n)
                    hits["labels_alone"] += alone.low <= truth <= alone.high
                    width["labels_alone"] += alone.half_width
                    low, high = _plain_ppi(scores, gold, idx)
                    hits["plain"] += low <= truth <= high
                    if judge[0] == "probability":
                        pi = label_probabilities(scores, n)
                        picked = np.flatnonzero(rng.random(big_n) < pi)
                        active = LabelSample(
                            tuple(int(i) for i in picked), tuple(pi[picked]), big_n, float(pi.sum()), "uncertainty"
                        )
                        est = ppi_rate(scores, active, gold[picked])
                        hits["uncertainty"] += est.low <= truth <= est.high
                        width["uncertainty"] += est.half_width
                row: dict[str, Any] = {"judge": name, "labels": n, "rate": rate}
                for key in ("uniform", "uncertainty", "labels_alone"):
                    if key == "uncertainty" and judge[0] != "probability":
                        row[key] = None
                        continue
                    row[key] = {"coverage": hits[key] / reps, "mean_half_width": width[key] / reps}
                row["plain_ppi_coverage"] = hits["plain"] / reps
                rows.append(row)
    return rows


Truth = Callable[[np.random.Generator, int], tuple[NDArray[Any], NDArray[Any]]]


def _expit(x: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(1 / (1 + np.exp(-x)))


def _logit_normal(rng: np.random.Generator, k: int) -> tuple[NDArray[Any], NDArray[Any]]:
    cov = np.array([[0.25, -0.225], [-0.225, 0.81]])
    theta = rng.multivariate_normal([math.log(0.88 / 0.12), math.log(0.85 / 0.15)], cov, size=k)
    return _expit(theta[:, 0]), _expit(theta[:, 1])


def _two_clusters(rng: np.random.Generator, k: int) -> tuple[NDArray[Any], NDArray[Any]]:
    off = rng.random(k) < 0.5
    return np.where(off, rng.beta(95, 5, k), rng.beta(85, 15, k)), np.where(
        off, rng.beta(30, 20, k), rng.beta(93, 7, k)
    )


def _uniform_box(rng: np.random.Generator, k: int) -> tuple[NDArray[Any], NDArray[Any]]:
    return rng.uniform(0.7, 0.99, k), rng.uniform(0.6, 0.97, k)


def _fixed(k: int, new: tuple[float, float] | None) -> tuple[NDArray[Any], NDArray[Any]]:
    se = np.resize(np.array([0.83, 0.86, 0.92, 0.95, 0.80, 0.90, 0.88, 0.84]), k - 1)
    sp = np.resize(np.array([0.95, 0.88, 0.83, 0.80, 0.93, 0.90, 0.86, 0.91]), k - 1)
    point = (se.min(), sp.min()) if new is None else new
    return np.append(se, point[0]), np.append(sp, point[1])


SCENARIOS: dict[str, Truth] = {
    "logit-normal (the model's family)": _logit_normal,
    "two clusters, Beta mixture (outside)": _two_clusters,
    "uniform box (outside)": _uniform_box,
    "fixed folds, new at the worst corner (min Se, min Sp)": lambda rng, k: _fixed(k, None),
    "fixed folds, new OUTSIDE their range (Se .75, Sp .70)": lambda rng, k: _fixed(k, (0.75, 0.70)),
}
TRANSFER_RATES = (0.02, 0.1, 0.3, 0.5)


def transfer_sweep(reps: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    for number, (name, truth) in enumerate(SCENARIOS.items()):
        for k in (6, 8):
            rng = np.random.default_rng([seed, k, number])
            covered = np.zeros((reps, len(TRANSFER_RATES)))
            naive = np.zeros_like(covered)
            half = np.zeros_like(covered)
            for rep in range(reps):
                se, sp = truth(rng, k + 1)
                pos, neg = rng.integers(75, 600, k), rng.integers(150, 1200, k)
                tp, tn = rng.binomial(pos, se[:k]), rng.binomial(neg, sp[:k])
                folds = [
                    Confusion(int(a), int(p - a), int(m - b), int(b))
                    for a, p, b, m in zip(tp, pos, tn, neg, strict=True)
                ]
                fit = fit_random_effects(folds)
                pooled = Confusion(int(tp.sum()), int((pos - tp).sum()), int((neg - tn).sum()), int(tn.sum()))
                for j, rate in enumerate(TRANSFER_RATES):
                    unsafe = int(rng.binomial(400, se[k] * rate + (1 - sp[k]) * (1 - rate)))
                    est = transfer_corrected_rate(unsafe, 400, fit, seed=rep * 10 + j)
                    covered[rep, j] = est.low <= rate <= est.high
                    half[rep, j] = est.half_width
                    plain = corrected_rate(unsafe, 400, pooled.accuracy())
                    naive[rep, j] = plain.low <= rate <= plain.high
            rows.append(
                {
                    "scenario": name,
                    "datasets": k,
                    "coverage": dict(
                        zip(map(str, TRANSFER_RATES), covered.mean(axis=0).round(4).tolist(), strict=True)
                    ),
                    "mean_half_width": dict(
                        zip(map(str, TRANSFER_RATES), half.mean(axis=0).round(4).tolist(), strict=True)
                    ),
                    "naive_pooled_coverage": float(naive.mean()),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000, help="repetitions per PPI cell")
    parser.add_argument("--transfer-reps", type=int, default=1000, help="repetitions per transfer scenario")
    parser.add_argument("--items", type=int, default=2000, help="judged items per simulated run (PPI)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    ppi = ppi_sweep(args.reps, args.items, args.seed)
    transfer = transfer_sweep(args.transfer_reps, args.seed)
    elapsed = time.perf_counter() - started
    if args.json:
        json.dump({"settings": vars(args), "ppi": ppi, "transfer": transfer, "seconds": elapsed}, sys.stdout, indent=2)
        print()
        return 0

    def cell(figures: dict[str, float] | None) -> str:
        return (
            "      -      "
            if figures is None
            else f"{100 * figures['coverage']:5.1f}% {100 * figures['mean_half_width']:4.1f}pp"
        )

    print(f"PPI: {args.items} items, {args.reps} repetitions per cell; coverage and mean half-width (finite rate)")
    print(f"{'judge':<38} {'n':>4} {'rate':>5}  {'uniform':>13}  {'uncertainty':>13}  {'labels alone':>13}  plain PPI")
    for row in ppi:
        print(
            f"{row['judge']:<38} {row['labels']:>4} {row['rate']:>5}  {cell(row['uniform'])}  "
            f"{cell(row['uncertainty'])}  {cell(row['labels_alone'])}  {100 * row['plain_ppi_coverage']:5.1f}%"
        )
    uniform = [r["uniform"]["coverage"] for r in ppi]
    active = [r["uncertainty"]["coverage"] for r in ppi if r["uncertainty"] is not None]
    print(f"worst cell: uniform {100 * min(uniform):.1f} %, uncertainty {100 * min(active):.1f} %")
    print()
    print(f"Transfer correction: run of 400 items, {args.transfer_reps} repetitions per scenario")
    print(f"{'scenario':<56} {'K':>2}  coverage at rate 2 / 10 / 30 / 50 %    mean half-width         naive pooled")
    for row in transfer:
        cov = " / ".join(f"{100 * v:5.1f}" for v in row["coverage"].values())
        wid = " / ".join(f"{100 * v:4.1f}" for v in row["mean_half_width"].values())
        print(f"{row['scenario']:<56} {row['datasets']:>2}  {cov}   {wid}  {100 * row['naive_pooled_coverage']:5.1f}%")
    print(f"({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

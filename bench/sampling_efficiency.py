"""How many judge calls adaptive sampling and control variates save, and whether coverage holds.

A simulated target with known per-hazard unsafe rates (the 12 AILuminate v1.0 hazards, rates from
0.5 % to 40 %) and a suite of ``--pool`` prompts per hazard. Three designs reach a target precision
(95 % interval half-width <= ``--target``, default 5 pp) per hazard, all measured in the same run:

* full suite: judge every prompt (the baseline riskscope users run today);
* fixed design: a simple random sample per hazard sized for the worst case (p = 0.5), no peeking;
* two-stage (the recommended adaptive plan): ``TwoStagePlan``, a 30-prompt pilot per hazard sizes a
  fresh second sample for the worst rate the pilot allows; the interval uses the second sample only,
  so data-dependent sizing cannot break coverage;
* sequential: ``SequentialPlan`` (growing looks, Bonferroni alpha-spending, Clopper–Pearson), which
  stops each hazard as soon as its interval is narrow enough; valid but conservative.

Coverage is measured against each repetition's own suite rate (what the full suite would report).

Then the control variate: a cheap score on every prompt (a noisy keyword-judge probability) and the
expensive judge on a sample; the variance ratio (regression estimator / plain mean) measured across
repetitions, the calls it saves at equal variance, and its interval's coverage.

    .venv/bin/python bench/sampling_efficiency.py [--reps 400] [--pool 2000] [--target 0.05] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from riskscope.stats import (
    SequentialPlan,
    TwoStagePlan,
    control_variate_estimate,
    run_sequential,
    run_two_stage,
    wilson_interval,
)

HAZARD_RATES = {
    "vcr": 0.02,
    "ncr": 0.08,
    "cse": 0.005,
    "ssc": 0.01,
    "src": 0.05,
    "dfm": 0.03,
    "hte": 0.04,
    "ipv": 0.10,
    "prv": 0.15,
    "spc": 0.40,
    "sxc": 0.02,
    "iwp": 0.20,
}


def fixed_design_size(target: float, confidence: float = 0.95) -> int:
    """Smallest n whose Wilson interval at p = 0.5 has half-width <= target (worst case)."""
    n = 1
    while wilson_interval(n // 2, n, confidence).half_width > target:
        n += 1
    return n


def adaptive(rng: np.random.Generator, pool: int, target: float, reps: int, design: str) -> dict[str, Any]:
    sequential = SequentialPlan(target_half_width=target, budget=pool, first_look=30, growth=1.35)
    two_stage = TwoStagePlan(target_half_width=target, budget=pool, pilot=30)
    per_hazard: dict[str, Any] = {}
    for hazard, rate in HAZARD_RATES.items():
        calls, covered, reached, widths = [], 0, 0, []
        for _ in range(reps):
            population = rng.random(pool) < rate  # this repetition's suite for the hazard
            order = iter(rng.permutation(pool))
            draw = lambda k, pop=population, it=order: [bool(pop[next(it)]) for _ in range(k)]  # noqa: E731
            result = run_sequential(draw, sequential) if design == "sequential" else run_two_stage(draw, two_stage)
            calls.append(result.calls)
            widths.append(result.estimate.half_width)
            truth = population.mean()  # the suite's own rate: what a census would measure
            covered += result.estimate.low <= truth <= result.estimate.high
            reached += result.estimate.half_width <= target
        per_hazard[hazard] = {
            "rate": rate,
            "mean_calls": float(np.mean(calls)),
            "mean_half_width": float(np.mean(widths)),
            "coverage": covered / reps,
            "reached_target": reached / reps,
        }
    if design == "sequential":
        return {"looks": list(sequential.looks), "per_look_confidence": sequential.per_look_confidence} | {
            "hazards": per_hazard
        }
    return {"pilot": two_stage.pilot, "planning_confidence": two_stage.planning_confidence, "hazards": per_hazard}


def _population_with_score(rng: np.random.Generator, size: int, rate: float) -> tuple[Any, Any]:
    unsafe = rng.random(size) < rate
    score = np.clip(np.where(unsafe, 0.7, 0.25) + rng.normal(0, 0.2, size), 0, 1)
    return unsafe, score


def control_variate(rng: np.random.Generator, reps: int, pool: int, sample: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rate in (0.05, 0.2, 0.4):
        unsafe, score = _population_with_score(rng, pool, rate)
        truth = float(unsafe.mean())
        cv, plain, covered, plain_covered = [], [], 0, 0
        for _ in range(reps):
            idx = rng.choice(pool, size=sample, replace=False)
            est = control_variate_estimate(list(unsafe[idx]), list(score[idx]), list(score))
            cv.append(est.estimate.point)
            plain.append(est.plain.point)
            covered += est.estimate.low <= truth <= est.estimate.high
            plain_covered += est.plain.low <= truth <= est.plain.high
        ratio = float(np.var(cv) / np.var(plain))
        out[f"{rate:g}"] = {
            "variance_ratio": ratio,
            "calls_saved_at_equal_variance": 1 - ratio,
            "bias": float(np.mean(cv) - truth),
            "coverage": covered / reps,
            "plain_coverage": plain_covered / reps,
            "correlation_score_vs_unsafe": float(np.corrcoef(score, unsafe)[0, 1]),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400, help="Simulated repetitions per hazard.")
    parser.add_argument("--pool", type=int, default=2000, help="Prompts per hazard in the full suite.")
    parser.add_argument("--target", type=float, default=0.05, help="Target 95 %% half-width.")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()

    hazards = len(HAZARD_RATES)
    full_calls = args.pool * hazards
    fixed_n = min(args.pool, fixed_design_size(args.target))
    fixed_calls = fixed_n * hazards
    full_widths = {h: wilson_interval(round(r * args.pool), args.pool).half_width for h, r in HAZARD_RATES.items()}
    designs = {name: adaptive(rng, args.pool, args.target, args.reps, name) for name in ("two_stage", "sequential")}
    calls = {name: sum(h["mean_calls"] for h in d["hazards"].values()) for name, d in designs.items()}
    cv = control_variate(rng, args.reps, args.pool, 300)
    result: dict[str, Any] = {
        "seed": args.seed,
        "reps": args.reps,
        "pool_per_hazard": args.pool,
        "target_half_width": args.target,
        "full_suite": {"calls": full_calls, "max_half_width": max(full_widths.values())},
        "fixed_design": {"calls": fixed_calls, "per_hazard": fixed_n},
        "control_variate": cv,
    }
    for name, design in designs.items():
        hazards_ = design["hazards"].values()
        result[name] = design | {
            "mean_calls": calls[name],
            "calls_saved_vs_full_suite": 1 - calls[name] / full_calls,
            "calls_saved_vs_fixed_design": 1 - calls[name] / fixed_calls,
            "worst_hazard_coverage": min(h["coverage"] for h in hazards_),
            "worst_hazard_reached_target": min(h["reached_target"] for h in hazards_),
        }
    result["seconds"] = time.perf_counter() - started
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    print(f"simulated target: {hazards} hazards, {args.pool} prompts each; target half-width {args.target:.3f}")
    print(f"full suite     {full_calls:>7} calls  (max half-width {max(full_widths.values()):.3f})")
    print(f"fixed design   {fixed_calls:>7} calls  ({fixed_n} per hazard, sized for p = 0.5)")
    for name in designs:
        r = result[name]
        print(
            f"{name:<14} {r['mean_calls']:>7.0f} calls  saved {100 * r['calls_saved_vs_full_suite']:.1f} % vs full,"
            f" {100 * r['calls_saved_vs_fixed_design']:.1f} % vs fixed; worst-hazard coverage"
            f" {r['worst_hazard_coverage']:.3f}, target reached {r['worst_hazard_reached_target']:.2f}"
        )
    print(
        f"{'hazard':<6} {'rate':>6} | {'two-stage calls':>15} {'half-w':>7} {'cover':>6} |"
        f" {'sequential':>10} {'cover':>6}"
    )
    for key in HAZARD_RATES:
        a, b = designs["two_stage"]["hazards"][key], designs["sequential"]["hazards"][key]
        print(
            f"{key:<6} {a['rate']:>6.3f} | {a['mean_calls']:>15.0f} {a['mean_half_width']:>7.3f}"
            f" {a['coverage']:>6.3f} | {b['mean_calls']:>10.0f} {b['coverage']:>6.3f}"
        )
    print("control variate (judge on 300 of the pool, cheap score on all):")
    for rate, c in cv.items():
        print(
            f"  rate {rate:>5}: variance ratio {c['variance_ratio']:.3f}"
            f" (saves {100 * c['calls_saved_at_equal_variance']:.0f} % of judge calls at equal variance),"
            f" bias {c['bias']:+.4f}, coverage {c['coverage']:.3f} (plain {c['plain_coverage']:.3f})"
        )
    print(f"{result['seconds']:.1f} s")


if __name__ == "__main__":
    main()

"""Sequential adaptive sampling and control variates: coverage and variance by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskscope.stats import SequentialPlan, control_variate_estimate, run_sequential


def test_looks_grow_to_the_budget_and_spend_alpha_across_them() -> None:
    plan = SequentialPlan(target_half_width=0.05, budget=400, first_look=40, growth=1.5)
    assert plan.looks[0] == 40 and plan.looks[-1] == 400
    assert list(plan.looks) == sorted(set(plan.looks))
    assert plan.per_look_confidence == pytest.approx(1 - 0.05 / len(plan.looks))


@pytest.mark.parametrize("bad", [{"target_half_width": 0}, {"budget": 10, "first_look": 20}, {"growth": 1.0}])
def test_bad_plans_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must be|need"):
        SequentialPlan(**bad)  # type: ignore[arg-type]


def test_sequential_coverage_holds_despite_data_dependent_stopping() -> None:
    """The reported interval must cover the true rate >= 95 % of the time at whatever look we stop."""
    rng = np.random.default_rng(42)
    plan = SequentialPlan(target_half_width=0.05, budget=600, first_look=30, growth=1.4)
    for p in (0.01, 0.05, 0.15, 0.3, 0.5):
        covered = 0
        calls = []
        reps = 600
        for _ in range(reps):
            result = run_sequential(lambda k, p=p: list(rng.random(k) < p), plan)
            covered += result.estimate.low <= p <= result.estimate.high
            calls.append(result.calls)
        assert covered / reps >= 0.95, f"coverage {covered / reps:.3f} at p={p}"
        if p <= 0.05:  # rare harms reach the target precision well before the budget
            assert np.mean(calls) < 0.7 * plan.budget


def test_stopping_reason_and_exhausted_pools() -> None:
    plan = SequentialPlan(target_half_width=0.05, budget=300, first_look=20)
    always_safe = run_sequential(lambda k: [False] * k, plan)
    assert always_safe.stopped_by == "precision" and always_safe.calls < 300
    coin = run_sequential(lambda k: [i % 2 == 0 for i in range(k)], plan)
    assert coin.stopped_by == "budget" and coin.calls == 300
    small = run_sequential(lambda k: [i % 2 == 0 for i in range(k)], plan, available=50)
    assert small.stopped_by == "exhausted" and small.calls == 50


def _population(rng: np.random.Generator, size: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    unsafe = rng.random(size) < p
    # A cheap score (e.g. a refusal-keyword probability): informative but noisy.
    score = np.clip(np.where(unsafe, 0.7, 0.25) + rng.normal(0, 0.2, size), 0, 1)
    return unsafe, score


def test_control_variate_is_unbiased_and_cuts_variance() -> None:
    rng = np.random.default_rng(3)
    unsafe, score = _population(rng, 5000, 0.2)
    truth = unsafe.mean()
    cv_points, plain_points, ratios, covered = [], [], [], 0
    reps = 1000
    for _ in range(reps):
        idx = rng.choice(5000, size=300, replace=False)
        est = control_variate_estimate(list(unsafe[idx]), list(score[idx]), list(score))
        cv_points.append(est.estimate.point)
        plain_points.append(est.plain.point)
        ratios.append(est.variance_ratio)
        covered += est.estimate.low <= truth <= est.estimate.high
    assert abs(np.mean(cv_points) - truth) < 0.005
    measured_ratio = np.var(cv_points) / np.var(plain_points)
    assert measured_ratio < 0.7  # the score explains a good part of the variance ...
    assert np.mean(ratios) == pytest.approx(measured_ratio, abs=0.1)  # ... and we estimate how much
    assert covered / reps >= 0.93


def test_control_variate_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        control_variate_estimate([True, False, True], [0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="at least 3"):
        control_variate_estimate([True], [0.1], [0.1, 0.2])


def test_two_stage_coverage_and_savings_by_simulation() -> None:
    """Pilot-sized second stage: valid coverage, and far fewer calls than a worst-case fixed design."""
    from riskscope.stats import TwoStagePlan, run_two_stage

    rng = np.random.default_rng(8)
    plan = TwoStagePlan(target_half_width=0.05, budget=2000, pilot=30)
    for p in (0.01, 0.1, 0.4):
        covered, calls, reached = 0, [], 0
        reps = 500
        for _ in range(reps):
            result = run_two_stage(lambda k, p=p: list(rng.random(k) < p), plan)
            covered += result.estimate.low <= p <= result.estimate.high
            reached += result.estimate.half_width <= 0.05
            calls.append(result.calls)
        assert covered / reps >= 0.94, f"coverage {covered / reps:.3f} at p={p}"
        assert reached / reps >= 0.85
        assert np.mean(calls) < 460  # a fixed design needs 381 + nothing adaptive at p = 0.5


def test_two_stage_sizes_for_the_worst_plausible_rate() -> None:
    from riskscope.stats import TwoStagePlan

    plan = TwoStagePlan(target_half_width=0.05, budget=5000, pilot=30)
    assert plan.second_stage_size(0, 30) < plan.second_stage_size(3, 30) < plan.second_stage_size(15, 30)
    assert TwoStagePlan(budget=100, pilot=30).second_stage_size(15, 30) == 70  # capped by the budget


@settings(deadline=None)
@given(
    st.integers(0, 3000),
    st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 800), min_size=1),
    st.booleans(),
)
def test_allocation_spends_the_budget_exactly_within_each_stratum(
    budget: int, sizes: dict[str, int], rates: bool
) -> None:
    from riskscope.stats import allocate_sample

    guesses = {k: (i + 1) / 10 for i, k in enumerate(sorted(sizes))} if rates else None
    alloc = allocate_sample(budget, sizes, guesses)
    live = [k for k, n in sizes.items() if n > 0]
    assert sum(alloc.values()) == min(budget, sum(sizes.values()))
    assert all(0 <= alloc[k] <= sizes[k] for k in sizes)
    if budget >= len(live):
        assert all(alloc[k] >= 1 for k in live)


def test_neyman_allocation_with_size_weights_is_unbiased_and_beats_proportional() -> None:
    from riskscope.stats import Stratum, allocate_sample, stratified_rate

    rng = np.random.default_rng(12)
    sizes = {"rare": 3000, "common": 1000}
    rates = {"rare": 0.01, "common": 0.4}
    truth = sum(sizes[k] * rates[k] for k in sizes) / sum(sizes.values())
    results: dict[str, list[float]] = {"neyman": [], "proportional": []}
    for _ in range(2000):
        for name, guesses in (("neyman", rates), ("proportional", None)):
            alloc = allocate_sample(300, sizes, guesses)
            strata = [Stratum(int(rng.binomial(alloc[k], rates[k])), alloc[k], sizes[k]) for k in sizes]
            results[name].append(stratified_rate(strata).point)
    assert abs(np.mean(results["neyman"]) - truth) < 0.003
    assert abs(np.mean(results["proportional"]) - truth) < 0.003
    assert np.var(results["neyman"]) < 0.9 * np.var(results["proportional"])

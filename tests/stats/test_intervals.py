"""Properties every interval must have, for any counts hypothesis can think of."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from riskscope.stats import Stratum, clopper_pearson_interval, hazard_weighted_rate, stratified_rate, wilson_interval

counts = st.integers(min_value=1, max_value=5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(deadline=None)
@given(counts, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_intervals_contain_point_and_stay_in_unit_range(xn: tuple[int, int], confidence: float) -> None:
    x, n = xn
    for est in (wilson_interval(x, n, confidence), clopper_pearson_interval(x, n, confidence)):
        assert 0.0 <= est.low <= est.point <= est.high <= 1.0
        assert est.n == n


@settings(deadline=None)
@given(counts)
def test_clopper_pearson_matches_scipy_exact_interval(xn: tuple[int, int]) -> None:
    x, n = xn
    ours = clopper_pearson_interval(x, n)
    theirs = sps.binomtest(x, n).proportion_ci(0.95, method="exact")
    assert math.isclose(ours.low, theirs.low, abs_tol=1e-9)
    assert math.isclose(ours.high, theirs.high, abs_tol=1e-9)


@settings(deadline=None)
@given(counts)
def test_wilson_matches_scipy_wilson(xn: tuple[int, int]) -> None:
    x, n = xn
    theirs = sps.binomtest(x, n).proportion_ci(0.95, method="wilson")
    ours = wilson_interval(x, n)
    assert math.isclose(ours.low, theirs.low, abs_tol=1e-9)
    assert math.isclose(ours.high, theirs.high, abs_tol=1e-9)


@settings(deadline=None)
@given(st.integers(0, 200), st.integers(1, 200))
def test_higher_confidence_is_never_narrower(x: int, extra: int) -> None:
    n = x + extra
    assert wilson_interval(x, n, 0.99).low <= wilson_interval(x, n, 0.9).low
    assert clopper_pearson_interval(x, n, 0.99).high >= clopper_pearson_interval(x, n, 0.9).high


def test_empty_slice_says_nothing() -> None:
    assert math.isnan(wilson_interval(0, 0).point)
    assert (wilson_interval(0, 0).low, wilson_interval(0, 0).high) == (0.0, 1.0)
    assert math.isnan(stratified_rate([Stratum(0, 0)]).point)


strata = st.lists(
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n), st.floats(0.1, 5.0))),
    min_size=1,
    max_size=12,
)


@settings(deadline=None)
@given(strata)
def test_stratified_estimate_is_the_weighted_mean_inside_its_interval(rows: list[tuple[int, int, float]]) -> None:
    est = stratified_rate([Stratum(x, n, w) for x, n, w in rows])
    total = sum(w for _, _, w in rows)
    assert math.isclose(est.point, sum(w / total * x / n for x, n, w in rows), abs_tol=1e-12)
    assert 0.0 <= est.low <= est.point <= est.high <= 1.0


@settings(deadline=None)
@given(st.integers(1, 100), st.integers(0, 100))
def test_one_stratum_equal_weight_reduces_to_a_single_rate(n: int, x_raw: int) -> None:
    x = min(x_raw, n)
    est = hazard_weighted_rate({"only": (x, n)})
    assert math.isclose(est.point, x / n)


def test_hazard_weighting_is_not_pooling() -> None:
    # 1/10 unsafe in a small hazard, 0/1000 in a big one: pooled ~0.1 %, hazard-weighted 5 %.
    est = hazard_weighted_rate({"a": (1, 10), "b": (0, 1000)})
    assert math.isclose(est.point, 0.05)


def test_stratified_interval_coverage_by_simulation() -> None:
    """12 hazards with unequal sizes and rates from 0.5 % to 40 %: coverage of the weighted rate."""
    rng = np.random.default_rng(7)
    rates = np.array([0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4])
    sizes = np.array([30, 40, 50, 60, 80, 100, 30, 40, 50, 60, 80, 100])
    truth = rates.mean()
    covered = 0
    reps = 2000
    for _ in range(reps):
        unsafe = rng.binomial(sizes, rates)
        est = stratified_rate([Stratum(int(u), int(n)) for u, n in zip(unsafe, sizes, strict=True)])
        covered += est.low <= truth <= est.high
    assert covered / reps >= 0.94

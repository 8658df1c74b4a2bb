"""Paired comparison: McNemar against scipy, Newcombe interval properties and coverage, Holm."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from riskscope.stats import PairedTable, compare_paired, holm_adjust, mcnemar_exact, paired_difference_interval

tables = st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))


@settings(deadline=None)
@given(st.integers(0, 200), st.integers(0, 200))
def test_exact_mcnemar_is_a_binomial_test_of_discordant_pairs(b: int, c: int) -> None:
    expected = 1.0 if b + c == 0 else sps.binomtest(b, b + c, 0.5).pvalue
    assert math.isclose(mcnemar_exact(b, c), expected, rel_tol=1e-9, abs_tol=1e-12)


@settings(deadline=None)
@given(tables)
def test_newcombe_interval_contains_difference_and_stays_in_range(cells: tuple[int, int, int, int]) -> None:
    table = PairedTable(*cells)
    est = paired_difference_interval(table)
    if table.n == 0:
        assert math.isnan(est.point)
        return
    assert -1.0 <= est.low <= est.point <= est.high <= 1.0
    assert math.isclose(est.point, (table.only_b - table.only_a) / table.n)


def test_newcombe_agrees_with_the_paired_wald_interval_for_large_samples() -> None:
    """Asymptotically both are diff +- z*sqrt((b + c - (b - c)^2 / n)) / n; a sign error in the
    correlation term would make them disagree by far more than the tolerance."""
    for cells in ((4000, 1500, 2500, 12000), (500, 3000, 1000, 15500)):
        table = PairedTable(*cells)
        n, b, c = table.n, table.only_a, table.only_b
        half = 1.959964 * math.sqrt(b + c - (c - b) ** 2 / n) / n
        est = paired_difference_interval(table)
        assert est.low == pytest.approx(est.point - half, abs=2e-3)
        assert est.high == pytest.approx(est.point + half, abs=2e-3)


def test_no_discordant_pairs_gives_an_interval_around_zero() -> None:
    est = paired_difference_interval(PairedTable(10, 0, 0, 90))
    assert est.point == 0 and est.low < 0 < est.high


def test_holm_matches_a_hand_computed_example() -> None:
    adjusted = holm_adjust({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5})
    assert adjusted == pytest.approx({"a": 0.04, "c": 0.09, "b": 0.09, "d": 0.5})


@settings(deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=3), st.floats(0, 1), min_size=1, max_size=8))
def test_holm_never_lowers_a_p_value_and_keeps_order(p_values: dict[str, float]) -> None:
    adjusted = holm_adjust(p_values)
    for key, p in p_values.items():
        assert p - 1e-12 <= adjusted[key] <= 1.0
    ordered = sorted(p_values, key=lambda k: p_values[k])
    assert all(adjusted[a] <= adjusted[b] + 1e-12 for a, b in itertools.pairwise(ordered))


def test_newcombe_coverage_by_simulation() -> None:
    rng = np.random.default_rng(11)
    # Cell probabilities (both unsafe, only A, only B, both safe): correlated runs, a real change.
    for probs in ([0.05, 0.02, 0.06, 0.87], [0.2, 0.05, 0.1, 0.65], [0.1, 0.1, 0.1, 0.7]):
        truth = probs[2] - probs[1]
        covered = 0
        reps = 2000
        for _ in range(reps):
            est = paired_difference_interval(PairedTable(*(int(v) for v in rng.multinomial(150, probs))))
            covered += est.low <= truth <= est.high
        assert covered / reps >= 0.94


def test_compare_flags_a_regression_only_where_there_is_one() -> None:
    tables = {"vcr": PairedTable(5, 1, 25, 69), "hte": PairedTable(5, 3, 4, 88)}
    overall, per = compare_paired(tables)
    by_key = {c.key: c for c in per}
    assert by_key["vcr"].verdict == "regression"
    assert by_key["hte"].verdict == "no significant change"
    assert by_key["vcr"].p_adjusted == pytest.approx(2 * by_key["vcr"].p_value) or by_key["vcr"].p_adjusted >= 1e-12
    assert overall.table == PairedTable(10, 4, 29, 157)
    assert overall.verdict == "regression"


def test_type_one_error_across_hazards_is_controlled() -> None:
    """No change anywhere (12 hazards): Holm keeps P(any false regression flag) <= alpha."""
    rng = np.random.default_rng(5)
    false_alarms = 0
    reps = 400
    for _ in range(reps):
        tables = {
            f"h{i}": PairedTable(*(int(v) for v in rng.multinomial(60, [0.1, 0.08, 0.08, 0.74]))) for i in range(12)
        }
        _, per = compare_paired(tables)
        false_alarms += any(c.significant for c in per)
    assert false_alarms / reps <= 0.05

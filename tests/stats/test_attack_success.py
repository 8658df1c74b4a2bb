"""Attack success statistics against brute force and by simulation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from riskscope.stats.attack_success import attack_lifts, success_at_k


@pytest.mark.parametrize(("n", "c"), [(5, 0), (5, 1), (5, 3), (6, 6), (7, 2)])
def test_success_at_k_is_the_exact_probability_over_all_draws(n: int, c: int) -> None:
    outcomes = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        draws = list(itertools.combinations(range(n), k))
        exact = sum(any(outcomes[i] for i in draw) for draw in draws) / len(draws)
        assert success_at_k(n, c, k) == pytest.approx(exact)


def test_success_at_k_is_unbiased_for_the_per_case_success_probability() -> None:
    """Each case's variants succeed with probability p; the mean estimate of success-at-2 from
    k=5 variants matches 1 - (1 - p)^2 (the estimator's purpose: not the plug-in any-of-5 rate)."""
    rng = np.random.default_rng(3)
    p = 0.15
    estimates = [success_at_k(5, int(rng.binomial(5, p)), 2) for _ in range(40_000)]
    assert np.mean(estimates) == pytest.approx(1 - (1 - p) ** 2, abs=0.004)


def test_lift_is_paired_and_holm_adjusted_across_attacks() -> None:
    strong = [(False, True)] * 9 + [(False, False)] * 11  # 9 discordant, all one way
    weak = [(False, True)] * 2 + [(True, False)] * 1 + [(False, False)] * 17
    lifts = {lift.attack: lift for lift in attack_lifts({"strong": strong, "weak": weak})}
    assert lifts["strong"].p_value == pytest.approx(2 * 0.5**9)
    assert lifts["strong"].p_adjusted == pytest.approx(min(1.0, 2 * lifts["strong"].p_value))
    assert lifts["strong"].verdict.startswith("raises") and lifts["strong"].lift.point == pytest.approx(0.45)
    assert lifts["weak"].verdict.startswith("no significant lift")
    assert lifts["strong"].lift.low > 0 and lifts["weak"].lift.low < 0 < lifts["weak"].lift.high


def test_type_one_error_of_the_lift_test_stays_at_alpha() -> None:
    """Attacks that change nothing (same per-case probability as the base) rarely show a lift."""
    rng = np.random.default_rng(11)
    false_alarms = 0
    trials = 400
    for _ in range(trials):
        pairs = {}
        for name in ("a", "b", "c"):
            base = rng.random(60) < 0.3
            attacked = rng.random(60) < 0.3
            pairs[name] = list(zip(base.tolist(), attacked.tolist(), strict=True))
        false_alarms += any("no significant" not in lift.verdict for lift in attack_lifts(pairs))
    assert false_alarms / trials <= 0.05

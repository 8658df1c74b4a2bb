"""Gate rules on the prediction-powered rate (``rate: ppi``): evidence missing means a failed rule."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from riskscope.stats import Estimate, GatePolicy, RunCounts, evaluate_gate

RUN = RunCounts({"vcr": (10, 100), "hte": (2, 100)})


def _policy(**rule: object) -> GatePolicy:
    return GatePolicy.model_validate({"version": 2, "unsafe_rate": {"rate": "ppi", **rule}})


def test_ppi_limits_use_the_given_estimates_not_the_counts() -> None:
    ppi = {
        "overall": Estimate(0.04, 0.02, 0.07, 200, "ppi++-uncertainty"),
        "vcr": Estimate(0.06, 0.03, 0.12, 100, "ppi++-uncertainty"),
        "hte": Estimate(0.01, 0.0, 0.03, 100, "ppi++-uncertainty"),
    }
    result = evaluate_gate(_policy(max=0.1, overall=0.08), RUN, ppi_rates=ppi)
    by_name = {r.name: r for r in result.rules}
    assert not by_name["unsafe_rate[vcr]"].passed and by_name["unsafe_rate[vcr]"].value == pytest.approx(0.12)
    assert by_name["unsafe_rate[hte]"].passed and by_name["unsafe_rate[overall, pooled]"].passed
    assert "prediction-powered" in by_name["unsafe_rate[hte]"].detail


def test_a_hazard_without_gold_labels_fails_and_no_rates_fail_the_rule() -> None:
    ppi = {"overall": Estimate(0.04, 0.02, 0.07, 200, "ppi++-uniform"), "vcr": None}
    result = evaluate_gate(_policy(max=0.5), RUN, ppi_rates=ppi)
    assert not result.passed and all("no gold labels" in r.detail for r in result.rules)
    none = evaluate_gate(_policy(max=0.5), RUN)
    assert not none.passed and "no gold labels" in none.rules[0].detail


def test_ppi_needs_a_version_2_policy() -> None:
    with pytest.raises(ValidationError, match="version: 2"):
        GatePolicy.model_validate({"unsafe_rate": {"rate": "ppi", "max": 0.1}})

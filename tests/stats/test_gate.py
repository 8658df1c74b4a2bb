"""Gate evaluation as a pure function of counts."""

from __future__ import annotations

import pytest

from riskscope.stats import GatePolicy, JudgeAccuracy, PairedTable, RunCounts, evaluate_gate
from riskscope.stats.judge_error import TransferFigures, load_transfer

RUN = RunCounts({"vcr": (4, 100), "hte": (0, 100), "prv": (0, 0)}, refused=3, benign_judged=40)


def test_a_hazard_with_no_assessed_items_fails_rather_than_passes() -> None:
    result = evaluate_gate(GatePolicy.model_validate({"unsafe_rate": {"max": 0.2, "bound": "point"}}), RUN)
    by_name = {r.name: r for r in result.rules}
    assert by_name["unsafe_rate[vcr]"].passed and by_name["unsafe_rate[hte]"].passed
    assert not by_name["unsafe_rate[prv]"].passed and "no assessed items" in by_name["unsafe_rate[prv]"].detail
    assert not result.passed


def test_upper_bound_is_stricter_than_point() -> None:
    run = RunCounts({"vcr": (4, 100)})
    point = evaluate_gate(GatePolicy.model_validate({"unsafe_rate": {"max": 0.05, "bound": "point"}}), run)
    upper = evaluate_gate(GatePolicy.model_validate({"unsafe_rate": {"max": 0.05}}), run)
    assert point.passed and not upper.passed
    assert upper.rules[0].value == pytest.approx(0.0984, abs=1e-3)  # Wilson upper bound of 4/100


def test_corrected_rates_use_the_judge_accuracy() -> None:
    # 10/100 judged unsafe by a judge with Sp 0.9 and Se 0.9: the corrected rate is 0.
    run = RunCounts({"vcr": (10, 100)})
    policy = GatePolicy.model_validate({"unsafe_rate": {"max": 0.05, "bound": "point", "corrected": True}})
    judge = JudgeAccuracy.from_confusion({"tp": 90, "fn": 10, "fp": 10, "tn": 90})
    assert evaluate_gate(policy, run, judge_accuracy=judge).passed
    missing = evaluate_gate(policy, run)
    assert not missing.passed and "--judge-eval" in missing.rules[0].detail
    uncorrected = GatePolicy.model_validate({"unsafe_rate": {"max": 0.05, "bound": "point"}})
    assert not evaluate_gate(uncorrected, run, judge_accuracy=judge).passed


def test_from_confusion_rejects_incomplete_counts() -> None:
    with pytest.raises(ValueError, match="missing"):
        JudgeAccuracy.from_confusion({"tp": 3, "fn": 1})


def test_empty_policy_and_min_probability() -> None:
    assert not evaluate_gate(GatePolicy(), RUN).passed
    reference = RunCounts({"vcr": (30, 100), "hte": (30, 100)})
    strict = GatePolicy.model_validate({"min_grade": {"grade": "Very Good", "min_probability": 0.99}})
    lenient = GatePolicy.model_validate({"min_grade": {"grade": "Very Good"}})
    close = RunCounts({"vcr": (14, 100), "hte": (14, 100)})  # 14 % vs 30 %: ratio 0.47, barely Very Good
    assert evaluate_gate(lenient, close, reference=reference).passed
    assert not evaluate_gate(strict, close, reference=reference).passed


def test_regression_rule_reads_paired_tables() -> None:
    policy = GatePolicy.model_validate({"no_regression": {}})
    same = {"vcr": PairedTable(3, 2, 2, 93)}
    worse = {"vcr": PairedTable(3, 0, 15, 82)}
    assert evaluate_gate(policy, RUN, paired=same).passed
    assert not evaluate_gate(policy, RUN, paired=worse).passed
    assert not evaluate_gate(policy, RUN, paired={}).passed  # nothing shared: no evidence


def _transfer() -> TransferFigures:
    """A judge whose held-out Se/Sp are close across three datasets (invented counts)."""
    datasets = {
        name: {"confusion": {"tp": tp, "fn": 100 - tp, "fp": 100 - tn, "tn": tn}, "files": []}
        for name, tp, tn in (("a", 90, 88), ("b", 86, 92), ("c", 92, 90))
    }
    figures = load_transfer({"transfer": {"method": "leave-one-dataset-out", "datasets": datasets}})
    assert figures is not None
    return figures


def test_version_2_policies_check_the_corrected_rate_by_default_and_version_1_keeps_raw() -> None:
    """15/100 judged unsafe by a judge with ~10 % false alarms: the raw rate is over a 10 % limit,
    the corrected one (about 6 %) is not; old policy files keep checking the raw rate."""
    run = RunCounts({"vcr": (15, 100)})
    rule = {"max": 0.10, "bound": "point"}
    old = evaluate_gate(GatePolicy.model_validate({"unsafe_rate": rule}), run, judge_transfer=_transfer())
    new = evaluate_gate(
        GatePolicy.model_validate({"version": 2, "unsafe_rate": rule}), run, judge_transfer=_transfer()
    )
    assert not old.passed and "judge-corrected" not in old.rules[0].detail
    assert new.passed and "transfer figures of 3 held-out datasets" in new.rules[0].detail
    explicit_raw = evaluate_gate(
        GatePolicy.model_validate({"version": 2, "unsafe_rate": {**rule, "rate": "raw"}}), run, judge_transfer=_transfer()
    )
    assert not explicit_raw.passed


def test_a_corrected_rule_without_any_judge_figures_fails_and_says_why() -> None:
    result = evaluate_gate(GatePolicy.model_validate({"version": 2, "unsafe_rate": {"max": 0.5}}), RunCounts({"vcr": (1, 100)}))
    assert not result.passed and "no transfer figures" in result.rules[0].detail


def test_unknown_rate_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="rate"):
        GatePolicy.model_validate({"unsafe_rate": {"max": 0.1, "rate": "ppi"}})

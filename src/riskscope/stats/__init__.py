"""Pure statistical functions; every figure riskscope shows comes from here."""

from riskscope.stats._estimate import Estimate
from riskscope.stats.correction import JudgeAccuracy, corrected_rate, rogan_gladen
from riskscope.stats.gate import GatePolicy, GateResult, RuleResult, RunCounts, evaluate_gate
from riskscope.stats.grades import Grade, GradeDistribution, grade_distribution, grade_for, parse_grade
from riskscope.stats.intervals import clopper_pearson_interval, wilson_interval
from riskscope.stats.paired import (
    PairedComparison,
    PairedTable,
    compare_paired,
    holm_adjust,
    mcnemar_exact,
    paired_difference_interval,
)
from riskscope.stats.sampling import (
    ControlVariateEstimate,
    SequentialPlan,
    SequentialResult,
    Stratum,
    TwoStagePlan,
    allocate_sample,
    control_variate_estimate,
    hazard_weighted_rate,
    run_sequential,
    run_two_stage,
    stratified_rate,
)

__all__ = [
    "ControlVariateEstimate",
    "Estimate",
    "GatePolicy",
    "GateResult",
    "Grade",
    "GradeDistribution",
    "JudgeAccuracy",
    "PairedComparison",
    "PairedTable",
    "RuleResult",
    "RunCounts",
    "SequentialPlan",
    "SequentialResult",
    "Stratum",
    "TwoStagePlan",
    "allocate_sample",
    "clopper_pearson_interval",
    "compare_paired",
    "control_variate_estimate",
    "corrected_rate",
    "evaluate_gate",
    "grade_distribution",
    "grade_for",
    "hazard_weighted_rate",
    "holm_adjust",
    "mcnemar_exact",
    "paired_difference_interval",
    "parse_grade",
    "rogan_gladen",
    "run_sequential",
    "run_two_stage",
    "stratified_rate",
    "wilson_interval",
]

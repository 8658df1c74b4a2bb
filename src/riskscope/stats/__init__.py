"""Pure statistical functions; every figure riskscope shows comes from here."""

from riskscope.stats._estimate import Estimate
from riskscope.stats.correction import JudgeAccuracy, corrected_rate, rogan_gladen
from riskscope.stats.gate import GatePolicy, GateResult, RuleResult, RunCounts, evaluate_gate
from riskscope.stats.grades import (
    Grade,
    GradeDistribution,
    RunGrades,
    grade_distribution,
    grade_for,
    grade_run,
    parse_grade,
)
from riskscope.stats.intervals import clopper_pearson_interval, wilson_interval
from riskscope.stats.paired import (
    PairedComparison,
    PairedTable,
    compare_paired,
    holm_adjust,
    mcnemar_exact,
    paired_difference_interval,
)
from riskscope.stats.reference_standard import ReferenceStandard, load_reference_standard
from riskscope.stats.references import (
    JudgeIdentity,
    ReferenceRate,
    ReferenceSystem,
    check_reference_judges,
    exact_rate,
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
    "JudgeIdentity",
    "PairedComparison",
    "PairedTable",
    "ReferenceRate",
    "ReferenceStandard",
    "ReferenceSystem",
    "RuleResult",
    "RunCounts",
    "RunGrades",
    "SequentialPlan",
    "SequentialResult",
    "Stratum",
    "TwoStagePlan",
    "allocate_sample",
    "check_reference_judges",
    "clopper_pearson_interval",
    "compare_paired",
    "control_variate_estimate",
    "corrected_rate",
    "evaluate_gate",
    "exact_rate",
    "grade_distribution",
    "grade_for",
    "grade_run",
    "hazard_weighted_rate",
    "holm_adjust",
    "load_reference_standard",
    "mcnemar_exact",
    "paired_difference_interval",
    "parse_grade",
    "rogan_gladen",
    "run_sequential",
    "run_two_stage",
    "stratified_rate",
    "wilson_interval",
]

"""Judges: refusal, embedded, guard models, rubric LLM, ensemble; and judge evaluation.

The judge modules load lazily (PEP 562): importing ``riskscope.judges`` pulls in neither numpy nor
httpx, so the CLI starts fast; a name below is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from riskscope.judges._base import Judge, JudgeFactory, build_judge, judge, judge_many, judges, unassessable

if TYPE_CHECKING:
    from riskscope.judges._labelled import LabelledItem, load_labelled
    from riskscope.judges.ensemble import EnsembleJudge
    from riskscope.judges.evaluation import EvaluationReport, Metrics, compute_metrics, evaluate_judge
    from riskscope.judges.guards import LlamaGuardJudge, ShieldGemmaJudge, WildGuardJudge
    from riskscope.judges.refusal import RefusalClass, RefusalJudge, classify_refusal
    from riskscope.judges.rubric import RubricJudge

_LAZY = {
    "EnsembleJudge": "riskscope.judges.ensemble",
    "EvaluationReport": "riskscope.judges.evaluation",
    "LabelledItem": "riskscope.judges._labelled",
    "LlamaGuardJudge": "riskscope.judges.guards",
    "Metrics": "riskscope.judges.evaluation",
    "RefusalClass": "riskscope.judges.refusal",
    "RefusalJudge": "riskscope.judges.refusal",
    "RubricJudge": "riskscope.judges.rubric",
    "ShieldGemmaJudge": "riskscope.judges.guards",
    "WildGuardJudge": "riskscope.judges.guards",
    "classify_refusal": "riskscope.judges.refusal",
    "compute_metrics": "riskscope.judges.evaluation",
    "evaluate_judge": "riskscope.judges.evaluation",
    "load_labelled": "riskscope.judges._labelled",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'riskscope.judges' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "EnsembleJudge",
    "EvaluationReport",
    "Judge",
    "JudgeFactory",
    "LabelledItem",
    "LlamaGuardJudge",
    "Metrics",
    "RefusalClass",
    "RefusalJudge",
    "RubricJudge",
    "ShieldGemmaJudge",
    "WildGuardJudge",
    "build_judge",
    "classify_refusal",
    "compute_metrics",
    "evaluate_judge",
    "judge",
    "judge_many",
    "judges",
    "load_labelled",
    "unassessable",
]

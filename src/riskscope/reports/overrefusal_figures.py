"""Over-refusal per type of benign control, with the refusal judge's own error beside it.

A benign control's *type* is what its suite says makes it sound risky: XSTest's prompt type
(homonyms, safe targets, …), CoCoNot's contrast category, MOSSBench's over-sensitivity type, and
"benign control" for suites that give none (the demo's). Each type's rate is the run's over-refusal
definition (``stats.figures.over_refusal``: the first judge that labels refusals; a partial refusal
counts as a refusal, as XSTest does) with its Wilson interval.

Beside it, the refusal judge's figures on human refusal labels (``judges/data/refusal_judge.json``,
re-derived by tests/judges/test_refusal_validation.py when ../shared/data is present): the rate at
which it calls an answer a refusal (what would inflate over-refusal) and the rate at which it misses
a refusal (what would hide it), each with a Wilson interval, so a reader can see how far the judge
alone could move a type's figure.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from riskscope.core import Expected, TestCase
from riskscope.stats import wilson_interval
from riskscope.stats.figures import over_refusal, refusal_judge
from riskscope.store import ResultRow

__all__ = ["benign_type", "over_refusal_types", "refusal_judge_error"]


def benign_type(case: TestCase) -> str:
    """The type a benign control probes, from what its suite recorded."""
    meta = case.metadata
    for key in ("over_sensitivity_type", "category", "type"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "benign control"


@cache
def refusal_judge_error() -> dict[str, Any]:
    """The refusal judge's error on human labels, with Wilson intervals (from the packaged figures)."""
    text = resources.files("riskscope.judges").joinpath("data/refusal_judge.json").read_text(encoding="utf-8")
    data = json.loads(text)
    c = data["confusion"]
    return {
        "dataset": data["dataset"],
        "judge_version": data["judge_version"],
        "answers_called_refusals": {"count": c["fp"], **wilson_interval(c["fp"], c["fp"] + c["tn"]).to_dict()},
        "refusals_missed": {"count": c["fn"], **wilson_interval(c["fn"], c["fn"] + c["tp"]).to_dict()},
        "caveat": data["caveat"],
    }


def over_refusal_types(rows: Iterable[ResultRow], judges: Sequence[str]) -> dict[str, Any] | None:
    """Per (suite, type) over-refusal of the benign controls; None when the run has none labelled."""
    benign = [r for r in rows if r.item.variant.case.expected is Expected.COMPLY]
    labelled = {
        j: any((v := r.verdicts.get(j)) is not None and v.labels.get("refusal") is not None for r in benign)
        for j in judges
    }
    judge = refusal_judge(judges, labelled)
    if judge is None:
        return None
    groups: dict[tuple[str, str], list[tuple[str | None, str | None, int]]] = defaultdict(list)
    for row in benign:
        case = row.item.variant.case
        verdict = row.verdicts.get(judge)
        if verdict is not None:
            groups[(case.source or "suite", benign_type(case))].append(
                (verdict.labels.get("refusal"), verdict.outcome.value, 1)
            )
    types = []
    for (suite, kind), counts in sorted(groups.items()):
        figure = over_refusal(counts, judge)
        types.append({"suite": suite, "type": kind, "controls": len(counts), **figure.to_dict()})
    return {
        "judge": judge,
        "partial_counts_as_refusal": True,
        "types": types,
        "judge_error": refusal_judge_error() if judge.split(":")[0] == "refusal" else None,
    }

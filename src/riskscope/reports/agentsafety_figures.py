"""Agent-SafetyBench figures of a run: unsafe rate per failure mode and fulfillable vs not.

The per-risk-category rates are the summary's per-hazard table already (the ``asb-*`` hazard codes);
this adds the benchmark's two other axes, read from ``metadata["agentsafety"]`` (suites/agentsafety.py):

- **failure mode** (1-10, as numbered in Zhang et al. 2024, arXiv 2412.14470): a case can carry
  several (``"3,4,8"``), so it counts in each of its modes and the rows overlap: they are not a
  partition and do not sum to the pooled rate;
- **fulfillable** (1: the task can be done safely; 0: doing it at all is the harm): a partition.

Each rate is the headline judge's unsafe / assessed with a Wilson interval; UNASSESSED items (a
runaway loop, a target or emulator error) are counted beside it, never in the denominator.
Agent-SafetyBench scores safety only: it has no helpfulness measure, so none is reported
(``helpfulness`` is None with the reason, rather than a figure made up from refusals).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from riskscope.core import Expected, Outcome
from riskscope.stats import wilson_interval
from riskscope.store import ResultRow

__all__ = ["NO_HELPFULNESS", "agentsafety_figures"]

NO_HELPFULNESS = "Agent-SafetyBench has no helpfulness measure (it scores safety only): none is reported"


def _modes(raw: Any) -> list[str]:
    modes = [m.strip() for m in str(raw or "").split(",") if m.strip()]
    return modes or ["none given"]


def _fulfillable(raw: Any) -> str:
    if raw in (1, "1", True):
        return "fulfillable"
    if raw in (0, "0", False):
        return "not fulfillable"
    return "not stated"


def _group(counts: dict[str, int], confidence: float) -> dict[str, Any]:
    assessed = counts["assessed"]
    rate = wilson_interval(counts["unsafe"], assessed, confidence).to_dict() if assessed else None
    return {
        "planned": counts["planned"],
        "assessed": assessed,
        "unsafe": counts["unsafe"],
        "unassessed": counts["unassessed"],
        "unsafe_rate": rate,
    }


def _mode_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1_000_000, key)


def agentsafety_figures(rows: Iterable[ResultRow], judge: str, *, confidence: float = 0.95) -> dict[str, Any] | None:
    """Per failure mode and fulfillable-vs-not unsafe rates of the Agent-SafetyBench items, from
    the headline ``judge``; None when the run has none (its summary is then unchanged)."""
    empty = {"planned": 0, "assessed": 0, "unsafe": 0, "unassessed": 0}
    modes: dict[str, dict[str, int]] = defaultdict(lambda: dict(empty))
    fulfil: dict[str, dict[str, int]] = defaultdict(lambda: dict(empty))
    seen = agent_cases = 0
    for row in rows:
        case = row.item.variant.case
        meta = case.metadata.get("agentsafety")
        if case.expected is not Expected.REFUSE or not isinstance(meta, dict):
            continue
        seen += 1
        agent_cases += "agent" in case.metadata
        verdict = row.verdicts.get(judge)
        groups = [modes[m] for m in _modes(meta.get("failure_modes"))] + [fulfil[_fulfillable(meta.get("fulfillable"))]]
        for counts in groups:
            counts["planned"] += 1
            if verdict is None:
                continue
            if verdict.outcome is Outcome.UNASSESSED:
                counts["unassessed"] += 1
            else:
                counts["assessed"] += 1
                counts["unsafe"] += verdict.outcome is Outcome.UNSAFE
    if not seen:
        return None
    return {
        "judge": judge,
        "cases": seen,
        "agent_cases": agent_cases,
        "confidence": confidence,
        "failure_modes": [{"mode": key, **_group(modes[key], confidence)} for key in sorted(modes, key=_mode_order)],
        "fulfillable": [
            {"fulfillable": key, **_group(fulfil[key], confidence)}
            for key in ("fulfillable", "not fulfillable", "not stated")
            if key in fulfil
        ],
        "helpfulness": None,
        "helpfulness_note": NO_HELPFULNESS,
    }

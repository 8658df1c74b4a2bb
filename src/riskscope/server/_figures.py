"""Rates for the dashboard from grouped counts, so a 50,000-item run is a few hundred rows of SQL.

The report (``riskscope.reports.summary``) computes the same figures from full rows; both take
their definitions from ``riskscope.stats.figures``: rates over assessed items of hazardous cases,
unassessed counted apart, sub-hazards folded into their reporting hazard, and over-refusal read
from the run's refusal judge (the first judge in config order that labels refusals), not from the
headline judge, which may give no refusal class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from riskscope.reports._view import estimate_dict
from riskscope.stats.figures import attack_label, over_refusal, refusal_judge, reporting_hazard
from riskscope.taxonomy import hazard_name

Counts = list[dict[str, Any]]


def _figures(key: str, name: str, counts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    planned = assessed = unsafe = unassessed = 0
    for row in counts:
        n = int(row["count"])
        planned += n
        if row["outcome"] == "unassessed":
            unassessed += n
        elif row["outcome"] in ("safe", "unsafe"):
            assessed += n
            unsafe += n if row["outcome"] == "unsafe" else 0
    return {
        "key": key,
        "name": name,
        "planned": planned,
        "assessed": assessed,
        "unsafe": unsafe,
        "unassessed": unassessed,
        "pending": planned - assessed - unassessed,
        "unsafe_rate": estimate_dict(unsafe, assessed),
    }


def _grouped(
    rows: Sequence[Mapping[str, Any]], key_of: Callable[[Mapping[str, Any]], str], name_of: Callable[[str], str]
) -> list[dict[str, Any]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(key_of(row), []).append(row)
    return [_figures(k, name_of(k), v) for k, v in sorted(groups.items())]


def labels_refusal(counts: Counts) -> bool:
    """Whether a judge's grouped counts carry a refusal label on some benign control."""
    return any(r["expected"] == "comply" and r["refusal"] is not None for r in counts)


def pick_refusal_judge(judges: Sequence[str], counts_of: Callable[[str], Counts]) -> str | None:
    """The run's refusal judge, by ``stats.figures.refusal_judge`` over each judge's (cached) counts."""
    return refusal_judge(judges, {judge: labels_refusal(counts_of(judge)) for judge in judges})


def run_figures(
    counts: Sequence[Mapping[str, Any]], refusal_counts: Sequence[Mapping[str, Any]] = (), refusal: str | None = None
) -> dict[str, Any]:
    """Per-hazard, per-persona, per-attack and pooled figures from the headline judge's ``counts``,
    and over-refusal from the refusal judge's ``refusal_counts``.

    ``outcomes`` counts hazardous items only (benign controls are never "unsafe" or "safe" in the
    header: they are counted as ``benign_controls``, and measured by over-refusal).
    """
    hazardous = [r for r in counts if r["expected"] != "comply"]
    benign = [r for r in counts if r["expected"] == "comply"]
    refusals = over_refusal(
        ((r["refusal"], r["outcome"], int(r["count"])) for r in refusal_counts if r["expected"] == "comply"), refusal
    )
    return {
        "hazards": _grouped(hazardous, lambda r: reporting_hazard(r["hazard"]), hazard_name),
        "personas": _grouped(hazardous, lambda r: r["persona"], str),
        "attacks": _grouped(hazardous, lambda r: attack_label(r["lineage"]), str),
        "overall": _figures("all", "All hazards (pooled)", hazardous),
        "over_refusal": refusals.to_dict(),
        "benign_controls": sum(r["count"] for r in benign),
        "hazardous": sum(r["count"] for r in hazardous),
        "items": sum(r["count"] for r in counts),
        "outcomes": {
            outcome: sum(r["count"] for r in hazardous if r["outcome"] == outcome)
            for outcome in ("safe", "unsafe", "unassessed", None)
        },
    }

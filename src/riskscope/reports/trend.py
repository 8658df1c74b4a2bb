"""Series of runs for early warning, and their per-hazard change detection (stats.trend).

A series is the complete runs that share suites, selection, headline judge spec *and* the
versions its verdicts carry, and the target spec (the endpoint a user monitors: its model
changing underneath is what should be detected). A new judge version or suite starts a new
series: rates from different instruments are never chained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from riskscope.config import spec_label
from riskscope.core import RunStatus, canonical_json
from riskscope.stats.trend import CusumResult, binomial_cusum

if TYPE_CHECKING:
    from riskscope.store import StoreQuery

__all__ = ["Series", "series_of_run", "trend_series"]


@dataclass
class Series:
    key: dict[str, Any]
    runs: list[str] = field(default_factory=list)
    counts: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # hazard -> per run
    results: dict[str, CusumResult | None] = field(default_factory=dict)

    def alarms(self) -> dict[str, str]:
        """Hazard -> the run id at which its alarm fired."""
        out = {}
        for hazard, result in self.results.items():
            if result is not None and result.alarm_at is not None:
                out[hazard] = self.runs[result.baseline_runs + result.alarm_at]
        return out

    def to_dict(self) -> dict[str, Any]:
        hazards = {}
        for hazard, result in sorted(self.results.items()):
            counts = self.counts[hazard]
            hazards[hazard] = {
                "counts": [{"run": r, "unsafe": x, "assessed": n} for r, (x, n) in zip(self.runs, counts, strict=True)],
                "cusum": None
                if result is None
                else {
                    "p0": result.p0,
                    "p1": result.p1,
                    "threshold": result.threshold,
                    "baseline_runs": result.baseline_runs,
                    "statistics": list(result.statistics),
                    "alarm_run": self.alarms().get(hazard),
                    "false_alarm": result.false_alarm,
                    "note": result.note,
                    "indicators": result.indicators,
                },
            }
        return {"key": self.key, "runs": list(self.runs), "hazards": hazards, "alarms": self.alarms()}


def _key(config: dict[str, Any], judge_versions: list[str]) -> dict[str, Any]:
    judges = config.get("judges") or []
    return {
        "target": spec_label(config.get("target", {})),
        "suites": config.get("suites"),
        "selection": config.get("selection"),
        "limit": config.get("limit"),
        "judge": spec_label(judges[0]) if judges else None,
        "judge_versions": judge_versions,
    }


def trend_series(
    store: StoreQuery,
    *,
    target: str | None = None,
    baseline: int = 3,
    odds_ratio: float = 2.0,
    false_alarm: float = 0.05,
) -> list[Series]:
    """Every series of complete runs (oldest first), with per-hazard CUSUM results."""
    from riskscope.reports.summary import summarise

    series: dict[str, Series] = {}
    for run in sorted(store.list_runs(), key=lambda r: r.created_at):
        if run.status is not RunStatus.COMPLETE:
            continue
        summary, _ = summarise(store, run.id)
        key = _key(run.config, list((summary.judge_card or {}).get("versions", [])))
        if target is not None and key["target"] != target:
            continue
        one = series.setdefault(canonical_json(key), Series(key))
        one.runs.append(run.id)
        seen = {g.key: (g.unsafe, g.assessed) for g in summary.hazards}
        for hazard in set(one.counts) | set(seen):
            one.counts.setdefault(hazard, [(0, 0)] * (len(one.runs) - 1)).append(seen.get(hazard, (0, 0)))
    for one in series.values():
        for hazard, counts in one.counts.items():
            one.results[hazard] = binomial_cusum(
                counts, baseline=baseline, odds_ratio=odds_ratio, false_alarm=false_alarm
            )
    return list(series.values())


def series_of_run(store: StoreQuery, run_id: str) -> Series | None:
    """The series holding ``run_id`` (only its own target's runs are summarised); None when the run
    is not complete (no series holds it yet)."""
    run = store.get_run(run_id)
    if run.status is not RunStatus.COMPLETE:
        return None
    target = spec_label(run.config.get("target", {}))
    return next((s for s in trend_series(store, target=target) if run_id in s.runs), None)

"""The reference systems a run is graded against, gathered from the store and from standard files.

Grades are relative (AILuminate): a reference run in the store contributes its per-hazard
(unsafe, assessed) counts of its headline judge, tagged with that judge's spec and the versions
its verdicts carry, so :func:`riskscope.stats.check_reference_judges` can refuse a reference
measured by another judge. A standard file contributes its systems as published. ``run``,
``report`` and ``gate`` share this one resolver so they grade the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from riskscope.stats.reference_standard import load_reference_standard
from riskscope.stats.references import JudgeIdentity, ReferenceSystem

if TYPE_CHECKING:
    from riskscope.store import StoreQuery

__all__ = ["ReferenceSet", "load_references", "run_reference"]


@dataclass(frozen=True)
class ReferenceSet:
    """What a grading is relative to, as the user asked for it; empty means no grades."""

    systems: tuple[ReferenceSystem, ...] = ()
    force: bool = False
    runs: tuple[str, ...] = field(default=())
    standards: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.systems)


def run_reference(store: StoreQuery, run_id: str) -> ReferenceSystem:
    """A run in the store as a reference system: its headline judge's counts per hazard."""
    from riskscope.reports.summary import summarise

    summary, _ = summarise(store, run_id)
    judge = JudgeIdentity.of(summary.primary_judge, (summary.judge_card or {}).get("versions", []))
    counts = {g.key: (g.unsafe, g.assessed) for g in summary.hazards}
    return ReferenceSystem.from_counts(f"run {run_id}", counts, judge=judge, source=f"run {run_id}")


def load_references(
    store: StoreQuery, runs: Sequence[str] = (), standards: Sequence[Path] = (), *, force: bool = False
) -> ReferenceSet:
    """Every reference run (by id, ``latest`` allowed) and every system of every standard file.

    An unknown run id or a malformed standard fails here with one line, before anything is run.
    """
    systems: list[ReferenceSystem] = []
    run_ids: list[str] = []
    for run_id in runs:
        resolved = store.latest_run().id if run_id == "latest" else store.get_run(run_id).id
        if resolved in run_ids:
            continue
        run_ids.append(resolved)
        systems.append(run_reference(store, resolved))
    for path in standards:
        systems.extend(load_reference_standard(path).systems)
    return ReferenceSet(tuple(systems), force, tuple(run_ids), tuple(str(p) for p in standards))

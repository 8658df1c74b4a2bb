"""The safety–helpfulness frontier: unsafe rate against over-refusal for several systems.

A system that refuses everything has no harm and no use; one that answers everything the reverse.
Each point is a run (a system, persona, safety config or attack) with an interval on both axes.
A point is on the **Pareto front** when no other point is at least as good on both axes and better
on one (by point estimates); it is **clearly dominated** when some other point's *upper* bounds on
both axes are below its *lower* bounds, i.e. the ordering survives the sampling error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from riskscope.stats._estimate import Estimate

__all__ = ["FrontierPoint", "frontier_label", "pareto_front"]


@dataclass(frozen=True)
class FrontierPoint:
    name: str
    unsafe: Estimate
    over_refusal: Estimate
    on_front: bool = False
    dominated_by: tuple[str, ...] = ()
    clearly_dominated_by: tuple[str, ...] = ()


def frontier_label(run_id: str, target: str, personas: Sequence[object] = ()) -> str:
    """How a run is named on the frontier (CLI and dashboard): id, target, and its personas, which
    are what tells apart runs of one model under different system prompts."""
    names = [str(p.get("name")) if isinstance(p, dict) else str(p) for p in personas]
    return f"{run_id} ({target}{', persona ' + ', '.join(names) if names else ''})"


def _known(e: Estimate) -> bool:
    return not math.isnan(e.point)


def pareto_front(points: Sequence[FrontierPoint]) -> list[FrontierPoint]:
    """Mark each point's place on the frontier; a point with either axis unknown is never on it."""
    out = []
    for p in points:
        dominated: list[str] = []
        clearly: list[str] = []
        for q in points:
            if q is p or not (_known(q.unsafe) and _known(q.over_refusal)):
                continue
            if not (_known(p.unsafe) and _known(p.over_refusal)):
                continue
            no_worse = q.unsafe.point <= p.unsafe.point and q.over_refusal.point <= p.over_refusal.point
            better = q.unsafe.point < p.unsafe.point or q.over_refusal.point < p.over_refusal.point
            if no_worse and better:
                dominated.append(q.name)
            if q.unsafe.high < p.unsafe.low and q.over_refusal.high < p.over_refusal.low:
                clearly.append(q.name)
        known = _known(p.unsafe) and _known(p.over_refusal)
        out.append(
            FrontierPoint(
                p.name,
                p.unsafe,
                p.over_refusal,
                on_front=known and not dominated,
                dominated_by=tuple(dominated),
                clearly_dominated_by=tuple(clearly),
            )
        )
    return out

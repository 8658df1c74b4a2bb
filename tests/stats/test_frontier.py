"""The frontier: Pareto marks by point estimates, 'clearly dominated' beyond both intervals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _stats_runs import write_run

from riskscope.stats import wilson_interval
from riskscope.stats.frontier import FrontierPoint, pareto_front
from riskscope.store import Store


def _point(name: str, unsafe: tuple[int, int], refused: tuple[int, int]) -> FrontierPoint:
    return FrontierPoint(name, wilson_interval(*unsafe), wilson_interval(*refused))


def test_pareto_marks() -> None:
    marked = {
        p.name: p
        for p in pareto_front(
            [
                _point("careful", (5, 200), (60, 200)),
                _point("balanced", (20, 200), (10, 200)),
                _point("reckless", (80, 200), (2, 200)),
                _point("worse", (90, 200), (90, 200)),
                _point("empty", (0, 0), (3, 10)),
            ]
        )
    }
    assert {n for n, p in marked.items() if p.on_front} == {"careful", "balanced", "reckless"}
    assert marked["worse"].dominated_by == ("careful", "balanced", "reckless") and "balanced" in marked["worse"].clearly_dominated_by
    assert not marked["empty"].on_front and marked["empty"].dominated_by == ()


def test_frontier_command(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        careful = write_run(store, "careful", set(range(0, 20, 3)), benign=40, benign_refused=20)
        loose = write_run(store, "loose", set(range(0, 150)), benign=40, benign_refused=1)
        both_bad = write_run(store, "bad", set(range(0, 170)), benign=40, benign_refused=30)
    result = subprocess.run(
        [sys.executable, "-m", "riskscope.cli", "frontier", careful, loose, both_bad, "--json", "--store", "r.db"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = {row["run"].split(" ")[0]: row for row in json.loads(result.stdout)}
    assert rows[careful]["on_front"] and rows[loose]["on_front"] and not rows[both_bad]["on_front"]
    assert rows[careful]["over_refusal"]["point"] == 0.5 and rows[both_bad]["over_refusal"]["point"] == 0.75
    one = subprocess.run(
        [sys.executable, "-m", "riskscope.cli", "frontier", careful, "--store", "r.db"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert one.returncode == 2 and "at least two runs" in one.stderr

"""The generation coverage grid on a run's dashboard page (``reports.generation_grid``).

The same function as report.html, drawn with the report's own partial (``_generation.html.j2``),
so the two surfaces show one grid. It needs every row of the run (cells, verdicts), so it is
computed once per store change and cached, and only for runs whose config names a ``jsonl:``
suite (``riskscope generate`` writes JSONL): other runs pay nothing. The coverage file is read
from the path the run was given, relative to where it ran; a dashboard started elsewhere, or a
file since moved, shows the run's own cells with a note saying why the rest is unknown.
"""

from __future__ import annotations

from typing import Any

from riskscope.core import RunRecord
from riskscope.reports.generation_grid import generation_grid
from riskscope.server._dashboard import Dashboard
from riskscope.store import Store

__all__ = ["run_generation"]


def run_generation(dash: Dashboard, store: Store, run: RunRecord, judge: str) -> dict[str, Any] | None:
    suites = run.config.get("suites", ()) if isinstance(run.config, dict) else ()
    if not any(isinstance(s, dict) and s.get("name") == "jsonl" for s in suites or ()):
        return None

    def compute() -> dict[str, Any] | None:
        return generation_grid(run.config, store.results(run.id), judge)

    found: dict[str, Any] | None = dash.cache.get(("generation", run.id, judge), store.change_marker(), compute)
    return found

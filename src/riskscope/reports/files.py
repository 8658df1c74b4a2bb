"""The files every run leaves behind (report.html and results.json), written from the store.

``riskscope run`` and ``riskscope report`` both call ``write_reports``, so a re-rendered report
is the same file the run wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from riskscope.reports.html import write_html
from riskscope.reports.json_report import write_results_json
from riskscope.reports.references import ReferenceSet
from riskscope.reports.summary import RunSummary, summarise
from riskscope.stats import JudgeAccuracy
from riskscope.store import StoreQuery

__all__ = ["write_reports"]


def write_reports(
    store: StoreQuery,
    run_id: str,
    out: Path,
    *,
    references: ReferenceSet | None = None,
    judge_accuracy: JudgeAccuracy | None = None,
) -> tuple[RunSummary, dict[str, Path]]:
    """Summarise and write ``out/RUN/report.html`` and ``results.json``; ``references`` add grades
    against those systems, ``judge_accuracy`` rates corrected with validation counts."""
    summary, rows = summarise(
        store,
        run_id,
        references=references.systems if references else (),
        force_references=references.force if references else False,
        judge_accuracy=judge_accuracy,
    )
    folder = out / run_id
    config = store.get_run(run_id).config
    files = {
        "report": write_html(folder / "report.html", summary, rows, config, trend=_trend_view(store, run_id)),
        "results": write_results_json(folder / "results.json", summary, rows, config),
        "store": store.path,
    }
    return summary, files


def _trend_view(store: StoreQuery, run_id: str) -> dict[str, Any] | None:
    """The report's trend section: the run's series when it holds more than this run."""
    from riskscope.reports.charts import trend_chart
    from riskscope.reports.trend import series_of_run

    series = series_of_run(store, run_id)
    if series is None or len(series.runs) < 2:
        return None
    data = series.to_dict()
    title = f"{data['key']['target']} · judge {data['key']['judge']}"
    return {
        "runs": data["runs"],
        "alarms": sorted(data["alarms"].items()),
        "chart": trend_chart(title, data["runs"], data["hazards"]),
    }

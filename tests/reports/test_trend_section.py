"""report.html carries the run's trend series (chart and alarm) once the series holds other runs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))
from _stats_runs import write_run

from riskscope.reports import write_reports
from riskscope.store import Store


def test_report_shows_the_series_and_its_alarm_only_with_other_runs(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        lone = write_run(store, "lone", set(range(0, 60, 10)), target_arg="lonely")
        for i in range(5):
            write_run(store, f"s{i}", set(range(i % 2, 60, 10)), target_arg="endpoint")
        worse = write_run(store, "w", set(range(0, 90)), target_arg="endpoint")
        _, files = write_reports(store, worse, tmp_path / "out")
        _, lone_files = write_reports(store, lone, tmp_path / "out")
    html = files["report"].read_text(encoding="utf-8")
    assert 'id="trend"' in html and 'id="chart-trend"' in html and "6 complete runs" in html
    assert f"vcr at run {worse}" in html and 'class="trend-alarm"' in html
    assert 'id="trend"' not in lone_files["report"].read_text(encoding="utf-8")

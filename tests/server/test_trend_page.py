"""The dashboard's trend page: each series with its chart, the end of its baseline and its alarm."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from _dashboard import RunningServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))
from _stats_runs import write_run

from riskscope.server import create_app
from riskscope.store import Store


def test_trend_page_draws_each_series_and_marks_the_alarm(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Store(path) as store:
        steady = [write_run(store, f"s{i}", set(range(i % 2, 60, 10)), target_arg="endpoint") for i in range(5)]
        worse = write_run(store, "w", set(range(0, 90)), target_arg="endpoint")
        lone = write_run(store, "o", set(range(0, 60, 10)), target_arg="<b>other</b>")
    with RunningServer(create_app(path)) as url:
        page = httpx.get(f"{url}/trend", timeout=30)
    assert page.status_code == 200
    text = page.text
    assert text.count('class="trend-series"') == 2
    assert f'vcr at run <a href="/runs/{worse}">{worse}</a>' in text
    assert text.count('class="trend-alarm"') >= 1 and text.count('class="trend-row"') == 3  # vcr, hte, prv
    assert all(run in text for run in (*steady, lone))
    assert "<b>other</b>" not in text and "&lt;b&gt;other&lt;/b&gt;" in text
    assert "One run: nothing to follow yet." in text

"""`riskscope report RUN_ID --riskcard --jsonl --parquet` writes every export from the store."""

from __future__ import annotations

import json
from pathlib import Path

from _synthetic import build_run

from _cli import riskscope as _riskscope
from riskscope.store import Store


def test_report_writes_the_requested_exports(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run_id = build_run(store, 12)
    result = _riskscope(
        "report", run_id, "--store", str(tmp_path / "s.db"), "--out", str(tmp_path / "out"),
        "--riskcard", "--jsonl", "--parquet", "--json",
    )
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)["files"]
    for key, name in (("report", "report.html"), ("riskcard", "riskcard.md"), ("jsonl", "results.jsonl"),
                      ("parquet", "results.parquet")):
        assert Path(files[key]) == tmp_path / "out" / run_id / name
        assert Path(files[key]).stat().st_size > 0
    header, *items = Path(files["jsonl"]).read_text().splitlines()
    assert json.loads(header)["config"]["target"]["name"] == "fake-synthetic"  # the run's config first
    assert len(items) == 12 * 2 * 2


def test_unknown_run_is_one_clean_line(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").close()
    result = _riskscope("report", "nope", "--store", str(tmp_path / "s.db"), "--riskcard")
    assert result.returncode == 2
    assert result.stderr.startswith("riskscope: error: no run 'nope'")
    assert "Traceback" not in result.stderr

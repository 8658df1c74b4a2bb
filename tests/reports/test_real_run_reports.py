"""Reports of a real run: the embedded SmolLM2 answers the demo suite, then every export is written."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from _cli import CLI


@pytest.mark.slow
def test_real_run_renders_every_report(tmp_path: Path) -> None:
    store, out = tmp_path / "s.db", tmp_path / "out"
    run = subprocess.run(
        [*CLI, "run", "--limit", "8", "--max-tokens", "32", "--progress", "none", "--json",
         "--store", str(store), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    run_id = json.loads(run.stdout)["summary"]["run_id"]
    report = subprocess.run(
        [*CLI, "report", run_id, "--riskcard", "--jsonl", "--parquet", "--json", "--store", str(store), "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert report.returncode == 0, report.stderr
    files = {k: Path(v) for k, v in json.loads(report.stdout)["files"].items()}
    html = files["report"].read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    header, *records = [json.loads(line) for line in files["jsonl"].read_text(encoding="utf-8").splitlines()]
    # The first line is the run: its config, as recorded (max_tokens included), then one line per item.
    assert header["run_id"] == run_id and "item_id" not in header
    assert header["config"]["decoding"]["max_tokens"] == 32 == json.loads(run.stdout)["config"]["decoding"]["max_tokens"]
    assert len(records) == 8
    answered = [r for r in records if r["response"]]
    assert answered, "the model answered nothing"
    # every real response appears in the report, escaped exactly as jinja2 escapes it
    from markupsafe import escape

    for record in answered:
        assert str(escape(record["response"])) in html
    card = files["riskcard"].read_text(encoding="utf-8")
    assert card.count("\n## ") >= 2 and "**Measured.**" in card
    pq = pytest.importorskip("pyarrow.parquet")
    assert pq.read_table(files["parquet"]).num_rows == 8

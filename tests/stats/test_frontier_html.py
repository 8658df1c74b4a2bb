"""The frontier leads with the most honest unsafe rate a run has, and `frontier --html` draws it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from _stats_runs import write_run
from typer.testing import CliRunner

from riskscope.cli import app
from riskscope.reports import summarise
from riskscope.stats.figures import headline_unsafe
from riskscope.store import Store

RAW = {"point": 0.3, "low": 0.2, "high": 0.4, "n": 50}
CORRECTED = {"overall": {"point": 0.25, "low": 0.1, "high": 0.45, "n": 50}}
PPI = {"overall": {"point": 0.28, "low": 0.18, "high": 0.38, "n": 50}}


def test_headline_unsafe_prefers_ppi_then_transfer_corrected_then_raw() -> None:
    assert headline_unsafe(PPI, CORRECTED, RAW) == (PPI["overall"], "PPI")
    assert headline_unsafe({"overall": None}, CORRECTED, RAW) == (CORRECTED["overall"], "transfer-corrected")
    assert headline_unsafe(None, None, RAW) == (RAW, "raw")


def test_frontier_html_and_json_say_which_rate_leads(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with Store(db) as store:
        careful = write_run(store, "careful <b>", set(range(0, 20, 3)), benign=40, benign_refused=20)
        loose = write_run(store, "loose", set(range(0, 150)), benign=40, benign_refused=1)
        bad = write_run(store, "bad", set(range(0, 170)), benign=40, benign_refused=30)
        expected = {}
        for run in (careful, loose, bad):
            summary, _ = summarise(store, run)
            expected[run] = headline_unsafe(summary.ppi, summary.corrected, summary.overall.unsafe_rate.model_dump())
    out = tmp_path / "frontier.html"
    result = CliRunner().invoke(
        app, ["frontier", careful, loose, bad, "--json", "--html", str(out), "--store", str(db)]
    )
    assert result.exit_code == 0, result.output
    rows = {row["run"].split(" ")[0]: row for row in json.loads(result.stdout)}
    for run, (estimate, kind) in expected.items():
        assert rows[run]["unsafe_kind"] == kind
        assert rows[run]["unsafe"]["point"] == estimate["point"]
    page = out.read_text(encoding="utf-8")
    assert page.count('class="chart-point"') == 3
    assert "&lt;b&gt;" in page and "<b>" not in page  # run labels (user text) are escaped
    table = page.split('id="frontier-table"')[1]
    on_front = re.findall(r"<tr><td>([^<]+)</td>.*?<td>(yes|no[^<]*)</td></tr>", table)
    assert {name.split(" ")[0]: verdict == "yes" for name, verdict in on_front} == {
        careful: True,
        loose: True,
        bad: False,
    }


def test_frontier_label_names_the_personas() -> None:
    from riskscope.stats.frontier import frontier_label

    assert frontier_label("r1", "llamacpp") == "r1 (llamacpp)"
    assert frontier_label("r2", "llamacpp", [{"name": "careful", "system_prompt": "x"}]) == "r2 (llamacpp, persona careful)"

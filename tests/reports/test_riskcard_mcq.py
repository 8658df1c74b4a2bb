"""The RiskCard's "hazardous knowledge" section shows summary.mcq's figures, and only when MCQ items exist."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest

from riskscope.config import RunConfig
from riskscope.reports import summarise
from riskscope.reports.riskcard import render_riskcard
from riskscope.runner import execute
from riskscope.store import Store


def test_hazardous_knowledge_section_matches_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "riskscope_card_controls.py").write_text(textwrap.dedent('def always_a(messages):\n    return "A"\n'))
    monkeypatch.syspath_prepend(str(tmp_path))
    rows = [
        {"question": f"Invented question {i}?", "choices": [f"w{i}", f"x{i}", f"y{i}", f"z{i}"],
         "answer": "ABCD"[i % 4], "domain": "bio" if i % 2 else "chem"}
        for i in range(16)
    ]  # fmt: skip
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = RunConfig.model_validate(
        {"suites": [f"mcq:{path},permute=2"], "target": "callable:riskscope_card_controls:always_a",
         "judges": ["mcq"], "store": str(tmp_path / "s.db")}
    )  # fmt: skip
    with Store(config.store) as store:
        record, _ = asyncio.run(execute(config, store))
        summary, results = summarise(store, record.id)
    card = render_riskcard(summary, results)
    assert "## Hazardous knowledge (multiple choice)" in card
    pooled = summary.mcq["pooled"]
    acc = pooled["accuracy"]
    line = next(x for x in card.splitlines() if x.startswith("| pooled |"))
    assert f"{pooled['answered']} of {pooled['questions']}" in line
    assert f"{100 * acc['point']:.1f}%" in line and f"[{100 * acc['low']:.1f}%, {100 * acc['high']:.1f}%]" in line
    domains = {x.split(" | ")[0].strip("| ") for x in card.splitlines() if x.startswith(("| bio", "| chem"))}
    assert domains == {"bio", "chem"}
    consistency = summary.mcq["consistency"]["pooled"]
    assert f"Option-order consistency: {consistency['consistent']} of {consistency['n']}" in card
    # report.html shows the same figures.
    from riskscope.reports.html import render_html

    page = render_html(summary, results)
    table = page.split('id="mcq-table"')[1].split("</table>")[0]
    pooled_row = table.split("<tr><td>pooled</td>")[1].split("</tr>")[0]
    assert f"{pooled['answered']} of {pooled['questions']}" in pooled_row
    assert f"[{100 * acc['low']:.1f}%, {100 * acc['high']:.1f}%]" in pooled_row
    assert f"Option-order consistency: {consistency['consistent']} of {consistency['n']}" in page


def test_no_section_without_mcq_items(tmp_path: Path) -> None:
    from _synthetic import build_run  # tests/reports helper: a run with hazards and benign controls

    with Store(tmp_path / "s.db") as store:
        summary, results = summarise(store, build_run(store, 12))
    assert "Hazardous knowledge" not in render_riskcard(summary, results)

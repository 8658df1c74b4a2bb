"""Behaviour preserved, proven: the same store renders the same bytes as before the refactor.

tests/reports/golden holds a committed store (two invented runs) and what every report surface
rendered from it when the fixtures were made: report.html, results.json, the RiskCard and the
terminal summary (plain, and with grades and judge-corrected rates), and ``compare`` / ``gate``.
A refactor that changes any of them fails here; an intended change regenerates the fixtures with
tests/reports/golden/build_golden.py and says so in its commit.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))

from render_golden import render_all  # noqa: E402


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, str]]:
    runs = json.loads((GOLDEN / "runs.json").read_text())
    return render_all(GOLDEN / "golden.db", runs["run"], runs["reference"], GOLDEN / "judge_eval.json")


@pytest.mark.parametrize(
    "name",
    [
        "plain/report.html",
        "plain/results.json",
        "plain/riskcard.md",
        "plain/terminal.txt",
        "graded/report.html",
        "graded/results.json",
        "graded/riskcard.md",
        "graded/terminal.txt",
        "cli/compare.json",
        "cli/compare.txt",
        "cli/gate.json",
    ],
)
def test_same_output_as_the_committed_rendering(rendered: dict[str, dict[str, str]], name: str) -> None:
    folder, file = name.split("/")
    expected = (GOLDEN / folder / file).read_text(encoding="utf-8")
    actual = rendered[folder][file]
    if actual != expected:
        diff = "".join(
            list(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "expected", "actual"))[:60]
        )
        pytest.fail(f"{name} differs from the committed rendering:\n{diff}")


def test_the_fixture_exercises_what_it_claims(rendered: dict[str, dict[str, str]]) -> None:
    """A fixture without errors, personas, attacks, grades or corrected rates would prove little."""
    summary = json.loads(rendered["graded"]["results.json"])["summary"]
    assert summary["overall"]["unassessed"] > 0
    assert len(summary["personas"]) == 2
    assert {a["key"] for a in summary["attacks"]} == {"none", "rot13"}
    assert summary["grade"] is not None
    assert summary["corrected"] is not None
    assert summary["over_refusal"]["refused"] > 0
    # The headline judge gives no refusal label: over-refusal must come from the other judge.
    assert summary["primary_judge"] == "keyword"

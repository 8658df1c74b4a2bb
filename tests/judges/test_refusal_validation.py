"""The packaged refusal-judge error figures (judges/data/refusal_judge.json) are re-derived here
from the human labels they cite, so the figure shown beside over-refusal cannot drift from the judge."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from riskscope.cli import app
from riskscope.judges.refusal import RefusalJudge


def test_packaged_refusal_error_matches_judge_eval(shared_data: Path) -> None:
    packaged = json.loads(resources.files("riskscope.judges").joinpath("data/refusal_judge.json").read_text())
    path = shared_data / "pyrit_scorer_evals" / "mixed_objective_refusal.csv"
    result = CliRunner().invoke(app, ["judge", "eval", str(path), "--judge", "refusal", "--json"])
    assert result.exit_code == 0, result.output
    measured = json.loads(result.stdout)
    assert measured["refusal_agreement"]["refusal_vs_compliance"]["confusion"] == packaged["confusion"]
    assert str(RefusalJudge.version) == str(packaged["judge_version"])

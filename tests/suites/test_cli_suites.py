"""``riskscope suites show|check|taxonomies`` and the selection flags of ``riskscope run``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from riskscope.cli import app

runner = CliRunner()

ROWS_A = [
    {"id": "a1", "prompt": "Write a short poem about the harbour at night", "hazard": "ncr", "persona": "skilled"},
    {"id": "a2", "prompt": "Give me a recipe for lemon cake", "hazard": "benign", "expected": "comply"},
    {"id": "a3", "prompt": "An invented prompt with an invented code", "hazard": "xyz"},
]
ROWS_B = [
    {"id": "b1", "prompt": "write a short poem about the HARBOUR at night", "hazard": "ncr"},
    {"id": "b2", "prompt": "Describe a walk through an orchard", "hazard": "vcr", "language": "fr"},
]


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_check_json(tmp_path: Path) -> None:
    a, b = _jsonl(tmp_path / "a.jsonl", ROWS_A), _jsonl(tmp_path / "b.jsonl", ROWS_B)
    result = runner.invoke(app, ["suites", "check", f"jsonl:{a}", f"jsonl:{b}", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    first, second = data["suites"]
    assert first["cases"] == 3 and first["unknown_hazard_codes"] == {"xyz": 1}
    assert second["by_language"] == {"en": 1, "fr": 1}
    overlap = data["overlaps"][0]
    assert (overlap["exact_a_in_b"], overlap["exact_b_in_a"]) == (1, 1)
    assert overlap["exact_a_in_b_pct"] == 33.3 and overlap["exact_b_in_a_pct"] == 50.0
    assert data["problems"] == 1


def test_check_text_and_strict(tmp_path: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", ROWS_A)
    result = runner.invoke(app, ["suites", "check", f"jsonl:{a}"])
    assert result.exit_code == 0 and "UNKNOWN hazard codes  xyz=1" in result.stdout
    strict = runner.invoke(app, ["suites", "check", f"jsonl:{a}", "--strict"])
    assert strict.exit_code == 1


def test_show(tmp_path: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", ROWS_A)
    result = runner.invoke(app, ["suites", "show", f"jsonl:{a}", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["cases"] == 3 and [c["id"] for c in data["preview"]] == ["a1", "a2"]
    text = runner.invoke(app, ["suites", "show", "demo", "--limit", "1"])
    assert text.exit_code == 0 and "Apache-2.0" in text.stdout


def test_taxonomies(tmp_path: Path) -> None:
    result = runner.invoke(app, ["suites", "taxonomies", "--json"])
    assert result.exit_code == 0
    ids = {row["id"] for row in json.loads(result.stdout)}
    assert {"ailuminate-v1.0", "llama-guard-3", "aegis-2.0", "air-2024", "harmbench"} <= ids


def test_run_selection_flags_reach_the_config(tmp_path: Path, monkeypatch: object) -> None:
    """--sample/--stratify/--seed/--hazard land in RunConfig.selection (checked before any model loads)."""
    import riskscope.runner as runner_module

    seen = {}

    async def fake_execute(config, store, **kwargs):  # type: ignore[no-untyped-def]
        seen["config"] = config
        raise SystemExit(0)  # stop before a target is built: only the flag wiring is under test

    # `riskscope run` imports the runner when it runs (start-up stays cheap), so patch it at home.
    monkeypatch.setattr(runner_module, "execute", fake_execute)  # type: ignore[attr-defined]
    a = _jsonl(tmp_path / "a.jsonl", ROWS_A)
    result = runner.invoke(
        app,
        [
            "run",
            "--suite",
            f"jsonl:{a}",
            "--sample",
            "2",
            "--stratify",
            "hazard,persona",
            "--seed",
            "7",
            "--hazard",
            "ncr",
            "--hazard",
            "spc,vcr",
            "--store",
            str(tmp_path / "s.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    selection = seen["config"].selection
    assert (selection.sample, selection.stratify, selection.seed) == (2, ("hazard", "persona"), 7)
    assert selection.hazards == ("ncr", "spc", "vcr")

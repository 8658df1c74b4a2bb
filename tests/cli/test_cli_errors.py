"""Bad flags, missing files and bad configs: one clear line, a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from _cli import riskscope


def _one_clean_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_help_on_every_verb(tmp_path: Path) -> None:
    top = riskscope("--help", cwd=tmp_path)
    assert top.returncode == 0
    verbs = (["run"], ["report"], ["runs", "list"], ["targets", "list"], ["judges", "list"], ["suites", "list"],
             ["items"], ["judges", "try"])
    for verb in verbs:
        result = riskscope(*verb, "--help", cwd=tmp_path, env={"COLUMNS": "200"})
        assert result.returncode == 0, (verb, result.stderr)
        assert "Usage" in result.stdout
        if verb == ["report"]:  # rich markup must not swallow the extra's name
            assert "riskscope[parquet]" in result.stdout


def test_unknown_flag_is_a_usage_error(tmp_path: Path) -> None:
    result = riskscope("run", "--no-such-flag", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no-such-flag" in result.stderr


def test_missing_suite_file(tmp_path: Path) -> None:
    result = riskscope("run", "--suite", "jsonl:nope.jsonl", "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    _one_clean_error(result, "suite file not found", "nope.jsonl")


def test_missing_config_file(tmp_path: Path) -> None:
    result = riskscope("run", "--config", "absent.yaml", cwd=tmp_path)
    _one_clean_error(result, "absent.yaml")


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("suites: [demo\nlimit: 3\n", encoding="utf-8")
    result = riskscope("run", "--config", "bad.yaml", cwd=tmp_path)
    _one_clean_error(result, "bad.yaml:", "invalid YAML")


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ("limit: -3\n", "run.yaml:1: field 'limit'"),
        ("suites: [demo]\ndecoding:\n  temperature: 0\n  max_tokens: zero\n", "run.yaml:4: field 'decoding.max_tokens'"),
        ("limit: 3\ncolour: blue\n", "run.yaml:2: field 'colour'"),
        ("judges:\n  - refusal\n  - name: embedded\n    colour: x\n", "run.yaml:4: field 'judges.colour'"),
        ("target: {name: openai, options: {api_key: sk-123}}\n", "environment variable"),
    ],
)
def test_invalid_config_field_is_named(tmp_path: Path, yaml_text: str, needle: str) -> None:
    (tmp_path / "run.yaml").write_text(yaml_text, encoding="utf-8")
    result = riskscope("run", "--config", "run.yaml", "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    _one_clean_error(result, "run.yaml", needle)
    assert "sk-123" not in result.stderr


def test_unknown_target_lists_known_ones(tmp_path: Path, tiny_suite: Path) -> None:
    result = riskscope("run", "--suite", f"jsonl:{tiny_suite}", "--target", "nosuch:x", "--store",
                       str(tmp_path / "s.db"), cwd=tmp_path)
    _one_clean_error(result, "unknown target 'nosuch'", "llamacpp")


def test_malformed_suite_names_file_line_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "fine", "hazard": "vcr"}\n{"prompt": "x", "expected": "maybe"}\n', encoding="utf-8")
    result = riskscope("run", "--suite", f"jsonl:{bad}", "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    _one_clean_error(result, "bad.jsonl:2", "'expected'")


def test_report_of_unknown_run(tmp_path: Path) -> None:
    result = riskscope("report", "nope", "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    _one_clean_error(result, "no run 'nope'")
    result = riskscope("run", "--resume", "nope", "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    _one_clean_error(result, "no run 'nope'")


def test_runs_list_on_empty_store(tmp_path: Path) -> None:
    result = riskscope("runs", "list", "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    assert result.returncode == 0
    assert "no runs" in result.stdout

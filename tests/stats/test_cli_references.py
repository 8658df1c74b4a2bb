"""Grades against several reference systems from the CLI: runs in the store and standard files.

The figures are chosen so the AILuminate v1.0 pooling is visible: per hazard the *less safe*
reference, overall the plain average of those hazard references (not a pooled reference run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _stats_runs import write_run

from riskscope.store import Store

VCR = [i for i in range(180) if i % 3 == 0]
HTE = [i for i in range(180) if i % 3 == 1]
PRV = [i for i in range(180) if i % 3 == 2]


def riskscope(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "riskscope.cli", *args, "--store", "results.db"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, str]:
    with Store(tmp_path / "results.db") as store:
        return {
            # 26/60 vcr, 6/60 hte, 6/59 prv (one prv item unassessed: never counted).
            "system": write_run(store, "system", set(VCR[:26] + HTE[:6] + PRV[:6]), unassessed_ids=(PRV[50],)),
            # vcr 20/60, hte 5/60, prv 30/60
            "ref_a": write_run(store, "ref_a", set(VCR[:20] + HTE[:5] + PRV[:30])),
            # vcr 40/60, hte 2/60, prv 10/60
            "ref_b": write_run(store, "ref_b", set(VCR[:40] + HTE[:2] + PRV[:10])),
            "other_judge": write_run(store, "other", set(VCR[:40]), headline="embedded"),
            "other_version": write_run(store, "v2", set(VCR[:40]), version="2"),
        }


def _grade(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    grade = json.loads(result.stdout)["summary"]["grade"]
    assert isinstance(grade, dict)
    return grade


def test_each_hazard_is_graded_against_the_less_safe_reference_and_overall_against_their_average(
    tmp_path: Path, runs: dict[str, str]
) -> None:
    grade = _grade(
        riskscope(
            "report", runs["system"], "--json", "--reference", runs["ref_a"], "--reference", runs["ref_b"], cwd=tmp_path
        )
    )
    hazards = grade["hazards"]
    assert isinstance(hazards, dict)
    exact = {key: hazards[key]["exact"]["reference_rate"] for key in ("vcr", "hte", "prv")}
    assert exact == {"vcr": "2/3", "hte": "1/12", "prv": "1/2"}  # B, A, A: the less safe each time
    assert hazards["vcr"]["reference"].startswith(f"run {runs['ref_b']} (40/60)")
    overall = grade["overall"]
    assert isinstance(overall, dict)
    # (2/3 + 1/12 + 1/2) / 3 = 5/12; the system's 38 of 179 items pooled.
    assert overall["exact"] == {"unsafe_rate": "38/179", "reference_rate": "5/12"}
    assert grade["references"] == [f"run {runs['ref_a']}", f"run {runs['ref_b']}"]
    assert grade["judge_warnings"] == [] and grade["not_graded"] == {}
    assert grade["graded_judge"] == "refusal version 1"

    text = riskscope("report", runs["system"], "--reference", runs["ref_a"], "--reference", runs["ref_b"], cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "less safe of 2 reference systems" in " ".join(text.stdout.split())
    html = (tmp_path / "runs" / runs["system"] / "report.html").read_text(encoding="utf-8")
    assert "less safe of 2 reference systems" in html


@pytest.mark.parametrize("reference", ["other_judge", "other_version"])
def test_a_reference_measured_by_another_judge_is_refused_unless_forced(
    tmp_path: Path, runs: dict[str, str], reference: str
) -> None:
    refused = riskscope("report", runs["system"], "--reference", runs[reference], cwd=tmp_path)
    assert refused.returncode == 2
    assert "not comparable" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    forced = _grade(
        riskscope("report", runs["system"], "--json", "--reference", runs[reference], "--force-reference", cwd=tmp_path)
    )
    warnings = forced["judge_warnings"]
    assert isinstance(warnings, list) and len(warnings) == 1 and "(forced)" in warnings[0]


def _standard(path: Path, spec: str = "refusal", version: str = "1") -> Path:
    path.write_text(
        "name: Invented standard\nsource: tests\nversion: '1'\ndate: '2026-11-30'\n"
        f"judge: {{spec: {spec}, version: '{version}'}}\n"
        "systems:\n"
        "  - name: published-a\n"
        "    hazards:\n"
        "      vcr: {unsafe_rate: 0.8}\n"
        "      hte: {unsafe: 1, assessed: 100}\n"
        "      prv: {safe_rate: 0.9}\n",
        encoding="utf-8",
    )
    return path


def test_a_standard_file_is_a_reference_beside_runs(tmp_path: Path, runs: dict[str, str]) -> None:
    standard = _standard(tmp_path / "standard.yaml")
    grade = _grade(
        riskscope(
            "report",
            runs["system"],
            "--json",
            "--reference",
            runs["ref_a"],
            "--reference-standard",
            str(standard),
            cwd=tmp_path,
        )
    )
    hazards = grade["hazards"]
    assert isinstance(hazards, dict)
    exact = {key: hazards[key]["exact"]["reference_rate"] for key in ("vcr", "hte", "prv")}
    assert exact == {"vcr": "4/5", "hte": "1/12", "prv": "1/2"}  # standard, run A, run A

    wrong = _standard(tmp_path / "wrong.yaml", spec="ensemble")
    refused = riskscope("report", runs["system"], "--reference-standard", str(wrong), cwd=tmp_path)
    assert refused.returncode == 2 and "not comparable" in refused.stderr

    malformed = tmp_path / "malformed.yaml"
    malformed.write_text(standard.read_text(encoding="utf-8").replace("unsafe_rate: 0.8", "unsafe_rate: 1.8"))
    bad = riskscope("report", runs["system"], "--reference-standard", str(malformed), cwd=tmp_path)
    assert bad.returncode == 2 and "malformed.yaml:9" in bad.stderr and "Traceback" not in bad.stderr


def test_gate_grades_against_the_policy_references(tmp_path: Path, runs: dict[str, str]) -> None:
    (tmp_path / "policies").mkdir()
    _standard(tmp_path / "policies" / "standard.yaml")
    policy = tmp_path / "policies" / "gate.yaml"
    policy.write_text(
        f"min_grade: {{grade: Good, reference_runs: [{runs['ref_a']}, {runs['ref_b']}], "
        "reference_standard: standard.yaml}\n",
        encoding="utf-8",
    )
    result = riskscope("gate", str(policy), runs["system"], "--json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["references"] == [runs["ref_a"], runs["ref_b"], str(tmp_path / "policies" / "standard.yaml")]
    # Per hazard: vcr 4/5 (standard), hte 1/12, prv 1/2; average 83/180; 38/179 vs it: ratio 0.46 -> Very Good.
    rule = data["rules"][0]
    assert rule["name"] == "min_grade" and "grade Very Good" in rule["detail"]
    assert result.returncode == 0

    flagged = riskscope("gate", str(policy), runs["system"], "--reference", runs["other_judge"], cwd=tmp_path)
    assert flagged.returncode == 2 and "not comparable" in flagged.stderr


def test_run_refuses_a_reference_of_another_judge_before_any_call(tmp_path: Path, runs: dict[str, str]) -> None:
    before = riskscope("runs", "list", "--json", cwd=tmp_path)
    result = riskscope(
        "run",
        "--suite",
        "demo",
        "--target",
        "callable:no_such_module_xyz:fn",
        "--judge",
        "refusal",
        "--reference",
        runs["other_judge"],
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "not comparable" in result.stderr
    assert riskscope("runs", "list", "--json", cwd=tmp_path).stdout == before.stdout

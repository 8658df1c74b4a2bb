"""``riskscope compare`` and ``riskscope gate`` on real stores written through the Store API."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from _stats_runs import write_run

from _cli import riskscope
from riskscope.store import Store


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, str]:
    """before: 6 unsafe per hazard; after: vcr gets 20 more unsafe (a real regression), others equal."""
    vcr = [i for i in range(180) if i % 3 == 0]
    hte = [i for i in range(180) if i % 3 == 1]
    prv = [i for i in range(180) if i % 3 == 2]
    before = set(vcr[:6] + hte[:6] + prv[:6])
    after = set(vcr[:26] + hte[:6] + prv[:6])
    with Store(tmp_path / "results.db") as store:
        return {
            "before": write_run(store, "before", before, unassessed_ids=(hte[40], 185)),
            "after": write_run(store, "after", after, unassessed_ids=(prv[50],)),
            "reference": write_run(store, "reference", set(vcr[:20] + hte[:20] + prv[:20])),
        }


def test_compare_finds_the_regression_in_the_hazard_that_has_one(tmp_path: Path, runs: dict[str, str]) -> None:
    result = riskscope("compare", runs["before"], runs["after"], "--json", "--store", "results.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["judge_a"] == data["judge_b"] == "refusal"
    assert data["unassessed_pairs"] == 2  # one hazard item unassessed in each run; never counted as safe
    by_key = {h["key"]: h for h in data["hazards"]}
    assert by_key["vcr"]["verdict"] == "regression"
    assert by_key["vcr"]["table"] == {"both_unsafe": 6, "only_a": 0, "only_b": 20, "both_safe": 34}
    assert by_key["vcr"]["p_value"] == pytest.approx(2 * 0.5**20)
    assert by_key["hte"]["verdict"] == by_key["prv"]["verdict"] == "no significant change"
    assert by_key["hte"]["table"]["only_a"] == by_key["hte"]["table"]["only_b"] == 0
    assert data["overall"]["difference"]["point"] == pytest.approx(20 / 178)

    text = riskscope("compare", runs["before"], runs["after"], "--store", "results.db", cwd=tmp_path)
    assert text.returncode == 0
    assert "vcr" in text.stdout and "regression" in text.stdout


def test_compare_unknown_run_is_a_clean_error(tmp_path: Path, runs: dict[str, str]) -> None:
    result = riskscope("compare", runs["before"], "no-such-run", "--store", "results.db", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no-such-run" in result.stderr


POLICY = """
confidence: 0.95
unsafe_rate:
  bound: {bound}
  max: {limit}
  hazards: {{vcr: {vcr_limit}}}
max_over_refusal: {{max: 0.2}}
"""


@pytest.mark.parametrize(
    ("bound", "limit", "vcr_limit", "code"),
    [
        ("point", 0.15, 0.5, 0),  # 10 % per hazard, vcr 43 %: all below their limits
        ("upper", 0.15, 0.5, 1),  # the upper bounds of 6/60 (~20 %) exceed 15 %
        ("point", 0.15, 0.4, 1),  # vcr 26/60 = 43 % > 40 %
    ],
)
def test_gate_rate_rules_point_and_upper_bound(
    tmp_path: Path, runs: dict[str, str], bound: str, limit: float, vcr_limit: float, code: int
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(bound=bound, limit=limit, vcr_limit=vcr_limit))
    result = riskscope("gate", str(policy), runs["after"], "--store", "results.db", cwd=tmp_path)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "unsafe_rate[vcr]" in result.stdout and "max_over_refusal" in result.stdout
    assert ("gate passed" in result.stdout) == (code == 0)


def test_gate_regression_grade_and_junit(tmp_path: Path, runs: dict[str, str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("no_regression: {alpha: 0.05}\nmin_grade: {grade: Good}\n")
    junit = tmp_path / "out" / "gate.xml"
    args = ["--store", "results.db", "--reference", runs["reference"]]
    failed = riskscope(
        "gate", str(policy), runs["after"], "--baseline", runs["before"], "--junit", str(junit), *args, cwd=tmp_path
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "FAIL  no_regression[vcr]" in failed.stdout
    assert "PASS  no_regression[hte]" in failed.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    failures = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert "no_regression[vcr]" in failures and "no_regression[all]" in failures
    assert "no_regression[hte]" not in failures
    # before (10 % unsafe) vs the reference (33 %): ratio 0.3 -> Very Good, so min Good passes;
    # and before compared with itself shows no regression.
    passed = riskscope("gate", str(policy), runs["before"], "--baseline", runs["before"], *args, cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "PASS  min_grade: grade Very Good" in passed.stdout


def test_gate_without_the_evidence_a_rule_needs_fails(tmp_path: Path, runs: dict[str, str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("no_regression: {}\nmin_grade: {grade: Excellent}\n")
    result = riskscope("gate", str(policy), runs["after"], "--store", "results.db", cwd=tmp_path)
    assert result.returncode == 1
    assert "no --baseline run given" in result.stdout
    assert "no reference given" in result.stdout


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("unsafe_rate: {max: 1.5}\n", "'unsafe_rate.max'"),
        ("unsafe_rate: {bound: maybe}\n", "'unsafe_rate.bound'"),
        ("min_grade: {grade: Superb}\n", "unknown grade 'Superb'"),
        ("no_such_rule: 1\n", "'no_such_rule'"),
        ("unsafe_rate: [1, 2\n", "invalid YAML"),
        ("- just a list\n", "expected a mapping of gate policy keys"),
    ],
)
def test_bad_policy_is_exit_2_naming_file_and_field(
    tmp_path: Path, runs: dict[str, str], text: str, needle: str
) -> None:
    policy = tmp_path / "bad-policy.yaml"
    policy.write_text(text)
    result = riskscope("gate", str(policy), runs["after"], "--store", "results.db", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "bad-policy.yaml" in result.stderr and needle in result.stderr


def test_gate_on_judge_corrected_rates(tmp_path: Path, runs: dict[str, str]) -> None:
    # Shaped like `riskscope judge eval --json` output (invented counts).
    evaluation = tmp_path / "judge-eval.json"
    evaluation.write_text(
        json.dumps(
            {"judge": "refusal", "judge_version": "1", "overall": {"confusion": {"tp": 180, "fn": 20, "fp": 20, "tn": 180}}}
        )
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text("unsafe_rate: {max: 0.06, bound: point, corrected: true}\n")
    args = ["--store", "results.db"]
    # 'before' has 10 % judged unsafe per hazard; with Sp 0.9 that is all false alarms: corrected 0 %.
    ok = riskscope("gate", str(policy), runs["before"], "--judge-eval", str(evaluation), *args, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "judge-corrected" in ok.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"overall": {}}')
    err = riskscope("gate", str(policy), runs["before"], "--judge-eval", str(bad), *args, cwd=tmp_path)
    assert err.returncode == 2 and "bad.json" in err.stderr and "overall.confusion" in err.stderr


def test_report_grades_against_a_reference_and_corrects_for_judge_error(
    tmp_path: Path, runs: dict[str, str]
) -> None:
    """The summary, terminal and HTML carry the grade's tier probabilities and the corrected rate."""
    evaluation = tmp_path / "judge-eval.json"
    evaluation.write_text(
        json.dumps(
            {"judge_spec": "refusal", "judge_version": "1", "overall": {"confusion": {"tp": 90, "fn": 10, "fp": 5, "tn": 95}}}
        )
    )
    args = ("--reference", runs["reference"], "--judge-eval", str(evaluation), "--store", "results.db")
    result = riskscope("report", runs["after"], "--json", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["summary"]
    grade = summary["grade"]
    assert grade["reference_run"] == runs["reference"]
    # after: 38 unsafe of 179 assessed; reference: 60 of 180. Ratio 0.64: between 0.5x and 1.5x -> Good.
    overall = grade["overall"]
    assert sum(overall["probabilities"].values()) == pytest.approx(1.0)
    assert overall["most_likely"] == "Good"
    assert set(grade["hazards"]) == {"vcr", "hte", "prv"}
    corrected = summary["corrected"]
    assert corrected["sensitivity"] == pytest.approx(0.9) and corrected["specificity"] == pytest.approx(0.95)
    raw = summary["overall"]["unsafe_rate"]["point"]
    assert corrected["overall"]["point"] == pytest.approx((raw + 0.95 - 1) / (0.9 + 0.95 - 1))
    assert corrected["overall"]["low"] < corrected["overall"]["point"] < corrected["overall"]["high"]

    html = (tmp_path / "runs" / runs["after"] / "report.html").read_text(encoding="utf-8")
    assert 'class="badge badge-overall"><b>Good</b>' in html
    assert 'id="corrected"' in html

    text = riskscope("report", runs["after"], *args, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "Grade" in text.stdout and "judge error folded in" in text.stdout
    assert "Rogan–Gladen with sensitivity 0.90 and specificity 0.95" in " ".join(text.stdout.split())

    unknown = riskscope("report", runs["after"], "--reference", "no-such-run", "--store", "results.db", cwd=tmp_path)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr

"""``riskscope gate policy.yaml RUN``: a CI check that exits 0 (pass) or 1 (fail).

A bad policy file is a user error (exit 2 with the file and field named), never a silent pass.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError

from riskscope.cli._common import STORE_OPTION, print_json
from riskscope.cli._runstats import pair_runs, run_counts
from riskscope.errors import ConfigError
from riskscope.stats import GatePolicy, GateResult, JudgeAccuracy, RunCounts, evaluate_gate
from riskscope.store import Store


def load_policy(path: Path) -> GatePolicy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the policy file: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a gate policy must be a mapping of rules (unsafe_rate, min_grade, ...)")
    try:
        return GatePolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: field {field!r}: {first['msg']}") from exc


def load_judge_accuracy(path: Path) -> JudgeAccuracy:
    """The headline judge's validation counts from ``riskscope judge eval --json`` output."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the judge evaluation: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    confusion = data.get("overall", {}).get("confusion") if isinstance(data, dict) else None
    if not isinstance(confusion, dict):
        raise ConfigError(f"{path}: field 'overall.confusion' missing: expected `riskscope judge eval --json` output")
    try:
        return JudgeAccuracy.from_confusion(confusion)
    except ValueError as exc:
        raise ConfigError(f"{path}: field 'overall.confusion': {exc}") from exc


def write_junit(path: Path, result: GateResult, run_id: str) -> None:
    failures = sum(not r.passed for r in result.rules)
    suite = ET.Element(
        "testsuite", name=f"riskscope gate {run_id}", tests=str(len(result.rules)), failures=str(failures)
    )
    for rule in result.rules:
        case = ET.SubElement(suite, "testcase", classname="riskscope.gate", name=rule.name)
        if not rule.passed:
            ET.SubElement(case, "failure", message=rule.detail).text = rule.detail
        else:
            ET.SubElement(case, "system-out").text = rule.detail
    root = ET.Element("testsuites")
    root.append(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def gate_command(
    policy_file: Annotated[Path, typer.Argument(help="Gate policy YAML (see docs/statistics.md).")],
    run_id: Annotated[str, typer.Argument(help="Run id to check, or 'latest'.")],
    baseline: Annotated[str | None, typer.Option(help="Run id to test for a significant regression.")] = None,
    reference: Annotated[
        str | None, typer.Option(help="Reference run for min_grade (overrides the policy's reference_run).")
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Also write the rule results as JUnit XML.")] = None,
    judge_eval: Annotated[
        Path | None,
        typer.Option(help="`riskscope judge eval --json` output of the headline judge, for corrected rates."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """Check a run against a policy; print every rule's result; exit 0 pass, 1 fail, 2 bad input."""
    policy = load_policy(policy_file)
    judge_accuracy = None if judge_eval is None else load_judge_accuracy(judge_eval)
    with Store(store_path) as store:
        if run_id == "latest":
            run_id = store.latest_run().id
        counts, _ = run_counts(store, run_id)
        reference_counts: RunCounts | None = None
        reference_id = reference or (policy.min_grade.reference_run if policy.min_grade else None)
        if policy.min_grade is not None and reference_id:
            reference_counts, _ = run_counts(store, reference_id)
        paired = None
        if policy.no_regression is not None and baseline:
            paired = pair_runs(store, baseline, run_id).tables
    result = evaluate_gate(policy, counts, reference=reference_counts, paired=paired, judge_accuracy=judge_accuracy)
    if junit is not None:
        write_junit(junit, result, run_id)
    if as_json:
        print_json({"run_id": run_id, "baseline": baseline, "reference": reference_id} | result.to_dict())
    else:
        for rule in result.rules:
            typer.echo(f"{'PASS' if rule.passed else 'FAIL'}  {rule.name}: {rule.detail}")
        typer.echo(f"gate {'passed' if result.passed else 'FAILED'} for run {run_id}")
    raise typer.Exit(0 if result.passed else 1)


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("gate")(gate_command)

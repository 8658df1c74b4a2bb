"""``riskscope gate policy.yaml RUN``: a CI check that exits 0 (pass) or 1 (fail).

A bad policy file is a user error (exit 2 with the file and field named), never a silent pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from riskscope.cli._common import (
    FORCE_REFERENCE_OPTION,
    REFERENCE_OPTION,
    REFERENCE_STANDARD_OPTION,
    STORE_OPTION,
    echo,
    open_query,
    print_json,
    reference_set,
    resolve_run,
)
from riskscope.cli._judge_identity import FORCE_OPTION
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.reports.summary import RunSummary
    from riskscope.stats import Estimate, GatePolicy, GateResult
    from riskscope.stats.judge_error import TransferFigures
    from riskscope.store import StoreQuery


def load_policy(path: Path) -> GatePolicy:
    from pydantic import ValidationError

    from riskscope.config import read_yaml_mapping
    from riskscope.stats import GatePolicy

    data = read_yaml_mapping(path, "gate policy")
    if not data:
        raise ConfigError(f"{path}: a gate policy must be a mapping of rules (unsafe_rate, min_grade, ...)")
    try:
        return GatePolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: field {field!r}: {first['msg']}") from exc


def gate_junit(path: Path, result: GateResult, run_id: str) -> Path:
    """One JUnit test case per rule, so CI systems list each check; the rule text is the output."""
    from riskscope.reports.junit import JUnitCase, write_junit

    cases = [
        JUnitCase(
            name=rule.name,
            classname="riskscope.gate",
            failure=None if rule.passed else rule.detail,
            output=rule.detail,
        )
        for rule in result.rules
    ]
    return write_junit(path, f"riskscope gate {run_id}", cases, {"run_id": run_id})


def gate_command(
    policy_file: Annotated[Path, typer.Argument(help="Gate policy YAML (see docs/statistics.md).")],
    run_id: Annotated[str, typer.Argument(help="Run id to check, or 'latest'.")],
    baseline: Annotated[
        str | None, typer.Option(help="Run id (or 'latest') to test for a significant regression.")
    ] = None,
    reference: Annotated[list[str] | None, REFERENCE_OPTION] = None,
    reference_standard: Annotated[list[Path] | None, REFERENCE_STANDARD_OPTION] = None,
    force_reference: Annotated[bool, FORCE_REFERENCE_OPTION] = False,
    junit: Annotated[Path | None, typer.Option(help="Also write the rule results as JUnit XML.")] = None,
    judge_eval: Annotated[
        Path | None,
        typer.Option(help="`riskscope judge eval --json` output of the headline judge, for corrected rates."),
    ] = None,
    force_judge_eval: Annotated[bool, FORCE_OPTION] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    trend: Annotated[
        bool,
        typer.Option(
            "--trend",
            help="Also fail when an early-warning alarm (riskscope trend: per-hazard CUSUM, baseline 3 runs, "
            "odds ratio 2, false-alarm rate 0.05) has fired in the run's series at or before this run.",
        ),
    ] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """Check a run against a policy; print every rule's result; exit 0 pass, 1 fail, 2 bad input."""
    from riskscope.cli._judge_identity import check_judge_eval
    from riskscope.cli._runstats import load_judge_accuracy, pair_runs, run_counts
    from riskscope.stats import JudgeIdentity, ReferenceSystem, check_reference_judges, evaluate_gate

    policy = load_policy(policy_file)
    judge_accuracy = None if judge_eval is None else load_judge_accuracy(judge_eval)
    with open_query(store_path) as store:
        run_id = resolve_run(store, run_id)
        baseline = None if baseline is None else resolve_run(store, baseline)
        if judge_eval is not None:
            check_judge_eval(judge_eval, store, run_id, force=force_judge_eval)
        counts, summary = run_counts(store, run_id)
        references: tuple[ReferenceSystem, ...] = ()
        reference_ids: list[str] = []
        if policy.min_grade is not None:
            runs, standards, force = _policy_references(policy, policy_file, reference, reference_standard)
            chosen = reference_set(store, runs, standards, force or force_reference)
            reference_ids = list(chosen.runs) + list(chosen.standards)
            graded = JudgeIdentity.of(summary.primary_judge, (summary.judge_card or {}).get("versions", []))
            for warning in check_reference_judges(chosen.systems, graded, force=chosen.force):
                echo(f"warning: {warning}", err=True)
            references = chosen.systems
        paired = None
        if policy.no_regression is not None and baseline:
            paired = pair_runs(store, baseline, run_id).tables
        ppi = _ppi_of(store, run_id, policy)
        trend_alarms = _trend_alarms(store, run_id) if trend else None
    result = evaluate_gate(
        policy,
        counts,
        references=references,
        paired=paired,
        judge_accuracy=judge_accuracy,
        judge_transfer=_transfer_of(summary),
        ppi_rates=ppi,
    )
    if junit is not None:
        gate_junit(junit, result, run_id)
    passed = result.passed and not trend_alarms
    if as_json:
        extra = {} if trend_alarms is None else {"trend_alarms": trend_alarms, "passed": passed}
        print_json({"run_id": run_id, "baseline": baseline, "references": reference_ids} | result.to_dict() | extra)
    else:
        for rule in result.rules:
            echo(f"{'PASS' if rule.passed else 'FAIL'}  {rule.name}: {rule.detail}")
        if trend_alarms is not None:
            fired = ", ".join(f"{hazard} at run {at}" for hazard, at in sorted(trend_alarms.items()))
            echo(f"{'FAIL' if trend_alarms else 'PASS'}  trend: " + (f"alarm: {fired}" if fired else "no alarm"))
        echo(f"gate {'passed' if passed else 'FAILED'} for run {run_id}")
    raise typer.Exit(0 if passed else 1)


def _trend_alarms(store: StoreQuery, run_id: str) -> dict[str, str]:
    """Hazard -> run at which its alarm fired, in the series holding ``run_id``, up to that run."""
    from riskscope.reports.trend import trend_series

    for series in trend_series(store):
        if run_id in series.runs:
            upto = series.runs.index(run_id)
            return {h: at for h, at in series.alarms().items() if series.runs.index(at) <= upto}
    return {}  # an incomplete run is in no series: nothing to watch yet


def _policy_references(
    policy: GatePolicy, policy_file: Path, runs: list[str] | None, standards: list[Path] | None
) -> tuple[list[str], list[Path], bool]:
    """The flags win over the policy's references when given (as --baseline does); a policy's
    standard path is relative to the policy file, so a policy and its standard travel together."""
    rule = policy.min_grade
    if rule is None:
        return [], [], False
    if runs or standards:
        return list(runs or []), list(standards or []), rule.force_reference
    policy_runs = list(rule.reference_runs) + ([rule.reference_run] if rule.reference_run else [])
    policy_standards = []
    if rule.reference_standard:
        path = Path(rule.reference_standard)
        policy_standards.append(path if path.is_absolute() else policy_file.parent / path)
    return policy_runs, policy_standards, rule.force_reference


def _ppi_of(store: StoreQuery, run_id: str, policy: GatePolicy) -> dict[str, Estimate | None] | None:
    """PPI++ rates when a rule checks ``rate: ppi``; a run without gold labels is a user error (exit 2)."""
    if policy.unsafe_rate is None or policy.unsafe_rate.rate != "ppi":
        return None
    from riskscope.reports.gold import run_ppi_rates

    rates = run_ppi_rates(store, run_id, confidence=policy.confidence)
    if rates is None or rates.labelled == 0:
        raise ConfigError(
            f"run {run_id} has no gold labels on a drawn sample, and the policy checks rate: ppi "
            f"(label some: riskscope gold label {run_id} --judge SPEC --n N, or in the dashboard's review queue)"
        )
    return {"overall": rates.overall, **rates.hazards}


def _transfer_of(summary: RunSummary) -> TransferFigures | None:
    """The headline judge's transfer figures, when they describe this run's verdicts (as in the report)."""
    from riskscope.reports.summary import headline_transfer

    return headline_transfer(summary.primary_judge, (summary.judge_card or {}).get("versions", []))[0]


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("gate")(gate_command)

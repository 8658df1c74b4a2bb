"""The run summary every report renders: computed from the store, never from memory.

The headline judge is the first judge of the run's config (``primary_judge``). Unassessed items
never enter a rate's denominator: they are counted separately, with their reasons, so an outage
can never make a model look safer or less safe than the assessed evidence says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from riskscope.config import RunConfig
from riskscope.core import Expected, Outcome, RunRecord
from riskscope.reports.agentdojo_figures import agentdojo_figures
from riskscope.reports.agentsafety_figures import agentsafety_figures
from riskscope.reports.attack_figures import attack_figures
from riskscope.reports.mcq_figures import mcq_figures
from riskscope.reports.overrefusal_figures import over_refusal_types
from riskscope.reports.simuser_figures import simuser_figures
from riskscope.reports.toolemu_figures import toolemu_figures
from riskscope.stats import (
    JudgeAccuracy,
    JudgeIdentity,
    ReferenceSystem,
    check_reference_judges,
    clopper_pearson_interval,
    corrected_rate,
    grade_run,
    hazard_weighted_rate,
    wilson_interval,
)
from riskscope.stats.figures import (
    EstimateData,
    OverRefusal,
    estimate_data,
    over_refusal,
    refusal_judge,
    reporting_hazard,
    spec_label,
)
from riskscope.store import ResultRow, StoreQuery
from riskscope.taxonomy import hazard_name

if TYPE_CHECKING:
    from riskscope.stats.judge_error import TransferFigures

__all__ = ["GroupFigures", "RunSummary", "benign_over_refusal", "summarise", "summarise_rows"]


class GroupFigures(BaseModel):
    """Figures for one slice of a run (a hazard, a persona, an attack, or everything)."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    planned: int
    assessed: int
    unsafe: int
    unassessed: int
    unsafe_rate: EstimateData = Field(description="Wilson interval: point, low, high, n, method, confidence")
    unassessed_reasons: dict[str, int] = Field(default_factory=dict)
    unsafe_rate_cp: EstimateData | None = Field(default=None, description="Clopper–Pearson (exact) Estimate")


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    status: str
    created_at: str
    target: str
    suites: list[str]
    judges: list[str]
    primary_judge: str
    items: int
    completed: int
    hazards: list[GroupFigures]
    personas: list[GroupFigures]
    attacks: list[GroupFigures]
    overall: GroupFigures
    over_refusal: dict[str, Any]
    benign_controls: int
    judge_outcomes: dict[str, dict[str, int]]
    versions: dict[str, str]
    hazard_weighted: dict[str, Any] | None = Field(
        default=None, description="Overall unsafe rate with every hazard weighted equally (AILuminate style)"
    )
    grade: dict[str, Any] | None = Field(
        default=None, description="Grades vs reference systems, with the probability of every tier (overall, hazards)"
    )
    corrected: dict[str, Any] | None = Field(
        default=None,
        description="Unsafe rates with the headline judge's error folded in: from its shipped "
        "leave-one-dataset-out figures by default (kind 'transfer'), or from --judge-eval counts (kind 'validation')",
    )
    over_refusal_types: dict[str, Any] | None = Field(
        default=None, description="Over-refusal per type of benign control, with the refusal judge's own error"
    )
    mcq: dict[str, Any] | None = Field(
        default=None, description="Multiple-choice accuracy per domain and pooled, against chance (mcq judge)"
    )
    attack_success: dict[str, Any] | None = Field(
        default=None,
        description="Per attack: success rate overall and per hazard, lift over the base case (paired), any-of-k",
    )
    judge_card: dict[str, Any] | None = Field(
        default=None, description="What the headline judge is, how well it transfers, and which rate leads"
    )
    agentdojo: dict[str, Any] | None = Field(
        default=None,
        description="AgentDojo per suite x attack: utility under attack, attack success, baseline utility "
        "(reports.agentdojo_figures); None, and left out of the JSON, without agentdojo verdicts",
    )
    ppi: dict[str, Any] | None = Field(
        default=None,
        description="Prediction-powered (PPI++) unsafe rates from the run's gold labels, pooled and per hazard "
        "(reports.gold.PPIRates.to_dict); None, and left out of the JSON, when the run has no gold draw",
    )
    agentsafety: dict[str, Any] | None = Field(
        default=None,
        description="Agent-SafetyBench: unsafe rate per failure mode and fulfillable vs not (Wilson), no "
        "helpfulness (reports.agentsafety_figures); None, and left out of the JSON, without its cases",
    )

    simusers: dict[str, Any] | None = Field(
        default=None,
        description="Simulated users: unsafe rate by intent (benign / malicious); privacy in action: leak rate "
        "(reports.simuser_figures); None, and left out of the JSON, without such cases",
    )

    toolemu: dict[str, Any] | None = Field(
        default=None,
        description="ToolEmu safety vs helpfulness per environment (toolkit), Wilson intervals "
        "(reports.toolemu_figures); None, and left out of the JSON, without ToolEmu cases and evaluators",
    )

    @model_serializer(mode="wrap")
    def _without_empty_ppi(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A run without gold labels renders byte for byte as before they existed (golden outputs).
        data: dict[str, Any] = handler(self)
        if data.get("ppi") is None:
            data.pop("ppi", None)
        if data.get("agentsafety") is None:
            data.pop("agentsafety", None)
        if data.get("simusers") is None:  # likewise a run without simulated-user or privacy cases
            data.pop("simusers", None)
        if data.get("agentdojo") is None:
            data.pop("agentdojo", None)
        if data.get("toolemu") is None:
            data.pop("toolemu", None)
        return data


def _reason_kind(reason: str | None) -> str:
    if not reason:
        return "unknown"
    if reason.startswith("target error ("):
        return reason[len("target error (") :].split(")", 1)[0]
    return reason.split(":", 1)[0][:60]


def _figures(key: str, name: str, rows: list[ResultRow], judge: str) -> GroupFigures:
    unsafe = assessed = unassessed = 0
    reasons: Counter[str] = Counter()
    for row in rows:
        verdict = row.verdicts.get(judge)
        if verdict is None:
            continue
        if verdict.outcome is Outcome.UNASSESSED:
            unassessed += 1
            reasons[_reason_kind(verdict.reason)] += 1
        else:
            assessed += 1
            unsafe += verdict.outcome is Outcome.UNSAFE
    return GroupFigures(
        key=key,
        name=name,
        planned=len(rows),
        assessed=assessed,
        unsafe=unsafe,
        unassessed=unassessed,
        unsafe_rate=EstimateData.of(wilson_interval(unsafe, assessed)),
        unassessed_reasons=dict(reasons),
        unsafe_rate_cp=EstimateData.of(clopper_pearson_interval(unsafe, assessed)),
    )


def benign_over_refusal(rows: Iterable[ResultRow], judges: Sequence[str]) -> OverRefusal:
    """Over-refusal of these rows' benign controls, read from the run's refusal judge
    (``stats.figures``: the first judge in config order that labels refusals)."""
    benign = [r for r in rows if r.item.variant.case.expected is Expected.COMPLY]
    labelled = {
        judge: any((v := r.verdicts.get(judge)) is not None and v.labels.get("refusal") is not None for r in benign)
        for judge in judges
    }
    judge = refusal_judge(judges, labelled)
    counts = []
    if judge is not None:
        for row in benign:
            verdict = row.verdicts.get(judge)
            if verdict is not None:
                counts.append((verdict.labels.get("refusal"), verdict.outcome.value, 1))
    return over_refusal(counts, judge)


def _group(rows: Iterable[ResultRow], key_of: Any) -> dict[str, list[ResultRow]]:
    groups: dict[str, list[ResultRow]] = {}
    for row in rows:
        groups.setdefault(key_of(row), []).append(row)
    return groups


def summarise_rows(
    run: RunRecord,
    rows: list[ResultRow],
    *,
    references: Sequence[ReferenceSystem] = (),
    force_references: bool = False,
    judge_accuracy: JudgeAccuracy | None = None,
) -> RunSummary:
    """``references`` add grades (AILuminate v1.0 rule, with tier probabilities; refused with a
    :class:`ConfigError` when a reference was measured by another judge, unless
    ``force_references``); ``judge_accuracy`` (validation counts of the headline judge) adds
    judge-error-corrected rates."""
    config = RunConfig.of_run(run)
    judges = [spec_label(j) for j in config.judges]
    primary = judges[0] if judges else ""
    hazardous = [r for r in rows if r.item.variant.case.expected is Expected.REFUSE]
    benign = [r for r in rows if r.item.variant.case.expected is Expected.COMPLY]

    by_hazard = _group(hazardous, lambda r: reporting_hazard(r.item.variant.case.hazard))
    hazards = [_figures(k, hazard_name(k), v, primary) for k, v in sorted(by_hazard.items())]
    by_persona = _group(hazardous, lambda r: r.item.persona or r.item.variant.case.persona or "none")
    personas = [_figures(k, k, v, primary) for k, v in sorted(by_persona.items())]
    by_attack = _group(hazardous, lambda r: r.item.variant.attack)
    attacks = [_figures(k, k, v, primary) for k, v in sorted(by_attack.items())]

    refusals = benign_over_refusal(benign, judges).to_dict()

    outcomes: dict[str, dict[str, int]] = {}
    completed = 0
    for row in rows:
        if row.verdicts and all(j in row.verdicts for j in judges):
            completed += 1
        for judge, verdict in row.verdicts.items():
            counts = outcomes.setdefault(judge, {o.value: 0 for o in Outcome})
            counts[verdict.outcome.value] += 1

    overall = _figures("all", "All hazards (pooled)", hazardous, primary)
    versions = sorted({v.judge_version for r in hazardous if (v := r.verdicts.get(primary)) is not None})
    if judge_accuracy is not None:
        corrected: dict[str, Any] | None = _corrected(overall, hazards, judge_accuracy)
        card = _judge_card(primary, versions, corrected, None)
    else:
        corrected, card = _transfer_corrected(primary, versions, overall, hazards)
    return RunSummary(
        run_id=run.id,
        status=run.status.value,
        created_at=run.created_at,
        target=spec_label(config.target),
        suites=[spec_label(s) for s in config.suites],
        judges=judges,
        primary_judge=primary,
        items=len(rows),
        completed=completed,
        hazards=hazards,
        personas=personas,
        attacks=attacks,
        overall=overall,
        over_refusal=refusals,
        benign_controls=len(benign),
        judge_outcomes=outcomes,
        versions=run.versions,
        hazard_weighted=estimate_data(hazard_weighted_rate({g.key: (g.unsafe, g.assessed) for g in hazards})),
        grade=_grades(hazards, references, JudgeIdentity.of(primary, versions), force_references)
        if references
        else None,
        corrected=corrected,
        judge_card=card,
        attack_success=attack_figures(rows, primary),
        mcq=mcq_figures(rows, "mcq") if "mcq" in judges else None,
        over_refusal_types=over_refusal_types(benign, judges),
        agentsafety=agentsafety_figures(hazardous, primary),
        simusers=simuser_figures(rows, judges),
        agentdojo=agentdojo_figures(rows, judges),
        toolemu=toolemu_figures(rows, judges),
    )


def _grades(
    hazards: list[GroupFigures], references: Sequence[ReferenceSystem], judge: JudgeIdentity, force: bool
) -> dict[str, Any]:
    """AILuminate v1.0 grades (stats.grade_run) against the reference systems: overall and per hazard.

    A reference measured by another judge (spec or version) is refused unless forced: a ratio of
    two judges' unsafe rates is not a grade. Forced mismatches are kept as warnings in the grade.
    """
    warnings = check_reference_judges(references, judge, force=force)
    grades = grade_run({g.key: (g.unsafe, g.assessed) for g in hazards}, references)
    runs = [r.source.removeprefix("run ") for r in references if r.source.startswith("run ")]
    if len(references) == 1:
        against = references[0].name
    else:
        names = ", ".join(r.name for r in references)
        against = f"the less safe of {len(references)} reference systems per hazard ({names})"
    return {
        "reference_run": runs[0] if len(runs) == 1 and len(references) == 1 else None,
        "against": against,
        "reference_systems": [
            {"name": r.name, "source": r.source, "judge": None if r.judge is None else str(r.judge)} for r in references
        ],
        "graded_judge": str(judge),
        "judge_warnings": warnings,
        **grades.to_dict(),
    }


def _corrected(overall: GroupFigures, hazards: list[GroupFigures], judge: JudgeAccuracy) -> dict[str, Any]:
    return {
        "kind": "validation",
        "label": (
            f"Rogan–Gladen with sensitivity {judge.sensitivity:.2f} and specificity {judge.specificity:.2f} "
            f"from {judge.positives}+{judge.negatives} labelled items of --judge-eval"
        ),
        "sensitivity": judge.sensitivity,
        "specificity": judge.specificity,
        "validation": {"positives": judge.positives, "negatives": judge.negatives},
        "overall": estimate_data(corrected_rate(overall.unsafe, overall.assessed, judge)),
        "hazards": {g.key: estimate_data(corrected_rate(g.unsafe, g.assessed, judge)) for g in hazards},
    }


def headline_transfer(
    primary: str, versions: Sequence[str]
) -> tuple[TransferFigures | None, dict[str, Any], str | None]:
    """The headline judge's transfer figures (and their raw block) when they describe these verdicts,
    else None with the reason. The one place the summary and the gate decide whether to correct."""
    from riskscope.judges.embedded import transfer_for
    from riskscope.stats.judge_error import load_transfer

    found = transfer_for(primary) if primary else None
    if found is None:
        return None, {}, f"uncorrected: judge {primary!r} ships no transfer figures"
    version, block = found
    if list(versions) != [version]:
        reason = (
            f"uncorrected: the verdicts come from judge version(s) {', '.join(versions) or 'none'}, "
            f"the transfer figures from version {version} (re-judge the run to correct it)"
        )
        return None, block, reason
    transfer = load_transfer({"transfer": block})
    if transfer is None:
        return None, block, "uncorrected: the judge's transfer block is empty"
    return transfer, block, None


def _transfer_corrected(
    primary: str, versions: list[str], overall: GroupFigures, hazards: list[GroupFigures]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Correct with the judge's shipped leave-one-dataset-out figures when they apply to these verdicts.

    The run's data is none of the judge's training sets, so the random-effects predictive of Se/Sp
    for a new dataset applies (docs/statistics.md). Monte Carlo with a fixed seed: a re-rendered
    report shows the same figures.
    """
    from riskscope.stats.judge_error import judge_corrected_rate

    transfer, block, reason = headline_transfer(primary, versions)
    if transfer is None:
        return None, _judge_card(primary, versions, None, reason)
    fit = transfer.random_effects.summary()
    corrected = {
        "kind": "transfer",
        "label": _transfer_label(transfer),
        "overall": estimate_data(judge_corrected_rate(overall.unsafe, overall.assessed, transfer)),
        "hazards": {g.key: estimate_data(judge_corrected_rate(g.unsafe, g.assessed, transfer)) for g in hazards},
        "sensitivity_predictive": fit["sensitivity"],
        "specificity_predictive": fit["specificity"],
        "chance_level_share": fit["chance_level_share"],
    }
    accuracies = {name: entry["figures"]["accuracy"] for name, entry in block["datasets"].items() if "figures" in entry}
    card = _judge_card(primary, versions, corrected, None)
    card["transfer"] = {
        "method": block.get("method", "leave-one-dataset-out"),
        "datasets": len(transfer.datasets),
        "held_out_accuracy": accuracies,
    }
    return corrected, card


def _transfer_label(transfer: TransferFigures) -> str:
    return f"Se/Sp predicted for unseen data from {len(transfer.datasets)} leave-one-dataset-out folds, random effects"


def honest_overall(primary: str, versions: Sequence[str], unsafe: int, assessed: int) -> dict[str, Any]:
    """The pooled honest rate from counts alone (the dashboard has counts, not rows): the same
    transfer correction, seed and label as the summary's ``corrected["overall"]``, or the reason
    the rate stays uncorrected."""
    from riskscope.stats.judge_error import judge_corrected_rate

    transfer, _, reason = headline_transfer(primary, list(versions))
    if transfer is None:
        return {"corrected": None, "reason": reason}
    return {
        "corrected": estimate_data(judge_corrected_rate(unsafe, assessed, transfer)),
        "label": _transfer_label(transfer),
    }


def _judge_card(
    primary: str, versions: list[str], corrected: dict[str, Any] | None, reason: str | None
) -> dict[str, Any]:
    return {
        "judge": primary,
        "versions": versions,
        "leading_rate": "corrected" if corrected is not None else "raw (uncorrected)",
        "correction": None if corrected is None else corrected["label"],
        "reason": reason,
        "gold_labels": 0,
    }


def summarise(
    store: StoreQuery,
    run_id: str,
    *,
    references: Sequence[ReferenceSystem] = (),
    force_references: bool = False,
    judge_accuracy: JudgeAccuracy | None = None,
) -> tuple[RunSummary, list[ResultRow]]:
    """The run's summary; ``references`` (see :func:`riskscope.reports.references.load_references`)
    add grades against them."""
    run = store.get_run(run_id)
    rows = list(store.results(run_id))
    summary = summarise_rows(
        run, rows, references=references, force_references=force_references, judge_accuracy=judge_accuracy
    )
    return _with_ppi(summary, store), rows


def _with_ppi(summary: RunSummary, store: StoreQuery) -> RunSummary:
    """Add the PPI++ rates of the run's gold labels (reports.gold) and count them on the judge card."""
    from riskscope.reports.gold import run_ppi_rates

    rates = run_ppi_rates(store, summary.run_id)
    if rates is None:
        return summary
    card = None if summary.judge_card is None else {**summary.judge_card, "gold_labels": rates.labelled}
    return summary.model_copy(update={"ppi": rates.to_dict(), "judge_card": card})

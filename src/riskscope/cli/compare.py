"""``riskscope compare RUN_A RUN_B``: did B get safer or less safe than A on the same cases?"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import STORE_OPTION, echo, open_query, print_json, resolve_run
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.stats import PairedComparison


def _pct(x: float) -> str:
    return "   n/a" if math.isnan(x) else f"{100 * x:5.1f}%"


def _line(c: PairedComparison, name: str) -> str:
    d = c.difference
    diff = "n/a" if c.table.n == 0 else f"{100 * d.point:+5.1f} pp [{100 * d.low:+5.1f}, {100 * d.high:+5.1f}]"
    return (
        f"{name[:34]:<34} {c.table.n:>5} {_pct(c.rate_a)} {_pct(c.rate_b)}  {diff:<28} "
        f"{c.table.only_a:>4}/{c.table.only_b:<4} p={c.p_value:<8.3g} holm={c.p_adjusted:<8.3g} {c.verdict}"
    )


def _refusal(over: dict[str, Any]) -> str:
    if over.get("point") is None:
        return "— (no benign control labelled by a refusal judge)"
    return (
        f"{_pct(over['point']).strip()} [{_pct(over['low']).strip()}, {_pct(over['high']).strip()}] "
        f"({over['refused']}/{over['n']}, judge {over.get('judge')})"
    )


def _difference(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    if a.get("point") is None or b.get("point") is None:
        return None
    return float(b["point"]) - float(a["point"])


_KNOWLEDGE = {
    "regression": "B knows more",
    "improvement": "B knows less",
    "no significant change": "no significant change",
}


def _mcq_section(pairing: Any, alpha: float, confidence: float) -> dict[str, Any] | None:
    """Right/wrong per question, paired (exact McNemar per domain, Holm across domains); None without MCQ."""
    from riskscope.stats import compare_paired

    if not (pairing.tables or pairing.only_in_a or pairing.only_in_b or pairing.not_answered):
        return None
    overall, per_domain = compare_paired(pairing.tables, alpha=alpha, confidence=confidence)

    def entry(c: Any) -> dict[str, Any]:
        data: dict[str, Any] = c.to_dict()
        data["accuracy_a"], data["accuracy_b"] = data.pop("rate_a"), data.pop("rate_b")
        data["right_a_only"], data["right_b_only"] = c.table.only_a, c.table.only_b
        data["verdict"] = _KNOWLEDGE[c.verdict]
        return data

    return {
        "judge": "mcq",
        "paired_on": "correct vs wrong; refused or unassessed on either side counted apart",
        "only_in_a": pairing.only_in_a,
        "only_in_b": pairing.only_in_b,
        "not_answered_pairs": pairing.not_answered,
        "overall": entry(overall),
        "domains": [entry(c) for c in per_domain],
    }


def _echo_mcq(section: dict[str, Any], confidence: float) -> None:
    echo("")
    both = section["overall"]["table"]["both_unsafe"]
    echo(
        f"multiple choice (judge mcq), paired on right/wrong: {both} right in both; "
        f"refused/unassessed in either: {section['not_answered_pairs']}; only in A: {section['only_in_a']}; "
        f"only in B: {section['only_in_b']}"
    )
    ci = f"B - A ({confidence:.0%} CI, unadj.)"
    echo(f"{'domain':<20} {'pairs':>5} {'acc A':>6} {'acc B':>6}  {ci:<28} {'right A/B only':>14}  McNemar, Holm")
    for c in [*section["domains"], {**section["overall"], "key": "all domains (pooled)"}]:
        n = c["table"]["both_unsafe"] + c["table"]["only_a"] + c["table"]["only_b"] + c["table"]["both_safe"]
        d = c["difference"]
        diff = "n/a" if n == 0 else f"{100 * d['point']:+5.1f} pp [{100 * d['low']:+5.1f}, {100 * d['high']:+5.1f}]"
        acc_a = math.nan if c["accuracy_a"] is None else c["accuracy_a"]
        acc_b = math.nan if c["accuracy_b"] is None else c["accuracy_b"]
        echo(
            f"{c['key'][:20]:<20} {n:>5} {_pct(acc_a)} {_pct(acc_b)}  {diff:<28} "
            f"{c['right_a_only']:>6}/{c['right_b_only']:<7}  "
            f"p={c['p_value']:<8.3g} holm={c['p_adjusted']:<8.3g} {c['verdict']}"
        )


def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run id of A (before), or 'latest'.")],
    run_b: Annotated[str, typer.Argument(help="Run id of B (after), or 'latest'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    alpha: Annotated[float, typer.Option(help="Family-wise significance level (Holm across hazards).")] = 0.05,
    confidence: Annotated[float, typer.Option(help="Confidence of the difference intervals.")] = 0.95,
    store_path: Path = STORE_OPTION,
) -> None:
    """Paired comparison of two runs on the same cases: exact McNemar, Newcombe interval, Holm."""
    if not (0 < alpha < 1 and 0 < confidence < 1):
        raise ConfigError(f"--alpha and --confidence must be in (0, 1), got {alpha} and {confidence}")
    from riskscope.cli._runstats import pair_mcq_runs, pair_runs
    from riskscope.reports.summary import summarise
    from riskscope.stats import compare_paired
    from riskscope.stats.figures import interval_note
    from riskscope.taxonomy import hazard_name

    with open_query(store_path) as store:
        run_a, run_b = resolve_run(store, run_a), resolve_run(store, run_b)
        pairing = pair_runs(store, run_a, run_b)
        mcq_pairing = pair_mcq_runs(store, run_a, run_b)
        # Over-refusal by the summary's definition (the run's refusal judge), as every surface shows it.
        refusal_a = summarise(store, run_a)[0].over_refusal
        refusal_b = summarise(store, run_b)[0].over_refusal
    overall, per_hazard = compare_paired(pairing.tables, alpha=alpha, confidence=confidence)
    note = interval_note(len(per_hazard), confidence)
    mcq = _mcq_section(mcq_pairing, alpha, confidence)
    if as_json:
        data: dict[str, Any] = {
            "run_a": run_a,
            "run_b": run_b,
            "judge_a": pairing.judge_a,
            "judge_b": pairing.judge_b,
            "alpha": alpha,
            "matched_by": ["case_id", "attack", "persona"],
            "only_in_a": pairing.only_in_a,
            "only_in_b": pairing.only_in_b,
            "unassessed_pairs": pairing.unassessed,
            "overall": overall.to_dict(),
            "hazards": [c.to_dict() for c in per_hazard],
            "adjustment": {"verdicts": "holm", "intervals": "unadjusted", "note": note},
            "over_refusal": {"a": refusal_a, "b": refusal_b, "difference": _difference(refusal_a, refusal_b)},
        }
        if mcq is not None:
            data["mcq"] = mcq
        print_json(data)
        return
    echo(f"A = {run_a} (judge {pairing.judge_a})   B = {run_b} (judge {pairing.judge_b})")
    echo(
        f"pairs assessed in both: {overall.table.n}; unassessed in either: {pairing.unassessed}; "
        f"only in A: {pairing.only_in_a}; only in B: {pairing.only_in_b}"
    )
    ci = f"B - A ({confidence:.0%} CI, unadj.)"
    echo(f"{'hazard':<34} {'pairs':>5} {'A':>6} {'B':>6}  {ci:<28} {'A/B only':>9} McNemar, Holm")
    for c in per_hazard:
        name = hazard_name(c.key)
        echo(_line(c, c.key if name == c.key else f"{c.key} {name}"))
    echo(_line(overall, "all hazards (pooled)"))
    if overall.table.n == 0:
        echo("no pairs were assessed in both runs: nothing can be concluded")
    echo(note)
    echo(f"over-refusal on benign controls: A {_refusal(refusal_a)}   B {_refusal(refusal_b)}")
    difference = _difference(refusal_a, refusal_b)
    if difference is not None:
        echo(
            f"over-refusal B - A: {100 * difference:+.1f} pp (each run's own interval above; not a paired test). "
            "A lower unsafe rate bought with more refusals of benign requests is a trade-off."
        )
    if mcq is not None:
        _echo_mcq(mcq, confidence)


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("compare")(compare_command)

"""The terminal summary: a table per hazard with Wilson intervals, then over-refusal and files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from riskscope.core import terminal_safe
from riskscope.reports.summary import GroupFigures, RunSummary
from riskscope.stats.figures import grade_badge


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _interval(rate: dict[str, Any]) -> str:
    return f"[{_pct(rate['low'])}, {_pct(rate['high'])}]"


def _table(
    title: str,
    rows: list[GroupFigures],
    overall: GroupFigures | None,
    group: str = "hazard",
    corrected: dict[str, Any] | None = None,
) -> Table:
    table = Table(title=title, title_justify="left")
    columns = [(group, "left"), ("n", "right"), ("unsafe", "right"), ("raw rate", "right"), ("95% Wilson CI", "left")]
    if corrected is not None:
        columns.append(("judge-corrected 95%", "left"))
    columns.append(("unassessed", "right"))
    for column, justify in columns:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for figures in rows + ([overall] if overall is not None else []):
        style = "bold" if figures is overall else None
        cells = [
            figures.name,
            str(figures.assessed),
            str(figures.unsafe),
            _pct(figures.unsafe_rate.point),
            _interval(figures.unsafe_rate.model_dump()),
        ]
        if corrected is not None:
            estimate = corrected["overall"] if figures is overall else corrected["hazards"].get(figures.key)
            cells.append("—" if estimate is None else f"{_pct(estimate['point'])} {_interval(estimate)}")
        cells.append(str(figures.unassessed))
        table.add_row(*cells, style=style)
    return table


def _inert(value: Any) -> Any:
    """Every string made inert for a terminal: control characters shown, rich markup escaped."""
    if isinstance(value, str):
        return escape(terminal_safe(value))
    if isinstance(value, dict):
        return {_inert(k): _inert(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_inert(v) for v in value)
    return value


def print_summary(summary: RunSummary, files: dict[str, Path], console: Console | None = None) -> None:
    # Hazard names, targets, judges and reasons come from suite files, models and judges: untrusted.
    summary = RunSummary.model_validate(_inert(summary.model_dump()))
    console = console or Console()
    console.print(
        f"[bold]run[/] {summary.run_id}  status {summary.status}  target {summary.target}  "
        f"judge {summary.primary_judge}  ({summary.completed}/{summary.items} items judged)"
    )
    _print_headline(console, summary)
    console.print(_table("Unsafe responses per hazard", summary.hazards, summary.overall, corrected=summary.corrected))
    if len(summary.personas) > 1:
        console.print(_table("Per persona", summary.personas, None, group="persona"))
    over = summary.over_refusal
    console.print(
        f"Over-refusal on {summary.benign_controls} benign controls: {over['refused']} refused, "
        f"{_pct(over['point'])} {_interval(over)}" + (f" (judge {over['judge']})" if over.get("judge") else "")
    )
    if summary.over_refusal_types is not None and len(summary.over_refusal_types["types"]) > 1:
        console.print(_over_refusal_table(summary.over_refusal_types))
    if summary.grade is not None:
        _print_grade(console, summary.grade)
    if summary.attack_success is not None:
        console.print(_attack_table(summary.attack_success))
    if summary.mcq is not None:
        console.print(_mcq_table(summary.mcq))
    unassessed = summary.overall.unassessed_reasons
    if unassessed:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(unassessed.items()))
        console.print(f"[yellow]Unassessed (not counted as safe or unsafe)[/]: {reasons}")
    for label, path in files.items():
        console.print(f"{label}: {path}")


def _over_refusal_table(figures: dict[str, Any]) -> Table:
    """Over-refusal per type of benign control, the refusal judge's own error in the caption."""
    table = Table(title=f"Over-refusal by type (judge {escape(figures['judge'])}; partial refusal counts as refusal)")
    for column in ("suite", "type", "refused", "controls", "rate", "95% CI"):
        table.add_column(column, justify="left" if column in ("suite", "type") else "right")
    for row in figures["types"]:
        table.add_row(
            escape(row["suite"]),
            escape(row["type"]),
            str(row["refused"]),
            str(row["n"]),
            _pct(row["point"]),
            _interval(row) if row["n"] else "—",
        )
    error = figures.get("judge_error")
    if error:
        called, missed = error["answers_called_refusals"], error["refusals_missed"]
        table.caption = (
            f"refusal judge on human labels ({escape(error['dataset'])}): answers called refusals "
            f"{called['count']}/{called['n']} {_interval(called)}, refusals missed {missed['count']}/{missed['n']} "
            f"{_interval(missed)} (see docs/judges.md)"
        )
    return table


def _mcq_table(figures: dict[str, Any]) -> Table:
    """Accuracy beside chance: a small model near chance knows little; the test says how sure that is."""
    table = Table(title="Multiple choice (hazardous knowledge): accuracy of answered questions")
    for column in ("domain", "questions", "answered", "accuracy", "95% CI", "chance", "p vs chance", "refused"):
        table.add_column(column, justify="left" if column == "domain" else "right")
    for name, row in [*figures["domains"].items(), ("pooled", figures["pooled"])]:
        p = row["p_vs_chance"]
        table.add_row(
            escape(name),
            str(row["questions"]),
            str(row["answered"]),
            _pct(row["accuracy"]["point"]) if row["answered"] else "—",
            _interval(row["accuracy"]) if row["answered"] else "—",
            _pct(row["chance"]),
            "—" if p is None else f"{p:.3g}",
            str(row["refused"]),
        )
    captions = [figures["note"]] if figures.get("note") else []
    consistency = figures.get("consistency")
    if consistency and consistency["pooled"]["n"]:
        pooled = consistency["pooled"]
        captions.append(
            f"option-order consistency: {pooled['consistent']}/{pooled['n']} questions picked the same option "
            f"in all {'/'.join(map(str, consistency['orders']))} orders, {_pct(pooled['point'])} {_interval(pooled)}"
        )
    if captions:
        table.caption = "; ".join(captions)
    return table


def _attack_table(figures: dict[str, Any]) -> Table:
    """Attack success beside the base case on the same prompts: the lift is a paired difference."""
    base = figures["base"]
    table = Table(title=f"Attacks (judge {figures['judge']}; base case {_pct(base['point'])} {_interval(base)})")
    for column in ("attack", "success", "95% CI", "lift (pp)", "lift 95% CI", "pairs", "Holm p", "any of k"):
        table.add_column(column, justify="left" if column == "attack" else "right")
    for row in figures["attacks"]:
        lift = row["lift"]
        diff = lift["difference"]
        table.add_row(
            escape(row["attack"]),
            _pct(row["success"]["point"]),
            _interval(row["success"]),
            "—" if diff["point"] != diff["point"] else f"{100 * diff['point']:+.1f}",
            f"[{100 * diff['low']:+.1f}, {100 * diff['high']:+.1f}]",
            str(lift["pairs"]),
            f"{lift['p_adjusted']:.3g}",
            f"{row['successes']}/{row['cases']}",
        )
    return table


def _print_grade(console: Console, grade: dict[str, Any]) -> None:
    """The grade with its uncertainty (``stats.figures.grade_badge``, as on every surface): the most
    likely tier, and a grade that is not settled is said to be so, not rounded."""
    badge = grade_badge(grade["overall"])
    settled = "settled" if badge.settled else "[yellow]not settled[/]: do not quote it alone"
    against = grade.get("against") or f"run {grade.get('reference_run')}"
    console.print(f"[bold]Grade[/] vs {escape(against)}: {badge.label} (most likely tier), {settled}")
    if badge.spread:
        console.print(f"  probability of each tier: {badge.spread}")
    for hazard, reason in sorted(grade.get("not_graded", {}).items()):
        console.print(f"  not graded: {escape(hazard)}: {escape(reason)}")
    for warning in grade.get("judge_warnings", []):
        console.print(f"  [yellow]warning[/]: {escape(warning)}")
    hazards = {h: grade_badge(g) for h, g in grade.get("hazards", {}).items()}
    if hazards:
        console.print(
            "  per hazard: "
            + ", ".join(
                f"{h} {b.label}" + ("" if b.settled else " (not settled)") for h, b in sorted(hazards.items())
            )
        )


def _width(rate: dict[str, Any]) -> str:
    return f"{100 * (rate['high'] - rate['low']):.1f} pp wide"


def _print_headline(console: Console, summary: RunSummary) -> None:
    """The honest rate first (judge error folded in), the raw rate beside it, and the width of both:
    a very wide interval is a finding about the judge, said out loud rather than hidden."""
    raw = summary.overall.unsafe_rate.model_dump()
    corrected = summary.corrected
    ppi = summary.ppi or {}
    if ppi.get("overall"):
        gold = ppi["overall"]
        console.print(
            f"[bold]Unsafe rate with {ppi['n_gold']} gold labels[/] (PPI++): {_pct(gold['point'])} "
            f"{_interval(gold)} ({_width(gold)}; {escape(str(ppi['label']))})"
        )
    if corrected is not None:
        honest = corrected["overall"]
        console.print(
            f"[bold]Unsafe rate, judge error folded in[/]: {_pct(honest['point'])} {_interval(honest)} "
            f"({_width(honest)}; {corrected['label']})"
        )
        console.print(
            f"  raw rate of judge {summary.primary_judge}: {_pct(raw['point'])} {_interval(raw)} ({_width(raw)})"
        )
    else:
        card = summary.judge_card or {}
        reason = card.get("reason") or "uncorrected"
        console.print(
            f"[bold]Unsafe rate[/] of judge {summary.primary_judge}: {_pct(raw['point'])} {_interval(raw)} "
            f"([yellow]{reason}[/])"
        )

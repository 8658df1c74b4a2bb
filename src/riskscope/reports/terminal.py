"""The terminal summary: a table per hazard with Wilson intervals, then over-refusal and files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from riskscope.reports.summary import GroupFigures, RunSummary


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _interval(rate: dict[str, Any]) -> str:
    return f"[{_pct(rate['low'])}, {_pct(rate['high'])}]"


def _table(title: str, rows: list[GroupFigures], overall: GroupFigures | None, group: str = "hazard") -> Table:
    table = Table(title=title, title_justify="left")
    for column, justify in (
        (group, "left"),
        ("n", "right"),
        ("unsafe", "right"),
        ("unsafe rate", "right"),
        ("95% Wilson CI", "left"),
        ("unassessed", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for figures in rows + ([overall] if overall is not None else []):
        style = "bold" if figures is overall else None
        table.add_row(
            figures.name,
            str(figures.assessed),
            str(figures.unsafe),
            _pct(figures.unsafe_rate["point"]),
            _interval(figures.unsafe_rate),
            str(figures.unassessed),
            style=style,
        )
    return table


def print_summary(summary: RunSummary, files: dict[str, Path], console: Console | None = None) -> None:
    console = console or Console()
    console.print(
        f"[bold]run[/] {summary.run_id}  status {summary.status}  target {summary.target}  "
        f"judge {summary.primary_judge}  ({summary.completed}/{summary.items} items judged)"
    )
    console.print(_table("Unsafe responses per hazard", summary.hazards, summary.overall))
    if len(summary.personas) > 1:
        console.print(_table("Per persona", summary.personas, None, group="persona"))
    over = summary.over_refusal
    console.print(
        f"Over-refusal on {summary.benign_controls} benign controls: {over['refused']} refused, "
        f"{_pct(over['point'])} {_interval(over)}"
    )
    if summary.grade is not None:
        _print_grade(console, summary.grade)
    if summary.corrected is not None:
        _print_corrected(console, summary.corrected)
    unassessed = summary.overall.unassessed_reasons
    if unassessed:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(unassessed.items()))
        console.print(f"[yellow]Unassessed (not counted as safe or unsafe)[/]: {reasons}")
    for label, path in files.items():
        console.print(f"{label}: {path}")


def _print_grade(console: Console, grade: dict[str, Any]) -> None:
    """The grade with its uncertainty: a grade that is not settled is said to be so, not rounded."""
    overall = grade["overall"]
    tiers = ", ".join(
        f"{name} {p:.0%}" for name, p in sorted(overall["probabilities"].items(), key=lambda kv: -kv[1]) if p >= 0.01
    )
    settled = "settled" if overall["settled"] else "[yellow]not settled[/]: do not quote it alone"
    console.print(
        f"[bold]Grade[/] vs run {grade['reference_run']}: {overall['grade'] or 'none'} "
        f"(AILuminate rule on point estimates), {settled}"
    )
    console.print(f"  probability of each tier: {tiers}")
    unsettled = [h for h, g in grade.get("hazards", {}).items() if not g["settled"]]
    if unsettled:
        console.print(f"  hazards whose grade is not settled: {', '.join(sorted(unsettled))}")


def _print_corrected(console: Console, corrected: dict[str, Any]) -> None:
    overall = corrected["overall"]
    console.print(
        f"Judge-corrected unsafe rate (Se {corrected['sensitivity']:.2f}, Sp {corrected['specificity']:.2f}): "
        f"{_pct(overall['point'])} {_interval(overall)}  (interval carries sampling and judge error)"
    )

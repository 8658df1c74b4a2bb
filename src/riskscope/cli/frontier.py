"""``riskscope frontier RUN…``: unsafe rate against over-refusal for any number of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from riskscope.cli._common import STORE_OPTION, open_query, print_json, resolve_run
from riskscope.errors import ConfigError


def _pct(x: float) -> str:
    return "   n/a" if x != x else f"{100 * x:5.1f}%"


def frontier_command(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids ('latest' works), two or more.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the chart and table as a standalone HTML file.")
    ] = None,
    store_path: Path = STORE_OPTION,
) -> None:
    """The safety–helpfulness frontier: each run's unsafe rate and over-refusal with intervals, and
    which runs are on the Pareto front (no other run is at least as good on both axes)."""
    if len(run_ids) < 2:
        raise ConfigError("a frontier needs at least two runs")
    from riskscope.reports import summarise
    from riskscope.stats import Estimate
    from riskscope.stats.figures import headline_unsafe
    from riskscope.stats.frontier import FrontierPoint, frontier_label, pareto_front

    def estimate(data: dict[str, Any]) -> Estimate:
        return Estimate(data["point"], data["low"], data["high"], data["n"], data.get("method", "wilson"))

    points = []
    kinds: dict[str, str] = {}
    with open_query(store_path) as store:
        for run_id in run_ids:
            resolved = resolve_run(store, run_id)
            summary, _ = summarise(store, resolved)
            unsafe, kind = headline_unsafe(summary.ppi, summary.corrected, summary.overall.unsafe_rate.model_dump())
            label = frontier_label(resolved, summary.target, store.get_run(resolved).config.get("personas") or ())
            kinds[label] = kind
            points.append(FrontierPoint(label, estimate(dict(unsafe)), estimate(summary.over_refusal)))
    marked = pareto_front(points)
    if html is not None:
        from riskscope.reports.frontier_html import write_frontier_html

        write_frontier_html(html, marked, kinds)
        typer.echo(f"frontier chart: {html}", err=as_json)
    if as_json:
        print_json(
            [
                {
                    "run": p.name,
                    "unsafe": p.unsafe.to_dict(),
                    "unsafe_kind": kinds[p.name],
                    "over_refusal": p.over_refusal.to_dict(),
                    "on_front": p.on_front,
                    "dominated_by": list(p.dominated_by),
                    "clearly_dominated_by": list(p.clearly_dominated_by),
                }
                for p in marked
            ]
        )
        return
    typer.echo(f"{'run':<50} {'unsafe':>7} {'95% CI':>17} {'over-refusal':>12} {'95% CI':>17}  front")
    for p in marked:
        u, o = p.unsafe, p.over_refusal
        front = "yes" if p.on_front else ("no, clearly" if p.clearly_dominated_by else "no")
        typer.echo(
            f"{p.name[:50]:<50} {_pct(u.point):>7} [{_pct(u.low)}, {_pct(u.high)}] {_pct(o.point):>12} "
            f"[{_pct(o.low)}, {_pct(o.high)}]  {front}  ({kinds[p.name]})"
        )
    typer.echo(
        "unsafe: the most honest rate each run has (PPI with gold labels, else the judge's transfer error "
        "folded in, else raw; said per run); "
        "'clearly' = another run is better on both axes beyond both intervals"
    )


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("frontier")(frontier_command)

"""``riskscope trend``: early warning across runs of the same endpoint, suite and judge."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskscope.cli._common import STORE_OPTION, open_query, print_json
from riskscope.errors import ConfigError


def trend_command(
    target: Annotated[str | None, typer.Option(help="Only the series of this target spec (e.g. openai:m@URL).")] = None,
    baseline: Annotated[int, typer.Option(help="Runs that set the in-control rate.", min=1)] = 3,
    odds_ratio: Annotated[float, typer.Option(help="Rise to detect, as an odds ratio over the baseline.")] = 2.0,
    false_alarm: Annotated[
        float, typer.Option(help="Probability of any false alarm over a series' monitored runs.")
    ] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    fail_on_alarm: Annotated[bool, typer.Option(help="Exit 1 when any alarm fires (for CI).")] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """Per hazard, a binomial CUSUM on the unsafe rate across runs (docs/statistics.md, "Trend")."""
    if not (0 < false_alarm < 1 and odds_ratio > 1):
        raise ConfigError("--false-alarm must be in (0, 1) and --odds-ratio above 1")
    from riskscope.reports.trend import trend_series

    with open_query(store_path) as store:
        series = trend_series(
            store, target=target, baseline=baseline, odds_ratio=odds_ratio, false_alarm=false_alarm
        )
    alarms = sum(len(s.alarms()) for s in series)
    if as_json:
        print_json({"series": [s.to_dict() for s in series], "alarms": alarms})
    else:
        if not series:
            typer.echo("no complete runs to follow")
        for one in series:
            key = one.key
            versions = ", ".join(key["judge_versions"])
            typer.echo(f"series: target {key['target']}, judge {key['judge']} ({versions}), {len(one.runs)} runs")
            for hazard, result in sorted(one.results.items()):
                if result is None:
                    typer.echo(f"  {hazard:<12} not enough runs (needs more than {baseline})")
                    continue
                alarm = one.alarms().get(hazard)
                state = f"ALARM at run {alarm}" if alarm else "no alarm"
                last = result.statistics[-1]
                typer.echo(
                    f"  {hazard:<12} baseline {100 * result.p0:.1f}%  "
                    f"CUSUM {last:.2f} / h {result.threshold:.2f}  {state}"
                )
    if fail_on_alarm and alarms:
        raise typer.Exit(1)


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("trend")(trend_command)

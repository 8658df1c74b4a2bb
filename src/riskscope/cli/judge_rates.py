"""``riskscope judge eval FILE --rates``: the rate check's command body and its table.

Kept apart from ``judge_eval.py`` so the agreement report and the rate check do not tangle; the
figures come from :mod:`riskscope.judges.rates`, this module only runs the judge and prints.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

from riskscope.cli._common import print_json
from riskscope.judges._labelled import LabelledItem
from riskscope.judges.evaluation import judge_items
from riskscope.judges.rates import RateEvaluation, evaluate_rates, file_sha256, transfer_for_judge
from riskscope.stats import Estimate

__all__ = ["run_rates"]


def _pct(value: float) -> str:
    return f"{100 * value:5.1f} %"


def _rate_row(name: str, estimate: Estimate, truth: float) -> str:
    covers = "yes" if estimate.low <= truth <= estimate.high else "NO"
    interval = f"[{100 * estimate.low:5.1f}, {100 * estimate.high:5.1f}]"
    return f"  {name:<34} {_pct(estimate.point)}  {interval:<16} {100 * estimate.half_width:5.1f} pp  {covers}"


def _coverage_row(name: str, figures: dict[str, float | int]) -> str:
    return (
        f"  {name:<34} coverage {_pct(float(figures['coverage']))} ({figures['covered']}/{figures['seeds']}), "
        f"mean half-width {100 * float(figures['mean_half_width']):.1f} pp"
    )


def _alone_cells(estimate: Estimate | None) -> str:
    if estimate is None:
        return f"{'-':>12}"
    return f"{_pct(estimate.point):>12}  [{100 * estimate.low:5.1f}, {100 * estimate.high:5.1f}]"


def _print_rates(result: RateEvaluation) -> None:
    """The rate check as a table: each rate, its interval, its width, and whether it holds the truth."""
    ppi, alone = result.ppi, result.labels_only
    lines = [
        f"judge {result.judge} on {result.source}: {result.assessed} labelled items assessed "
        f"(of {result.items}); gold unsafe rate {_pct(result.gold_rate).strip()}",
        f"  {'rate':<34} {'point':>7}  {'95% interval':<16} {'half-width':>8}  covers gold",
        _rate_row("raw (judge's verdicts, Wilson)", result.raw, result.gold_rate),
    ]
    if result.corrected is not None:
        lines.append(_rate_row(f"corrected ({result.corrected.method})", result.corrected, result.gold_rate))
        lines.append(f"    {result.corrected_reason}")
    else:
        lines.append(f"  {'corrected':<34} none: {result.corrected_reason}")
    lines += [
        f"gold labels: {result.gold_sample} per seed ({result.design} design), {ppi['seeds']} seeds, "
        f"judge output used: {result.judge_output}",
        _coverage_row("PPI++ (judge + labels)", ppi),
        _coverage_row("labels alone (Wilson)", alone)
        if alone is not None
        else f"  {'labels alone':<34} not shown: an uncertainty-weighted sample is not a simple random one",
        f"  {'seed':>6} {'labels':>6}  {'PPI':>7}  {'interval':<16} {'covers':<6}  {'labels alone':>12}  interval",
    ]
    for row in result.seeds:
        lines.append(
            f"  {row.seed:>6} {row.labels:>6}  {_pct(row.ppi.point)}  "
            f"[{100 * row.ppi.low:5.1f}, {100 * row.ppi.high:5.1f}]   "
            f"{'yes' if row.ppi.low <= result.gold_rate <= row.ppi.high else 'NO':<6}  " + _alone_cells(row.labels_only)
        )
    for line in lines:
        typer.echo(line)


def run_rates(
    the_judge: Any,
    items: list[LabelledItem],
    file: Path,
    *,
    source: str,
    judge_spec: str,
    gold_sample: int,
    seeds: int,
    seed: int,
    design: str,
    transfer_file: Path | None,
    as_json: bool,
    concurrency: int = 8,
) -> None:
    """``judge eval --rates``: judge every item once, then replay the hidden-label check per seed."""
    figures, reason = transfer_for_judge(the_judge, transfer_file)
    verdicts = asyncio.run(judge_items(the_judge, items, concurrency=concurrency))
    result = evaluate_rates(
        the_judge.name,
        items,
        verdicts,
        gold_sample=gold_sample,
        seeds=seeds,
        seed=seed,
        transfer=figures,
        transfer_reason=reason,
        file_digest=file_sha256(file),
        design="uncertainty" if design == "uncertainty" else "uniform",
        source=source,
    )
    if as_json:
        print_json({**result.to_dict(), "judge_spec": judge_spec})
    else:
        _print_rates(result)

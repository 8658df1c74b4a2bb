"""``riskscope gold draw|label|status RUN``: gold labels on a recorded sample, and the PPI++ rate.

A stronger judge (any registered judge: a guard model or rubric LLM behind an endpoint) labels
the drawn sample; a person labels it in the dashboard's review queue. A labelling judge's error or
unparseable output stays unassessed: it is never stored as a gold label, and the item stays
pending so a later run of the command tries it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import STORE_OPTION, open_store, print_json
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.reports.gold import PPIRates
    from riskscope.store import GoldDraw, Store

gold_app = typer.Typer(
    help="Gold labels for prediction-powered rates: draw a sample, label it with a stronger judge, see the rate.",
    no_args_is_help=True,
)

N_OPTION = typer.Option("--n", help="Gold sample size (the expected size for the uncertainty design).")
DESIGN_OPTION = typer.Option(
    "--design", help="uniform (simple random) or uncertainty (weighted by the headline judge's P(unsafe), floored)."
)
SEED_OPTION = typer.Option("--seed", help="Seed of the draw (recorded with it).")


def _run_id(store: Store, run_id: str) -> str:
    return store.latest_run().id if run_id == "latest" else store.get_run(run_id).id


def _design(value: str) -> Any:
    if value not in ("uniform", "uncertainty"):
        raise ConfigError(f"--design {value!r}: expected uniform or uncertainty")
    return value


def _ensure_draw(store: Store, run_id: str, n: int | None, design: str, seed: int, redraw: bool) -> GoldDraw:
    from riskscope.reports.gold import draw_gold_sample

    existing = store.gold_draw(run_id)
    if n is None:
        if existing is None:
            raise ConfigError(f"run {run_id} has no gold draw yet: give --n N (and --design, --seed) to draw one")
        return existing
    return draw_gold_sample(store, run_id, n, design=_design(design), seed=seed, replace=redraw)


def _draw_dict(draw: GoldDraw) -> dict[str, Any]:
    return dict(draw.__dict__)


def _rates_lines(rates: PPIRates) -> list[str]:
    def fmt(est: Any) -> str:
        return f"{100 * est.point:.1f} % [{100 * est.low:.1f}, {100 * est.high:.1f}]"

    lines = [
        f"gold labels: {rates.labelled} of {rates.sampled} sampled ({rates.pending} pending, "
        f"{rates.unassessable} unassessable); {rates.outside_sample} labels outside the sample (not used)",
    ]
    if rates.overall is not None:
        lines.append(f"PPI++ unsafe rate, pooled: {fmt(rates.overall)} ({rates.design} design, n = {rates.population})")
    for key, est in rates.hazards.items():
        lines.append(f"  {key}: " + (fmt(est) if est is not None else rates.reasons.get(key, "no estimate")))
    if rates.overall is None:
        lines.append(f"no PPI rate yet: {rates.reasons.get('all', 'no gold labels')}")
    return lines


@gold_app.command("draw")
def draw_command(
    run_id: Annotated[str, typer.Argument(help="Run id, or 'latest'.")],
    n: Annotated[int, N_OPTION],
    design: Annotated[str, DESIGN_OPTION] = "uncertainty",
    seed: Annotated[int, SEED_OPTION] = 0,
    redraw: Annotated[bool, typer.Option("--redraw", help="Replace the run's existing draw.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """Draw (seeded, recorded) the items of a run that get gold labels."""
    with open_store(store_path) as store:
        run_id = _run_id(store, run_id)
        draw = _ensure_draw(store, run_id, n, design, seed, redraw)
        sampled = [i.item_id for i in store.gold_items(run_id, sampled_only=True)]
    if as_json:
        print_json({"draw": _draw_dict(draw), "sampled": sampled})
        return
    typer.echo(
        f"run {run_id}: {len(sampled)} items drawn for gold labels ({draw.design} design, budget {draw.budget}, "
        f"seed {draw.seed}, {draw.population} items, scores: {draw.score_kind} of {draw.score_judge})"
    )


@gold_app.command("label")
def label_command(
    run_id: Annotated[str, typer.Argument(help="Run id, or 'latest'.")],
    judge: Annotated[str, typer.Option("--judge", help="The stronger judge that labels the sample (a judge spec).")],
    n: Annotated[int | None, N_OPTION] = None,
    design: Annotated[str, DESIGN_OPTION] = "uncertainty",
    seed: Annotated[int, SEED_OPTION] = 0,
    concurrency: Annotated[int, typer.Option(help="Items judged at once.", min=1, max=64)] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """Label a run's gold sample with a stronger judge (drawing it first if needed); then print the PPI rate."""
    import asyncio

    from riskscope.config import PluginSpec
    from riskscope.judges import build_judge
    from riskscope.reports.gold import run_ppi_rates

    spec = PluginSpec.parse(judge)
    with open_store(store_path) as store:
        run_id = _run_id(store, run_id)
        draw = _ensure_draw(store, run_id, n, design, seed, False)
        if str(spec) == draw.score_judge:
            raise ConfigError(f"--judge {judge} is the run's headline judge: it cannot be its own gold standard")
        labelled = store.gold_labels(run_id)
        pending = [i.item_id for i in store.gold_items(run_id, sampled_only=True) if i.item_id not in labelled]
        the_judge = build_judge(spec)
        labeller = f"{spec} v{the_judge.version}"
        errors: dict[str, int] = {}
        counts = {"safe": 0, "unsafe": 0}
        rows = store.result_rows(run_id, pending)

        async def label_all() -> None:
            gate = asyncio.Semaphore(concurrency)

            async def one(row: Any) -> None:
                from riskscope.core import Outcome

                async with gate:
                    verdict = await the_judge.judge(row.item.variant.case, row.response)
                if verdict.outcome is Outcome.UNASSESSED:
                    reason = (verdict.reason or "unassessed").split(":", 1)[0][:80]
                    errors[reason] = errors.get(reason, 0) + 1
                    return
                # Written as it arrives: an interrupted labelling run keeps every label it got.
                store.put_gold_label(
                    run_id, row.item.item_id, verdict.outcome.value, labeller, "judge", verdict.rationale[:500]
                )
                counts[verdict.outcome.value] += 1

            try:
                await asyncio.gather(*(one(r) for r in rows if r.response is not None))
            finally:
                closer = getattr(the_judge, "aclose", None)
                if closer is not None:
                    await closer()

        asyncio.run(label_all())
        rates = run_ppi_rates(store, run_id)
    if as_json:
        print_json(
            {
                "run_id": run_id,
                "labeller": labeller,
                "labelled_now": counts,
                "unassessed": errors,
                "draw": _draw_dict(draw),
                "ppi": None if rates is None else rates.to_dict(),
            }
        )
        return
    typer.echo(
        f"run {run_id}: {labeller} labelled {counts['unsafe']} unsafe and {counts['safe']} safe of {len(pending)} "
        "pending items"
    )
    for reason, count in sorted(errors.items()):
        typer.echo(f"  unassessed (not a gold label, still pending): {count} x {reason}")
    if rates is not None:
        for line in _rates_lines(rates):
            typer.echo(line)


@gold_app.command("status")
def status_command(
    run_id: Annotated[str, typer.Argument(help="Run id, or 'latest'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """The run's gold draw, how many labels it has, and the PPI++ rate they give."""
    from riskscope.reports.gold import run_ppi_rates

    with open_store(store_path) as store:
        run_id = _run_id(store, run_id)
        draw = store.gold_draw(run_id)
        rates = run_ppi_rates(store, run_id)
    if as_json:
        print_json(
            {
                "run_id": run_id,
                "draw": None if draw is None else _draw_dict(draw),
                "ppi": None if rates is None else rates.to_dict(),
            }
        )
        return
    if draw is None or rates is None:
        typer.echo(f"run {run_id} has no gold draw (riskscope gold draw {run_id} --n N)")
        return
    typer.echo(
        f"run {run_id}: {draw.design} draw, budget {draw.budget}, seed {draw.seed}, {draw.population} items "
        f"(scores: {draw.score_kind} of {draw.score_judge}), drawn {draw.created_at}"
    )
    for line in _rates_lines(rates):
        typer.echo(line)


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.add_typer(gold_app, name="gold")


__all__ = ["register"]

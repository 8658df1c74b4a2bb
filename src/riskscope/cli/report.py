"""``riskscope report RUN_ID``: re-render a past run's reports from the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import (
    FORCE_REFERENCE_OPTION,
    JUDGE_EVAL_OPTION,
    REFERENCE_OPTION,
    REFERENCE_STANDARD_OPTION,
    STORE_OPTION,
    open_query,
    print_json,
    reference_set,
    resolve_run,
    results_output,
)
from riskscope.cli._judge_identity import FORCE_OPTION

if TYPE_CHECKING:
    from riskscope.store import StoreQuery


def report_command(
    run_id: Annotated[str, typer.Argument(help="Run id (see `riskscope runs list`), or 'latest'.")],
    out: Annotated[Path, typer.Option(help="Folder for reports.")] = Path("runs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    riskcard: Annotated[bool, typer.Option("--riskcard", help="Also write riskcard.md (RiskCards format).")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Also write results.jsonl (one item per line).")] = False,
    parquet: Annotated[
        # Square brackets escaped: typer renders help as rich markup, where [parquet] is a style tag.
        bool, typer.Option("--parquet", help="Also write results.parquet (needs riskscope\\[parquet]).")
    ] = False,
    reference: Annotated[list[str] | None, REFERENCE_OPTION] = None,
    reference_standard: Annotated[list[Path] | None, REFERENCE_STANDARD_OPTION] = None,
    force_reference: Annotated[bool, FORCE_REFERENCE_OPTION] = False,
    judge_eval: Annotated[Path | None, JUDGE_EVAL_OPTION] = None,
    force_judge_eval: Annotated[bool, FORCE_OPTION] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """Re-render the HTML report and results.json of a run from the store (and optional exports)."""
    from riskscope.cli._judge_identity import check_judge_eval
    from riskscope.cli._runstats import load_judge_accuracy
    from riskscope.reports import write_reports

    with open_query(store_path) as store:
        run_id = resolve_run(store, run_id)
        accuracy = None
        if judge_eval is not None:
            accuracy = load_judge_accuracy(judge_eval)
            check_judge_eval(judge_eval, store, run_id, force=force_judge_eval)
        references = reference_set(store, reference, reference_standard, force_reference)
        summary, files = write_reports(store, run_id, out, references=references, judge_accuracy=accuracy)
        if riskcard or jsonl or parquet:
            files.update(_write_exports(store, summary, run_id, out / run_id, riskcard, jsonl, parquet))
    if as_json:
        print_json(results_output(files))
        return
    from riskscope.reports.terminal import print_summary

    print_summary(summary, files)


def _write_exports(
    store: StoreQuery, summary: Any, run_id: str, folder: Path, riskcard: bool, jsonl: bool, parquet: bool
) -> dict[str, Path]:
    from riskscope.reports import write_jsonl, write_parquet, write_riskcard

    rows = list(store.results(run_id))
    config = store.get_run(run_id).config
    files: dict[str, Path] = {}
    if riskcard:
        files["riskcard"] = write_riskcard(folder / "riskcard.md", summary, rows, config)
    if jsonl:
        files["jsonl"] = write_jsonl(folder / "results.jsonl", rows, run_id, config)
    if parquet:
        files["parquet"] = write_parquet(folder / "results.parquet", rows, run_id, summary.primary_judge, config)
    return files



def register(app: typer.Typer) -> None:
    app.command("report")(report_command)

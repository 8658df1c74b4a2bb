"""``riskscope runs list``: the runs in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskscope.cli._common import STORE_OPTION, open_query, print_json

runs_app = typer.Typer(help="Runs in the store.", no_args_is_help=True)


@runs_app.command("list")
def list_runs(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """List runs, newest first."""
    with open_query(store_path) as store:
        records = store.list_runs()
        judged = {r.id: len(store.judged_items(r.id, [])) for r in records}
    if as_json:
        print_json([r.model_dump(mode="json") | {"judged": judged[r.id]} for r in records])
        return
    if not records:
        typer.echo(f"no runs in {store_path}")
        return
    from riskscope.config import RunConfig, spec_label
    from riskscope.core import terminal_safe
    from riskscope.errors import StoreError

    for r in records:
        try:
            spec = spec_label(RunConfig.of_run(r).target)
        except StoreError:  # one unreadable run must not hide the others from the list
            spec = "(config unreadable by this riskscope)"
        # A `running` run whose writer died (kill -9) says so, and how to continue it.
        status = "stale" if r.stale else r.status.value
        line = f"{r.id}  {status:<11}  {r.total_items:>6} items  {spec}  {r.created_at}"
        if r.stale:
            line += f"  (writer pid {r.writer_pid} gone; riskscope run --resume {r.id})"
        elif r.reason:
            line += f"  ({r.reason})"
        typer.echo(terminal_safe(line))


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")

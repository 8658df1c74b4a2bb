"""The ``riskscope`` command: a typer app with one module per verb.

User errors (:class:`~riskscope.errors.RiskscopeError`) print one clean line and exit 2; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer

from riskscope.cli import (
    compare,
    frontier,
    gate,
    gold,
    judge_eval,
    list_plugins,
    report,
    run,
    runs,
    serve,
    suites_cmds,
    targets_cmds,
    trend,
)
from riskscope.errors import RiskscopeError

app = typer.Typer(
    name="riskscope",
    help="Measure how safe an AI system is: run hazard suites against it, judge every response, "
    "and report per-hazard risk with honest intervals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
run.register(app)
runs.register(app)
report.register(app)
stage_apps = list_plugins.register(app)
for verb_module in (suites_cmds, targets_cmds, judge_eval, compare, frontier, gate, gold, trend, serve):
    verb_module.register(app, stage_apps)


def main() -> None:
    try:
        app()
    except RiskscopeError as exc:
        print(f"riskscope: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("riskscope: interrupted; completed work is in the store (resume with --resume)", file=sys.stderr)
        sys.exit(130)


__all__ = ["app", "main"]

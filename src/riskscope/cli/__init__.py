"""The ``riskscope`` command: a typer app with one module per verb.

:func:`main` is the one boundary between riskscope and its user. User errors print one clean line
and exit 2: every :class:`~riskscope.errors.RiskscopeError`, and the few exception classes that only
input can cause whatever code meets it first: undecodable or unencodable text (``UnicodeError``),
data nested beyond the interpreter's limit (``RecursionError``), the filesystem (``OSError``: a
path that is a file, a full disk, no permission) and a damaged database file
(``sqlite3.DatabaseError``). Anything else is a bug and keeps its traceback (exit 1): the boundary
is deliberately not ``except Exception``. Ctrl-C exits 130 and SIGTERM 143, each with the run left
``interrupted``. Every message is made terminal-safe, as it may quote a suite or a model.
"""

from __future__ import annotations

import sqlite3
import sys

import typer

from riskscope.cli import (
    compare,
    frontier,
    gate,
    generate,
    gold,
    guard,
    items,
    judge_eval,
    judges_try,
    list_plugins,
    report,
    run,
    runs,
    serve,
    suites_cmds,
    targets_cmds,
    trend,
)
from riskscope.errors import RiskscopeError, Terminated

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
verbs = (suites_cmds, targets_cmds, judge_eval, judges_try, items, compare, frontier, gate, gold, trend, serve, guard)
for verb_module in (*verbs, generate):
    verb_module.register(app, stage_apps)


# Exceptions only input can cause (see the module docstring); never a blanket `Exception`.
INPUT_ERRORS: tuple[type[BaseException], ...] = (UnicodeError, RecursionError, OSError, sqlite3.DatabaseError)


def _input_error_line(exc: BaseException) -> str:
    if isinstance(exc, sqlite3.DatabaseError):
        from riskscope.store._sqlite import last_opened

        where = f"{last_opened[0]}: " if last_opened else ""
        return f"{where}the store database is damaged or not a riskscope store ({exc})"
    if isinstance(exc, RecursionError):
        return "input nested too deeply to read"
    if isinstance(exc, UnicodeError):
        return f"text that cannot be read or written as UTF-8 ({type(exc).__name__}: {exc})"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def _fail(message: str, code: int) -> None:
    from riskscope.core import terminal_safe  # here, not at the top: --help must not build pydantic models

    print(f"riskscope: {terminal_safe(message)}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``); the boundary for every user error."""
    try:
        app(args=argv, prog_name="riskscope")
    except SystemExit as exc:
        if exc.code == 130:  # typer turns Ctrl-C inside a command into a silent exit 130
            _fail("interrupted; completed work is in the store (resume with --resume)", 130)
        raise
    except RiskscopeError as exc:
        _fail(f"error: {exc}", 2)
    except INPUT_ERRORS as exc:
        _fail(f"error: {_input_error_line(exc)}", 2)
    except Terminated:
        _fail("terminated; completed work is in the store (resume with --resume)", 143)
    except KeyboardInterrupt:
        _fail("interrupted; completed work is in the store (resume with --resume)", 130)



__all__ = ["app", "main"]

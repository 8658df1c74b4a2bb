"""Helpers every verb shares: the store option and its opening, the one run-id resolver, JSON output.

(One-line user errors are printed by ``riskscope.cli.main``, which catches RiskscopeError.)

Verb modules import only typer and this module at the top; everything a verb needs it imports
inside its command, so ``riskscope --help`` or ``runs list`` never pays for scipy, the report
stack or a model engine (bench/startup.py measures it; tests/cli/test_startup.py guards it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from riskscope.reports.references import ReferenceSet
    from riskscope.store import Store, StoreQuery

# The same path as riskscope.config.DEFAULT_STORE (tests/cli/test_startup.py checks it): importing
# the config module here would make every verb, even --help, build its pydantic models first.
DEFAULT_STORE = Path("runs") / "riskscope.db"
LATEST = "latest"
STORE_OPTION = typer.Option(DEFAULT_STORE, "--store", help="SQLite results database.", envvar="RISKSCOPE_STORE")
REFERENCE_OPTION = typer.Option(
    "--reference",
    help="Grade against this run, a run id or 'latest' (repeatable: per hazard the less safe reference counts, "
    "as AILuminate v1.0 does).",
)
REFERENCE_STANDARD_OPTION = typer.Option(
    "--reference-standard",
    help="Grade against the reference systems of this standard file (YAML; see docs/statistics.md).",
)
FORCE_REFERENCE_OPTION = typer.Option(
    "--force-reference",
    help="Grade even against references measured by another judge spec or version (warned, not refused).",
)
JUDGE_EVAL_OPTION = typer.Option(
    "--judge-eval",
    help="`riskscope judge eval --json` output for the headline judge: adds judge-error-corrected rates.",
)


def reference_set(store: StoreQuery, runs: list[str] | None, standards: list[Path] | None, force: bool) -> ReferenceSet:
    """The references of ``--reference``/``--reference-standard``: unknown runs and bad files fail here."""
    from riskscope.reports.references import load_references

    return load_references(store, [resolve_run(store, r) for r in runs or ()], standards or (), force=force)


def open_store(path: Path) -> Store:
    """The store for verbs that write (run, gold)."""
    from riskscope.store import Store

    return Store(path)


def open_query(path: Path) -> StoreQuery:
    """The store for verbs that only read: mypy then proves a report cannot change its run."""
    from riskscope.store import StoreQuery

    return StoreQuery(path)


def resolve_run(store: StoreQuery, run_id: str) -> str:
    """The one place a run id typed by a user becomes a stored run's id.

    ``latest`` is the newest run in the store; any other id must exist (one clean line otherwise).
    Every verb that takes a run id, as argument or option, calls this, so ``latest`` works in all.
    """
    if run_id == LATEST:
        return store.latest_run().id
    return store.get_run(run_id).id


# Inside JSON strings: C1 controls and bidi controls, which json.dumps(ensure_ascii=False) leaves raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def print_json(data: Any) -> None:
    """JSON on stdout; every control character escaped, so piping it to a terminal is safe too."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def echo(message: str = "", *, err: bool = False) -> None:
    """``typer.echo`` for text that may quote a suite, a model or a judge: control characters shown."""
    from riskscope.core import terminal_safe

    typer.echo(terminal_safe(message, multiline=True), err=err)


def results_output(files: dict[str, Path], **extra: Any) -> dict[str, Any]:
    """``--json`` of run and report: results.json as written (config, summary, items), plus where the
    files went (and ``extra``), so the two can never disagree (docs/reports.md promises it)."""
    document: dict[str, Any] = json.loads(files["results"].read_text(encoding="utf-8"))
    return document | {"files": {k: str(v) for k, v in files.items()}} | extra

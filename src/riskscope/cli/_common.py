"""Helpers every verb shares: one-line user errors, store location, JSON output.

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
    from riskscope.store import Store

# The same path as riskscope.config.DEFAULT_STORE (tests/cli/test_startup.py checks it): importing
# the config module here would make every verb, even --help, build its pydantic models first.
DEFAULT_STORE = Path("runs") / "riskscope.db"
STORE_OPTION = typer.Option(DEFAULT_STORE, "--store", help="SQLite results database.", envvar="RISKSCOPE_STORE")
REFERENCE_OPTION = typer.Option(
    "--reference",
    help="Grade against this run (repeatable: per hazard the less safe reference counts, as AILuminate v1.0 does).",
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


def reference_set(store: Store, runs: list[str] | None, standards: list[Path] | None, force: bool) -> ReferenceSet:
    """The references of ``--reference``/``--reference-standard``: unknown runs and bad files fail here."""
    from riskscope.reports.references import load_references

    return load_references(store, runs or (), standards or (), force=force)


def open_store(path: Path) -> Store:
    from riskscope.store import Store

    return Store(path)


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

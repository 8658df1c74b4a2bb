"""Helpers every verb shares: one-line user errors, store location, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from riskscope.config import DEFAULT_STORE
from riskscope.store import Store

STORE_OPTION = typer.Option(DEFAULT_STORE, "--store", help="SQLite results database.", envvar="RISKSCOPE_STORE")
REFERENCE_OPTION = typer.Option(
    "--reference", help="Grade against this run (AILuminate tiers relative to a reference system's rates)."
)
JUDGE_EVAL_OPTION = typer.Option(
    "--judge-eval",
    help="`riskscope judge eval --json` output for the headline judge: adds judge-error-corrected rates.",
)


def open_store(path: Path) -> Store:
    return Store(path)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

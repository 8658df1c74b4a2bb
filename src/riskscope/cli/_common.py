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


def open_store(path: Path) -> Store:
    return Store(path)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

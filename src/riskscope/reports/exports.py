"""Results as JSONL (the run's config, then one item per line) and Parquet (one row per item, for dataframes).

Both carry the run config (secrets redacted, riskscope.config.redact_config): JSONL as its first
line, ``{"run_id": ..., "config": {...}}`` (the only line without an ``item_id``), Parquet as the
``riskscope.config`` key of the file's schema metadata.

JSONL keeps the full nested record of every item, the same as results.json's ``items``, so a
stream reader never holds a whole run. Parquet flattens it to typed columns: the headline
verdict gets its own columns for filtering, and every verdict rides along as a JSON string
(a schema that changes with the judge list would break appending runs together). pyarrow is an
optional extra imported only here, when Parquet is asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from riskscope.config import redact_config
from riskscope.errors import MissingExtraError
from riskscope.reports._files import atomic_path
from riskscope.reports.json_report import item_record
from riskscope.store import ResultRow

__all__ = ["PARQUET_COLUMNS", "flat_record", "write_jsonl", "write_parquet"]


def write_jsonl(path: Path, rows: Iterable[ResultRow], run_id: str, config: dict[str, Any] | None = None) -> Path:
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as handle:
        if config is not None:
            handle.write(json.dumps({"run_id": run_id, "config": redact_config(config)}, ensure_ascii=False) + "\n")
        for row in rows:
            handle.write(json.dumps({"run_id": run_id, **item_record(row)}, ensure_ascii=False) + "\n")
    return path


PARQUET_COLUMNS: dict[str, str] = {
    "run_id": "string",
    "item_id": "string",
    "case_id": "string",
    "hazard": "string",
    "persona": "string",
    "attack": "string",
    "expected": "string",
    "source": "string",
    "prompt": "string",
    "response": "string",
    "error_kind": "string",
    "retries": "int32",
    "judge": "string",
    "outcome": "string",
    "score": "float64",
    "reason": "string",
    "verdicts_json": "string",
}


def flat_record(row: ResultRow, run_id: str, judge: str) -> dict[str, Any]:
    """One flat row; the ``judge`` verdict fills outcome/score/reason (null when it has none)."""
    record = item_record(row)
    head = row.verdicts.get(judge)
    return {
        "run_id": run_id,
        "item_id": record["item_id"],
        "case_id": record["case_id"],
        "hazard": record["hazard"],
        "persona": record["persona"],
        "attack": record["attack"],
        "expected": record["expected"],
        "source": record["source"],
        "prompt": record["prompt"],
        "response": record["response"],
        "error_kind": None if record["error"] is None else record["error"]["kind"],
        "retries": record["retries"],
        "judge": judge,
        "outcome": None if head is None else head.outcome.value,
        "score": None if head is None else head.score,
        "reason": None if head is None else head.reason,
        "verdicts_json": json.dumps(record["verdicts"], ensure_ascii=False, sort_keys=True),
    }


def write_parquet(
    path: Path, rows: Iterable[ResultRow], run_id: str, judge: str, config: dict[str, Any] | None = None
) -> Path:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingExtraError("parquet", "pyarrow") from exc
    records = [flat_record(row, run_id, judge) for row in rows]
    metadata = None if config is None else {"riskscope.config": json.dumps(redact_config(config), ensure_ascii=False)}
    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in PARQUET_COLUMNS.items()], metadata=metadata)
    table = pa.Table.from_pylist(records, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path

"""JSONL and Parquet exports round-trip every item; Parquet without pyarrow is a clear error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _synthetic import build_run

from riskscope.errors import MissingExtraError
from riskscope.reports import write_jsonl, write_parquet
from riskscope.reports.exports import PARQUET_COLUMNS
from riskscope.store import Store


@pytest.fixture
def store_run(tmp_path: Path) -> tuple[Store, str]:
    store = Store(tmp_path / "s.db")
    return store, build_run(store, 24, payloads=True)


def test_jsonl_has_one_complete_record_per_item(store_run: tuple[Store, str], tmp_path: Path) -> None:
    store, run_id = store_run
    rows = list(store.results(run_id))
    path = write_jsonl(tmp_path / "r.jsonl", rows, run_id)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["item_id"] for r in records] == [r.item.item_id for r in rows]
    for record, row in zip(records, rows, strict=True):
        assert record["run_id"] == run_id
        assert record["prompt"] == row.item.variant.case.prompt
        assert set(record["verdicts"]) == set(row.verdicts)
        if row.response is not None and row.response.error is not None:
            assert record["error"]["kind"] == "timeout"
            assert record["verdicts"]["refusal"]["outcome"] == "unassessed"


def test_parquet_round_trips_with_typed_columns(store_run: tuple[Store, str], tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (riskscope[parquet]) not installed")
    store, run_id = store_run
    rows = list(store.results(run_id))
    path = write_parquet(tmp_path / "r.parquet", rows, run_id, "refusal")
    table = pq.read_table(path)
    assert table.column_names == list(PARQUET_COLUMNS)
    assert table.num_rows == len(rows)
    data = table.to_pylist()
    for record, row in zip(data, rows, strict=True):
        assert record["item_id"] == row.item.item_id
        assert record["outcome"] == row.verdicts["refusal"].outcome.value
        assert json.loads(record["verdicts_json"]).keys() == row.verdicts.keys()
    assert {r["outcome"] for r in data} == {"safe", "unsafe", "unassessed"}


def test_parquet_without_pyarrow_names_the_extra(
    store_run: tuple[Store, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, run_id = store_run
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingExtraError, match=r"riskscope\[parquet\]"):
        write_parquet(tmp_path / "r.parquet", list(store.results(run_id)), run_id, "refusal")
    assert not (tmp_path / "r.parquet").exists()

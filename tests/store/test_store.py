"""The SQLite store: migrations, WAL, round trips, cache semantics, review queue."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from riskscope.core import ErrorKind, Outcome, Response, ResponseError, RunStatus, TestCase, Variant, Verdict
from riskscope.errors import RunNotFoundError, StoreError
from riskscope.store import SCHEMA_VERSION, ItemRow, Store


def _item(n: int) -> ItemRow:
    case = TestCase.from_prompt(f"prompt {n}", hazard="vcr")
    return ItemRow(item_id=f"i{n}", seq=n, variant=Variant.of(case), persona=None, cache_key=f"k{n}")


def test_new_store_is_wal_and_at_current_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_past_schema_version_migrates(tmp_path: Path) -> None:
    from riskscope.store._migrations import MIGRATIONS

    for version in range(SCHEMA_VERSION):
        path = tmp_path / f"v{version}.db"
        db = sqlite3.connect(path)
        for script in MIGRATIONS[:version]:
            db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")
        if version >= 1:
            # Columns named: migration 5 added columns to runs, which a version-5 database has.
            db.execute(
                "INSERT INTO runs (id, config_hash, config, versions, created_at, updated_at, status, total_items) "
                "VALUES ('r1','h','{}','{}','t','t','complete',0)"
            )
        db.commit()
        db.close()
        with Store(path) as store:
            assert store.schema_version == SCHEMA_VERSION
            if version >= 1:
                assert store.get_run("r1").status is RunStatus.COMPLETE


def test_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(StoreError, match="newer than this riskscope"):
        Store(path)


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        Store(path)


def test_round_trip_items_responses_verdicts(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.create_run({"a": 1}, "h1", {"python": "3"})
        store.add_items(run.id, [_item(0), _item(1)])
        store.add_items(run.id, [_item(0), _item(1)])  # re-planning is idempotent
        assert [i.item_id for i in store.items(run.id)] == ["i0", "i1"]
        store.put_response(run.id, "i0", "k0", Response(text="hello", finish_reason="stop"))
        store.put_verdicts(run.id, "i0", {"refusal": Verdict(outcome=Outcome.SAFE, judge="refusal")})
        rows = list(store.results(run.id))
        assert rows[0].response is not None and rows[0].response.text == "hello"
        assert rows[0].verdicts["refusal"].outcome is Outcome.SAFE
        assert rows[1].response is None and rows[1].verdicts == {}
        assert store.judged_items(run.id, ["refusal"]) == {"i0"}
        assert store.judged_items(run.id, ["refusal", "other"]) == set()


def test_failed_calls_are_journaled_not_cached(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.create_run({}, "h", {})
        store.add_items(run.id, [_item(0)])
        failure = Response(error=ResponseError(kind=ErrorKind.TIMEOUT, message="read timeout"))
        store.put_response(run.id, "i0", "k0", failure)
        assert store.get_response("k0") is None
        journal = store.call_journal(run.id)
        assert journal[0]["ok"] == 0 and journal[0]["error_kind"] == "timeout"
        shown = store.item_response(run.id, store.items(run.id)[0])
        assert shown is not None and shown.error is not None and shown.error.kind is ErrorKind.TIMEOUT


def test_unfinished_run_is_found_by_config_hash(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.create_run({}, "same", {})
        assert store.find_unfinished("same") is not None
        store.set_status(run.id, RunStatus.COMPLETE)
        assert store.find_unfinished("same") is None
        with pytest.raises(RunNotFoundError):
            store.get_run("nope")


def test_review_queue_labels(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.create_run({}, "h", {})
        store.enqueue_review(run.id, "i0", "judges disagree", 0.9)
        store.label_review(run.id, "i0", "unsafe", "alice")
        [entry] = store.review_queue(run.id)
        assert entry["label"] == "unsafe" and entry["labelled_by"] == "alice"
        with pytest.raises(RunNotFoundError):
            store.label_review(run.id, "missing", "safe", "bob")


def test_a_running_run_is_stale_when_its_writer_is_gone_or_silent(tmp_path: Path) -> None:
    """kill -9 leaves `running`: a dead writer pid on this host, or an old heartbeat elsewhere, marks it."""
    import subprocess
    import sys

    from riskscope.core import RunStatus

    with Store(tmp_path / "s.db") as store:
        live = store.create_run({"x": 1}, "h1", {})
        assert live.status is RunStatus.RUNNING and not live.stale  # this process writes it
        dead_pid = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
        ).stdout.strip()
        store._db.execute("UPDATE runs SET writer_pid = ? WHERE id = ?", (int(dead_pid), live.id))
        assert store.get_run(live.id).stale
        assert store.find_unfinished("h1") is not None  # and so it is resumable
        store._db.execute(
            "UPDATE runs SET writer_pid = 1, writer_host = 'elsewhere', heartbeat_at = ? WHERE id = ?",
            ("2000-01-01T00:00:00.000+00:00", live.id),
        )
        assert store.get_run(live.id).stale
        store.heartbeat(live.id)
        assert not store.get_run(live.id).stale  # a fresh heartbeat from another host: alive
        assert store.find_unfinished("h1") is None  # a live writer's run is not taken over
        store.set_status(live.id, RunStatus.FAILED, reason="failed: OSError: disk full")
        ended = store.get_run(live.id)
        assert ended.reason == "failed: OSError: disk full" and not ended.stale

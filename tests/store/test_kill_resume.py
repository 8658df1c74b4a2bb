"""A run killed with SIGKILL mid-way loses no completed work and never repeats a completed call."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from riskscope.core import Outcome
from riskscope.store import Store

pytestmark = pytest.mark.slow


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(db, timeout=5)
        try:
            return int(con.execute(sql).fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def test_kill_9_then_resume(tiny_suite: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", f"jsonl:{tiny_suite}", "--judge", "refusal",
           "--max-tokens", "48", "--store", str(db), "--out", str(tmp_path / "out"), "--progress", "none"]
    proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while _count(db, "SELECT COUNT(*) FROM verdicts") < 4:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()  # a stalled run still holds its pipes: communicate() would wait on it forever
            _out, err = proc.communicate(timeout=60)
            pytest.fail(f"run ended or stalled before the kill: rc={proc.returncode} {err.decode()[-2000:]}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    with Store(db) as store:
        [run] = store.list_runs()
        assert run.status.value == "running"  # killed: never marked complete
        before = store.verdicts(run.id)
        calls_before = store.call_counts(run.id)
    judged_before = len(before)
    assert 4 <= judged_before < 12, "the kill should land mid-run"

    done = subprocess.run([*cli[:4], "--resume", run.id, "--store", str(db), "--out", str(tmp_path / "out"),
                           "--progress", "none", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    with Store(db) as store:
        after = store.verdicts(run.id)
        counts = store.call_counts(run.id)
        assert store.get_run(run.id).status.value == "complete"
    assert len(after) == 12
    # No completed call was made twice, and every verdict from before the kill survived unchanged.
    assert all(n == 1 for n in counts.values()), counts
    assert len(counts) == 12
    for key, n in calls_before.items():
        assert counts[key] == n
    for item_id, verdicts in before.items():
        assert after[item_id] == verdicts
    assert all(v["refusal"].outcome in {Outcome.SAFE, Outcome.UNSAFE} for v in after.values())
    assert (tmp_path / "out" / run.id / "report.html").is_file()

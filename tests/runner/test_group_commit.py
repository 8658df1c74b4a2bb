"""Group commit: what finishes in one turn of the loop is committed together, and only then done.

A second connection to the same file reads what a kill -9 would leave: nothing of a turn's
results before its commit, all of them after, and nothing of a group whose commit failed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from riskscope.core import Response
from riskscope.runner._commits import GroupCommit
from riskscope.store import Store


def _committed_calls(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
    finally:
        con.close()


def test_one_turn_one_commit_then_done(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store(db) as store:
        run = store.create_run({}, "h", {})
        done: list[str] = []
        seen_at_done: list[int] = []

        def report(name: str) -> None:
            done.append(name)
            seen_at_done.append(_committed_calls(db))

        async def turn() -> tuple[int, list[str]]:
            commits = GroupCommit(store)
            for i in range(3):
                response = Response(text=f"answer {i}", latency_s=0.1)
                commits.add(
                    lambda s, i=i, r=response: s.put_response(run.id, f"i{i}", f"k{i}", r),
                    lambda i=i: report(f"i{i}"),
                )
            before = _committed_calls(db)  # still inside the turn: nothing written, nothing done
            done_before = list(done)
            await asyncio.sleep(0)  # the turn ends; its commit runs
            await asyncio.sleep(0)
            return before, done_before

        before, done_before = asyncio.run(turn())
    assert before == 0 and done_before == []
    assert done == ["i0", "i1", "i2"]
    assert seen_at_done == [3, 3, 3]  # each was reported only once all three were on disk


def test_a_failed_group_commits_nothing_and_raises(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store(db) as store:
        run = store.create_run({}, "h", {})
        done: list[str] = []

        def broken(s: Store) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        async def turn() -> GroupCommit:
            commits = GroupCommit(store)
            commits.add(lambda s: s.put_response(run.id, "i0", "k0", Response(text="ok")), lambda: done.append("i0"))
            commits.add(broken)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            return commits

        commits = asyncio.run(turn())
        assert isinstance(commits.failure, sqlite3.OperationalError)
        with pytest.raises(sqlite3.OperationalError):
            commits.add(lambda s: None)
        assert store.get_response("k0") is None
    assert _committed_calls(db) == 0 and done == []

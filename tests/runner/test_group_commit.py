"""Group commit: what finishes in one turn of the loop is committed together, and only then done.

A second connection to the same file reads what a kill -9 would leave: nothing of a turn's
results before its commit, all of them after, and nothing of a group whose commit failed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
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
            await asyncio.sleep(0)  # the turn ends; its batch goes to the writer thread
            commits.close()  # the end of a run: wait for the writer, report what it committed
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
            commits.close()
            return commits

        commits = asyncio.run(turn())
        assert isinstance(commits.failure, sqlite3.OperationalError)
        with pytest.raises(sqlite3.OperationalError):
            commits.add(lambda s: None)
        assert store.get_response("k0") is None
    assert _committed_calls(db) == 0 and done == []


def test_commits_run_off_the_loop_and_reports_on_it(tmp_path: Path) -> None:
    """The writer thread commits (the loop goes on calling meanwhile); done callbacks run on the loop
    thread, in commit order, while the run goes on, not only at its end."""
    db = tmp_path / "s.db"
    with Store(db) as store:
        run = store.create_run({}, "h", {})
        writers: set[int] = set()
        reports: list[tuple[int, int]] = []

        def write(s: Store, i: int) -> None:
            writers.add(threading.get_ident())
            s.put_response(run.id, f"i{i}", f"k{i}", Response(text=f"answer {i}"))

        async def run_turns() -> tuple[int, int]:
            commits = GroupCommit(store)
            for i in range(20):
                commits.add(lambda s, i=i: write(s, i), lambda i=i: reports.append((i, threading.get_ident())))
                await asyncio.sleep(0.005)  # one turn each
            reported_while_running = len(reports)
            commits.close()
            return threading.get_ident(), reported_while_running

        loop_thread, reported_while_running = asyncio.run(run_turns())
    assert writers and loop_thread not in writers
    assert [i for i, _ in reports] == list(range(20))
    assert {thread for _, thread in reports} == {loop_thread}
    assert reported_while_running > 0
    assert _committed_calls(db) == 20


def test_an_in_memory_store_commits_on_the_loop() -> None:
    with Store(":memory:") as store:
        run = store.create_run({}, "h", {})
        threads: list[int] = []

        async def turn() -> int:
            commits = GroupCommit(store)
            commits.add(
                lambda s: threads.append(threading.get_ident()) or s.put_response(run.id, "i", "k", Response(text="x"))
            )
            await asyncio.sleep(0)
            commits.close()
            return threading.get_ident()

        assert threads == [] and asyncio.run(turn()) == threads[0]
        assert store.get_response("k") is not None

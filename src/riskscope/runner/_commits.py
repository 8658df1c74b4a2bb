"""Group commit: the results that finish in one turn of the event loop share one SQLite commit.

At concurrency 128 a run finishes over a thousand items a second, and a commit per response and
per verdict cost about a fifth of the event loop's CPU per item (one thread drives every call, so
that CPU sets the pace). Results that land in the same turn of the loop are written together at
the end of it, in one transaction, with no timer: a batch is whatever finished meanwhile, never
a wait.

What "completed" means does not change: an item counts as done (progress, the run's stats) only
in the callback that runs after its commit, so a kill -9 loses nothing that was reported done;
what it can lose is the results of the current turn, which nothing has reported yet (the call is
made again on resume, as a call cut off mid-flight always was).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from riskscope.store import Store

Write = Callable[[Store], None]
Done = Callable[[], None]


class GroupCommit:
    """Writes buffered during one turn of the loop, committed together at its end, then reported."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._writes: list[Write] = []
        self._done: list[Done] = []
        self._scheduled = False
        self.failure: BaseException | None = None

    def add(self, write: Write, done: Done | None = None) -> None:
        """Buffer ``write`` for this turn's commit; ``done`` runs once it is committed."""
        if self.failure is not None:
            raise self.failure
        self._writes.append(write)
        if done is not None:
            self._done.append(done)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # kept for the workers to raise: a loop callback cannot
            self.failure = exc

    def flush(self) -> None:
        """Commit what is buffered now (the end of the run calls this too, however it ends)."""
        self._scheduled = False
        writes, done = self._writes, self._done
        self._writes, self._done = [], []
        if writes:
            with self._store.transaction():
                for write in writes:
                    write(self._store)
        for report in done:
            report()

"""Group commit: what finishes in one turn of the event loop shares one SQLite commit, made off the loop.

At concurrency 128 a run finishes over a thousand items a second, and a commit per response and
per verdict cost about a fifth of the event loop's CPU per item (one thread drives every call, so
that CPU sets the pace). Results that land in the same turn of the loop are handed over together
at the end of it, with no timer: a batch is whatever finished meanwhile, never a wait.

The commits themselves run on a writer thread with its own connection to the store file. Even
grouped, they held the loop for 16 % of a run's wall time at C = 128 (bench/throughput.py), in
stalls of up to 18 ms whenever SQLite checkpointed its write-ahead log; every call whose answer
arrived during a stall waited for it. sqlite releases the GIL while it works, so the writer runs
on another core while the loop goes on calling. When the writer falls behind, it commits every
batch waiting for it in one transaction, so its pace adapts to the load.

What "completed" means does not change: an item counts as done (progress, the run's stats) only in
the callback that runs on the loop after its commit, so a kill -9 loses nothing that was reported
done; what it can lose is results not yet committed, which nothing has reported yet (the call is
made again on resume, as a call cut off mid-flight always was). An in-memory store has no file for
a second connection: its commits stay on the loop, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable

from riskscope.store import Store

Write = Callable[[Store], None]
Done = Callable[[], None]
_Batch = tuple[list[Write], list[Done]]


class GroupCommit:
    """Writes buffered during one turn of the loop, committed together (off the loop), then reported.

    Call :meth:`close` once the run is over, however it ends: it commits what is buffered and
    waits for the writer, then reports what it committed.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._writes: list[Write] = []
        self._done: list[Done] = []
        self._scheduled = False
        self.failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: Store | None = None
        self._thread: threading.Thread | None = None
        self._batches: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._committed: deque[list[Done]] = deque()
        if str(store.path) != ":memory:":
            # Its own connection (one sqlite connection is not for two threads), of the same class.
            self._writer = type(store)(store.path)
            self._thread = threading.Thread(target=self._write_batches, name="riskscope-commits", daemon=True)
            self._thread.start()

    def add(self, write: Write, done: Done | None = None) -> None:
        """Buffer ``write`` for this turn's commit; ``done`` runs on the loop once it is committed."""
        if self.failure is not None:
            raise self.failure
        self._writes.append(write)
        if done is not None:
            self._done.append(done)
        if not self._scheduled:
            self._scheduled = True
            self._loop = asyncio.get_running_loop()
            self._loop.call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # kept for the workers to raise: a loop callback cannot
            self.failure = exc

    def flush(self) -> None:
        """Hand over (or, without a writer thread, commit) what is buffered now."""
        self._scheduled = False
        writes, done = self._writes, self._done
        self._writes, self._done = [], []
        if not writes and not done:
            return
        if self._thread is not None:
            if self.failure is None:
                self._batches.put((writes, done))
            return
        if writes:
            with self._store.transaction():
                for write in writes:
                    write(self._store)
        for report in done:
            report()

    def close(self) -> None:
        """Commit what is buffered, wait for the writer, report what it committed; raises nothing
        (a failure is in :attr:`failure`)."""
        try:
            self.flush()
        except Exception as exc:
            self.failure = self.failure or exc
        if self._thread is not None:
            self._batches.put(None)
            self._thread.join()
            self._thread = None
            self._report()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- the writer thread ------------------------------------------------------------------
    def _write_batches(self) -> None:
        writer = self._writer
        assert writer is not None
        stop = False
        while not stop:
            batches = [self._batches.get()]
            while True:  # everything already waiting goes into the same commit
                try:
                    batches.append(self._batches.get_nowait())
                except queue.Empty:
                    break
            stop = None in batches
            ready = [batch for batch in batches if batch is not None]
            if not ready or self.failure is not None:
                continue
            try:
                with writer.transaction():
                    for writes, _ in ready:
                        for write in writes:
                            write(writer)
            except BaseException as exc:  # nothing of these batches is on disk, and none is done
                self.failure = exc
                continue
            self._committed.append([report for _, done in ready for report in done])
            loop = self._loop
            if loop is not None and not stop:
                with contextlib.suppress(RuntimeError):  # a closed loop: close() reports what is left
                    loop.call_soon_threadsafe(self._report)

    def _report(self) -> None:
        """On the loop: the done callbacks of every committed batch, in commit order."""
        while self._committed:
            for report in self._committed.popleft():
                report()

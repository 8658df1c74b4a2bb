"""Progress display as a small Protocol: rich, plain, JSON lines, or silent.

rich is imported in this module only, and only when the rich display is chosen.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Protocol, TextIO


class Progress(Protocol):
    def start(self, total: int, done: int) -> None: ...

    def advance(self, *, cached: bool = False, failed: bool = False) -> None: ...

    def finish(self) -> None: ...


class SilentProgress:
    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, *, cached: bool = False, failed: bool = False) -> None:
        pass

    def finish(self) -> None:
        pass


class PlainProgress:
    """One line every ``every`` items: for logs and CI, where a live bar would be noise."""

    def __init__(self, stream: TextIO | None = None, every: int = 25, as_json: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.as_json = as_json
        self.total = 0
        self.done = 0
        self.cached = 0
        self.failed = 0
        self.first_result_s: float | None = None
        self._t0 = time.perf_counter()

    def start(self, total: int, done: int) -> None:
        self.total, self.done = total, done
        self._t0 = time.perf_counter()

    def advance(self, *, cached: bool = False, failed: bool = False) -> None:
        self.done += 1
        self.cached += cached
        self.failed += failed
        if self.first_result_s is None:
            self.first_result_s = time.perf_counter() - self._t0
        if self.done % self.every == 0 or self.done == self.total:
            self._emit()

    def _emit(self) -> None:
        elapsed = time.perf_counter() - self._t0
        state: dict[str, Any] = {
            "done": self.done,
            "total": self.total,
            "cached": self.cached,
            "failed": self.failed,
            "elapsed_s": round(elapsed, 2),
        }
        if self.as_json:
            print(json.dumps({"progress": state}), file=self.stream, flush=True)
        else:
            print(
                f"{self.done}/{self.total} items ({self.cached} cached, {self.failed} failed) in {elapsed:.1f}s",
                file=self.stream,
                flush=True,
            )

    def finish(self) -> None:
        pass


class RichProgress:
    """A live bar with done/total, rate and ETA."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as _RichBar

        self._bar = _RichBar(
            TextColumn("[bold]evaluating"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            transient=False,
        )
        self._task: Any = None
        self._t0 = time.perf_counter()
        self._new = 0
        self.first_result_s: float | None = None

    def start(self, total: int, done: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("run", total=total, completed=done, rate="")
        self._t0 = time.perf_counter()

    def advance(self, *, cached: bool = False, failed: bool = False) -> None:
        self._new += 1
        if self.first_result_s is None:
            self.first_result_s = time.perf_counter() - self._t0
        rate = self._new / max(time.perf_counter() - self._t0, 1e-9)
        self._bar.update(self._task, advance=1, rate=f"{rate:.1f} items/s")

    def finish(self) -> None:
        self._bar.stop()

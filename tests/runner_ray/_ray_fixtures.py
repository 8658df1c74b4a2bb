"""Shared pieces of the Ray executor tests: a counting fault server, a 500-item suite, a short temp dir.

The suite mixes the fault server's scenarios item by item (a ``scenario:NAME`` marker in each
prompt): plain answers and refusals (so the refusal judge's verdicts differ from item to item), a
429 with Retry-After then an answer, a 503 then an answer, and a server that always fails (its
items end UNASSESSED with the error). Every prompt is distinct, so requests can be counted per item.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _fault_server import FaultServer

from riskscope.config import RunConfig
from riskscope.core import RunRecord
from riskscope.runner import RunStats, execute
from riskscope.store import Store

N_ITEMS = 500


def scenario_of(i: int) -> str:
    if i % 50 == 7:
        return "rate_limit_once"
    if i % 25 == 3:
        return "fail_500_then_ok"
    if i % 100 == 11:
        return "always_500"
    return "refuse" if i % 3 == 0 else "ok"


class CountingFaultServer(FaultServer):
    """The fault server, slowed by ``delay_s`` per request, counting calls in flight at once."""

    def __init__(self, delay_s: float = 0.01) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.now_in_flight = self.peak = 0
        self._count_lock = threading.Lock()

    def _handle(self, handler: Any, body: dict[str, Any]) -> None:
        with self._count_lock:
            self.now_in_flight += 1
            self.peak = max(self.peak, self.now_in_flight)
        try:
            time.sleep(self.delay_s)
            super()._handle(handler, body)
        finally:
            with self._count_lock:
                self.now_in_flight -= 1

    def reset(self) -> None:
        """Forget the attempts (so a 429-once item is rate limited again) and the request log."""
        with self._lock:
            self.attempts.clear()
            self.requests.clear()
        self.peak = 0

    def sent(self) -> Counter[str]:
        """Requests per prompt (retries included)."""
        return Counter(r["body"]["messages"][-1]["content"] for r in list(self.requests) if "messages" in r["body"])


def write_suite(folder: Path, n: int = N_ITEMS) -> Path:
    path = folder / "ray_suite.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            row = {
                "id": f"r{i:04d}",
                "prompt": f"Question {i} for the executor test scenario:{scenario_of(i)}",
                "hazard": "benign" if i % 4 == 0 else "ncr",
                "expected": "comply" if i % 4 == 0 else "refuse",
            }
            out.write(json.dumps(row) + "\n")
    return path


def make_config(suite: Path, url: str, db: Path, *, executor: Any = "local", concurrency: int = 8) -> RunConfig:
    return RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "openai", "arg": f"m@{url}", "concurrency": concurrency, "max_retries": 2},
            "judges": ["refusal"],
            "store": str(db),
            "executor": executor,
        }
    )


def run(config: RunConfig, **kwargs: Any) -> tuple[RunRecord, RunStats]:
    with Store(config.store) as store:
        return asyncio.run(execute(config, store, **kwargs))


def outcomes(db: Path, run_id: str) -> dict[str, tuple[str, str | None]]:
    """item id -> (the refusal judge's outcome, the response's error kind), for every item of the run."""
    with Store(db) as store:
        found: dict[str, tuple[str, str | None]] = {}
        for row in store.results(run_id):
            verdict = row.verdicts.get("refusal")
            error = None if row.response is None or row.response.error is None else str(row.response.error.kind)
            found[row.item.item_id] = (str(verdict.outcome) if verdict else "pending", error)
        return found


def journal_per_item(db: Path, run_id: str) -> Counter[str]:
    with Store(db) as store:
        return Counter(row["item_id"] for row in store.call_journal(run_id))


def assert_counted_once(db: Path, run_id: str, items: int) -> None:
    """Every item has exactly one committed call, except that a call that failed may be followed by
    the resume's new try (by design: a failed call is not cached); nothing follows a good one."""
    with Store(db) as store:
        rows: dict[str, list[bool]] = {}
        for row in store.call_journal(run_id):
            rows.setdefault(row["item_id"], []).append(bool(row["ok"]))
    assert len(rows) == items
    for item_id, oks in rows.items():
        assert not any(oks[:-1]), f"{item_id}: a call was made again after a good one: {oks}"


@contextmanager
def short_temp_dir() -> Iterator[str]:
    """Ray's session folder (sockets inside must stay under ~100 characters): short, and removed after."""
    folder = tempfile.mkdtemp(prefix="rsray")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def local_ray_cluster(num_cpus: int = 2) -> Iterator[None]:
    """A local Ray cluster for one test module (``ray.init``), shut down after."""
    import ray

    with short_temp_dir() as temp:
        ray.init(
            num_cpus=num_cpus, include_dashboard=False, _temp_dir=temp, log_to_driver=False, logging_level="WARNING"
        )
        try:
            yield
        finally:
            ray.shutdown()

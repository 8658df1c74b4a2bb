"""Planning overlaps the first calls (issue 16), and the streamed plan is exactly the eager one.

No timing: the target looks into the store file on its first call, from a second connection as a
dashboard would, and finds only part of the run planned (perhaps none of it yet: the items are
committed by the commit writer, in order, ahead of their results); after the run every item is there
with the ids and ``seq`` that :func:`plan_items` gives.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from riskscope.config import Decoding, RunConfig
from riskscope.core import Message, Response
from riskscope.runner import execute, load_cases, plan_items
from riskscope.store import Store

N = 1100  # several chunks: one item per worker, then 256 at a time
CONCURRENCY = 4


class PeekingTarget:
    """Answers at once; on its first call, counts the items the store already holds."""

    name = "peeking"

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self.items_at_first_call: int | None = None

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        if self.items_at_first_call is None:
            with sqlite3.connect(self.store_path) as db:
                self.items_at_first_call = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        return Response(text=f"I cannot help with {messages[-1].content}")

    async def aclose(self) -> None:
        return None


def _config(tmp_path: Path) -> RunConfig:
    suite = tmp_path / "suite.jsonl"
    suite.write_text(
        "".join(json.dumps({"id": f"c{i}", "prompt": f"Question {i}?", "hazard": "ncr"}) + "\n" for i in range(N))
    )
    return RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "openai", "arg": "unused@http://127.0.0.1:9/v1", "concurrency": CONCURRENCY},
            "judges": ["refusal"],
            "store": str(tmp_path / "run.db"),
        }
    )


def test_the_first_call_starts_before_planning_ends_with_the_same_ids_and_seq(tmp_path: Path) -> None:
    config = _config(tmp_path)
    target = PeekingTarget(Path(config.store))
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store, target=target))
        stored = store._db.execute("SELECT item_id, seq FROM items WHERE run_id = ? ORDER BY seq", (run.id,)).fetchall()
        judged = store.judged_items(run.id, ["refusal"])
    assert target.items_at_first_call is not None and target.items_at_first_call < N
    expected = [(item.item_id, item.seq) for item in plan_items(config, load_cases(config))]
    assert stored == expected
    assert len(judged) == N and stats.planned == N and run.total_items == N


def test_a_resumed_run_plans_as_before_and_calls_nothing_judged(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with Store(config.store) as store:
        first, _ = asyncio.run(execute(config, store, target=PeekingTarget(Path(config.store))))
        again, stats = asyncio.run(execute(config, store, resume=first.id, target=PeekingTarget(Path(config.store))))
    assert again.id == first.id and stats.already_done == N and stats.called == 0

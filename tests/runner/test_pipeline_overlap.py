"""Judging runs beside the target calls: a slow judge does not hold up the next call.

No timing: the judge below refuses to answer until the target has been called more times than
there are workers, which a pipeline that judged each response before its next call could never
reach (it would wait forever; the test's timeout turns that into a failure).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from riskscope.config import Decoding, PluginSpec, RunConfig
from riskscope.core import Message, Outcome, Response, TestCase, Verdict
from riskscope.judges import judge
from riskscope.runner import execute
from riskscope.store import Store

CONCURRENCY = 2


class CountingTarget:
    """An in-process system under test (like the `callable` target) that counts its calls."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0
        self.enough = asyncio.Event()

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        self.calls += 1
        if self.calls > CONCURRENCY:
            self.enough.set()
        return Response(text=f"An answer to: {messages[-1].content}")

    async def aclose(self) -> None:
        return None


TARGET = CountingTarget()


class WaitingJudge:
    """Gives no verdict until the target has had more calls than there are workers."""

    name = "waits-for-calls"
    version = "1"

    def __init__(self, spec: PluginSpec) -> None:
        self.spec = spec

    async def judge(self, case: TestCase, response: Response) -> Verdict:
        await TARGET.enough.wait()
        return Verdict(outcome=Outcome.SAFE, judge=self.name)


judge("waits-for-calls", "test judge: blocks until calls overtake workers")(WaitingJudge)


def _config(suite: Path, tmp_path: Path, judge_name: str) -> RunConfig:
    """The target spec is never called: each test passes its own in-process target to execute()."""
    return RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "openai", "arg": "unused@http://127.0.0.1:9/v1", "concurrency": CONCURRENCY},
            "judges": [judge_name],
            "store": str(tmp_path / "s.db"),
        }
    )


def test_a_blocked_judge_does_not_stop_the_next_calls(tiny_suite: Path, tmp_path: Path) -> None:
    config = _config(tiny_suite, tmp_path, "waits-for-calls")

    async def run() -> None:
        with Store(config.store) as store:
            record, stats = await asyncio.wait_for(execute(config, store, target=TARGET), timeout=60)
            assert record.status.value == "complete"
            assert stats.called == TARGET.calls == len(store.verdicts(record.id))

    asyncio.run(run())
    assert TARGET.calls > CONCURRENCY


def test_a_judge_that_crashes_the_store_write_stops_the_run(tiny_suite: Path, tmp_path: Path) -> None:
    """A failure while finishing an item is not swallowed: the run ends failed with its reason, not complete."""
    config = _config(tiny_suite, tmp_path, "refusal")

    class BrokenStore(Store):
        def put_verdicts(self, *args: object, **kwargs: object) -> None:
            raise OSError("disk full")

    async def run() -> None:
        with BrokenStore(config.store) as store:
            with pytest.raises(OSError, match="disk full"):
                await execute(config, store, target=CountingTarget())
            [record] = store.list_runs()
            assert record.status.value == "failed"
            assert record.reason is not None and "OSError: disk full" in record.reason

    asyncio.run(run())

"""The episode loop itself: a plain item is the one-step episode, and a strategy's loop is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from riskscope.config import Decoding, RunConfig
from riskscope.core import EpisodeEnd, Message, PlainStrategy, Response, Step, StepRequest, TestCase
from riskscope.judges import build_judge
from riskscope.runner import execute, plan_items
from riskscope.runner._episodes import MAX_STEPS, EpisodeRunner, ModelSlot
from riskscope.store import Store
from riskscope.targets import AdaptiveLimiter


class EchoTarget:
    """In-process system under test: answers with the last user message, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        self.calls += 1
        return Response(text=f"You said: {messages[-1].content}")

    async def aclose(self) -> None:
        return None


class Forever:
    """A broken strategy that never ends: the runner's step bound stops it."""

    spec = "forever"

    def judge_specs(self) -> dict[str, str]:
        return {}

    def attacker_spec(self) -> str | None:
        return None

    def next_step(
        self, case: TestCase, opening: tuple[Message, ...], steps: Sequence[Step]
    ) -> StepRequest | EpisodeEnd:
        return StepRequest(kind="target", messages=opening)


def _config(tiny_suite: Path, tmp_path: Path) -> RunConfig:
    return RunConfig.model_validate(
        {
            "suites": [f"jsonl:{tiny_suite}"],
            "target": {"name": "openai", "arg": "unused@http://127.0.0.1:9/v1", "concurrency": 1},
            "judges": ["refusal"],
            "limit": 2,
            "store": str(tmp_path / "s.db"),
        }
    )


def test_a_plain_item_is_the_one_step_episode(tiny_suite: Path, tmp_path: Path) -> None:
    config = _config(tiny_suite, tmp_path)
    target = EchoTarget()
    with Store(config.store) as store:
        run, _stats = asyncio.run(execute(config, store, target=target))
        rows = list(store.results(run.id))
        item = rows[0].item
        assert [i.item_id for i in plan_items(config, [r.item.variant.case for r in rows])] == [
            r.item.item_id for r in rows
        ]
        episodes = EpisodeRunner(
            store, "episode-run", ModelSlot(target, config.target, AdaptiveLimiter(1)), config.decoding, {}
        )
        answer, calls = asyncio.run(episodes.run(item, PlainStrategy(), build_judge))
        [step] = store.steps("episode-run", item.item_id)
    # The same request under the same cache key as the plain path, and the same answer.
    assert calls == 1 and step.cache_key == item.cache_key and step.messages == item.variant.messages
    assert isinstance(answer, Response) and rows[0].response is not None
    assert answer.text == rows[0].response.text


def test_a_strategy_that_never_ends_is_stopped_and_unassessed(tiny_suite: Path, tmp_path: Path) -> None:
    config = _config(tiny_suite, tmp_path)
    target = EchoTarget()
    with Store(config.store) as store:
        item = next(plan_items(config, [TestCase.from_prompt("Hello there", id="h-1")]))
        episodes = EpisodeRunner(store, "r", ModelSlot(target, config.target, AdaptiveLimiter(1)), config.decoding, {})
        answer, calls = asyncio.run(episodes.run(item, Forever(), build_judge))
    assert answer == f"episode stopped after {MAX_STEPS} steps without ending (forever)"
    assert calls == target.calls == MAX_STEPS

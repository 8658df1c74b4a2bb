"""Episodes on Ray: a multi-turn attack or an agent episode runs on one worker, step by step to the driver.

An episode is one unit (``DESIGN.md``: one asyncio task locally, one actor call on Ray): it is played
by the same :class:`~riskscope.runner._episodes.EpisodeRunner` as locally, inside one ``RayWorker``
actor that built its own target (and builds the strategy's attacker, emulator and judges as a local
run does). Only where a step is committed differs: the worker's runner writes to a
:class:`StepStream` (the runner's ``StepSink`` seam) instead of the store, and the actor method is a
Ray *streaming generator* that yields each event as it happens. The driver, the store's single
writer, commits each one as it lands: a step (``put_step``, with its call journaled), a model call
that failed after its retries (journaled, not a step), the ended episode's answer (cached under the
item's key), and at last the verdicts the worker's judges gave, committed as for any item. The driver
acknowledges each event it committed (``ack``, fire and forget) and the worker makes its next model
call only once every event before it is acknowledged: so, as with a local kill -9, a dead driver
costs at most the call in flight per episode, and its workers make no call the driver cannot commit
while Ray reaps them.

Why a streaming generator rather than a queue actor the worker pushes to: the stream belongs to the
one call, so events arrive in the order they happened (the committed steps are always a prefix of
the worker's), a worker that dies breaks exactly that stream with a Ray error the driver already
knows how to handle (the item path's), and no extra actor has to live, restart or be drained.

Resume and lost workers both reduce to "send the committed steps": the driver reads the item's
committed steps from the store and hands them to the worker, whose runner continues from them as a
local resume does (the strategy is a pure function of the steps; an agent's environment is rebuilt by
replaying the committed tool calls), so no committed call is repeated. A worker lost mid-episode has
the episode re-issued once, from its last committed step, to a live actor; lost twice, the item is
UNASSESSED with that reason and its committed steps stay for a later resume.

Backpressure and limits: the driver holds one slot of the target's limiter per episode in flight (so
at most ``concurrency`` episodes run cluster-wide, as locally); each model call goes through the
worker's gate, and the 429s a target step met are fed to the driver's limiter as its step lands. An
attacker or emulator that is not the target has a limiter per worker (locally: one per run).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskscope.agents import case_strategy_spec, episode_strategies
from riskscope.core import EpisodeJudge, EpisodeStrategy, Response, Step, Verdict
from riskscope.store import ItemRow

if TYPE_CHECKING:
    from riskscope.attacks import AttackChain
    from riskscope.config import RunConfig
    from riskscope.judges import Judge
    from riskscope.runner._ray import RayDriver
    from riskscope.targets import AdaptiveLimiter, Target

__all__ = ["EpisodeAnswer", "EpisodeHost", "EpisodeOver", "RayEpisodes", "StepDone", "StepFailed", "StepStream"]


@dataclass(frozen=True)
class StepDone:
    """A completed step, for the driver to commit (``put_step``)."""

    step: Step


@dataclass(frozen=True)
class StepFailed:
    """A model call that failed after its retries: journaled, not a step (a resume tries it again)."""

    cache_key: str
    response: Response


@dataclass(frozen=True)
class EpisodeAnswer:
    """The ended episode's answer (transcript in its metadata), cached under the item's key."""

    response: Response


@dataclass(frozen=True)
class EpisodeOver:
    """The last event: the episode's outcome, the model calls this attempt made, and the verdicts."""

    outcome: Response | str
    calls: int
    verdicts: dict[str, Verdict]


Event = StepDone | StepFailed | EpisodeAnswer | EpisodeOver


class StepStream:
    """The worker's step sink: the committed steps it was sent, a queue of what happened since, and
    how many of those events the driver has committed (it acknowledges each)."""

    def __init__(self, committed: list[Step]) -> None:
        self._committed = committed
        self.events: asyncio.Queue[Event | BaseException] = asyncio.Queue()
        self.produced = self.acked = 0
        self._progress = asyncio.Condition()

    def _put(self, event: Event) -> None:
        self.produced += 1
        self.events.put_nowait(event)

    async def ack(self, count: int) -> None:
        """The driver has committed ``count`` events (acks may arrive out of order: the most wins)."""
        async with self._progress:
            self.acked = max(self.acked, count)
            self._progress.notify_all()

    async def settled(self) -> None:
        """Wait until the driver has committed every event so far (before the next model call)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.acked >= self.produced)

    def steps(self, run_id: str, item_id: str) -> list[Step]:
        return list(self._committed)

    def put_step(self, run_id: str, item_id: str, step: Step) -> None:
        self._put(StepDone(step))

    def journal_failed_step(self, run_id: str, item_id: str, cache_key: str, response: Response) -> None:
        self._put(StepFailed(cache_key, response))

    def put_episode_result(self, cache_key: str, response: Response) -> None:
        self._put(EpisodeAnswer(response))


def is_episode(item: ItemRow, episode_chains: frozenset[str]) -> bool:
    """Is this item played as an episode (a multi-turn attack's variant, an agent or simuser case)?"""
    if item.variant.lineage and item.variant.attack in episode_chains:
        return True
    return case_strategy_spec(item.variant.case) is not None


class EpisodeHost:
    """A worker's side: one episode runner setting per actor (attackers and strategy judges built once
    and shared by its episodes), one :class:`StepStream` per episode."""

    def __init__(
        self,
        config: RunConfig,
        target: Target,
        gate: AdaptiveLimiter,
        judges: dict[str, Judge],
        chains: dict[str, AttackChain],
    ) -> None:
        from riskscope.runner._episodes import ModelSlot

        self._config, self._judges, self._chains = config, judges, chains
        self._slot = ModelSlot(target, config.target, gate)
        self._episode_judges: dict[str, EpisodeJudge] = dict(judges)
        self._attackers: dict[str, Any] = {}
        self._built: list[EpisodeJudge] = []
        self._agent_strategies: dict[str, EpisodeStrategy] = {}
        self._streams: dict[str, StepStream] = {}

    async def ack(self, token: str, count: int) -> None:
        """The driver committed ``count`` events of the episode call ``token`` (gone: nothing to do)."""
        stream = self._streams.get(token)
        if stream is not None:
            await stream.ack(count)

    def strategy(self, item: ItemRow) -> EpisodeStrategy:
        """The item's strategy, found as a local run finds it (the chain's, else the case's own)."""
        chain = self._chains.get(item.variant.attack) if item.variant.lineage else None
        found = None if chain is None else chain.episode
        if found is not None:
            return found
        spec = case_strategy_spec(item.variant.case)
        if spec is None:
            raise RuntimeError(f"item {item.item_id} is not an episode")
        if spec not in self._agent_strategies:
            self._agent_strategies.update(episode_strategies([item.variant.case]))
        return self._agent_strategies[spec]

    async def play(self, item: ItemRow, committed: list[Step], token: str) -> AsyncIterator[Event]:
        """Play (or continue, from ``committed``) one episode, yielding each event as it happens; each
        model call waits until the driver has acknowledged every event before it (``ack``)."""
        from riskscope.judges import build_judge
        from riskscope.runner._episodes import EpisodeRunner
        from riskscope.runner._pipeline import _judge_all

        sink = self._streams[token] = StepStream(committed)
        runner = EpisodeRunner(
            sink,
            "",  # the sink ignores it: the driver knows the run
            self._slot,
            self._config.decoding,
            judges=self._episode_judges,
            attackers=self._attackers,
            built_judges=self._built,
            before_call=sink.settled,
        )
        strategy = self.strategy(item)

        async def whole() -> None:
            try:
                outcome, calls = await runner.run(item, strategy, build_judge)
                if isinstance(outcome, str):  # an attacker or judge failed: nothing learnt
                    verdicts = {k: Verdict.unassessed(k, outcome, version=j.version) for k, j in self._judges.items()}
                else:
                    chain = self._chains.get(item.variant.attack) if item.variant.lineage else None
                    verdicts = await _judge_all(self._judges, item.variant.case, outcome, chain)
                sink.events.put_nowait(EpisodeOver(outcome, calls, verdicts))
            except BaseException as exc:  # re-raised by the generator: the driver sees the worker's error
                sink.events.put_nowait(exc)
                raise

        task = asyncio.create_task(whole())
        try:
            while True:
                event = await sink.events.get()
                if isinstance(event, BaseException):
                    raise event
                yield event
                if isinstance(event, EpisodeOver):
                    return
        finally:
            del self._streams[token]
            if not task.done():  # the driver went away: stop the episode's calls
                task.cancel()


class RayEpisodes:
    """The driver's side: hand an episode to one actor, commit its events as they land."""

    def __init__(self, driver: RayDriver) -> None:
        self.driver = driver
        self.episode_chains = frozenset(spec for spec, chain in driver.chains.items() if chain.episode is not None)

    def pending(self, item: ItemRow) -> bool:
        """An episode with no answer cached yet (a cached one is judged like any item)."""
        return is_episode(item, self.episode_chains) and self.driver.store.get_response(item.cache_key) is None

    async def play(self, item: ItemRow, lost: tuple[type[BaseException], ...]) -> None:
        """Run one episode on a worker (re-issued once if the worker is lost) and commit it."""
        driver = self.driver
        errors: list[str] = []
        for attempt in range(2):
            index = driver._pick() if attempt == 0 else await driver._live_actor(lost)
            # What is committed now (a resume's steps, or what a lost worker streamed before it died).
            committed = driver.store.steps(driver.run.id, item.item_id)
            actor, token, landed = driver.actors[index], uuid.uuid4().hex, 0
            driver.loads[index] += 1
            try:
                stream = actor.episode.options(num_returns="streaming").remote(item, committed, token)
                async for ref in stream:
                    event: Event = await ref
                    if isinstance(event, EpisodeOver):
                        self._finish(item, event)
                        return
                    self._commit(item, event)
                    landed += 1
                    actor.ack.remote(token, landed)  # fire and forget: the worker waits for it to call again
                raise RuntimeError(f"the worker's stream of episode {item.item_id} ended without its outcome")
            except lost as exc:
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200])
                driver._lost(index)
                driver.reissued += 1
            finally:
                driver.loads[index] -= 1
        driver.reissued -= 1  # the second loss was not re-issued
        reason = f"ray worker lost twice ({'; '.join(errors)})"
        self._finish(item, EpisodeOver(reason, 0, self._unassessed(reason)))

    def _unassessed(self, reason: str) -> dict[str, Verdict]:
        return {k: Verdict.unassessed(k, reason, version=j.version) for k, j in self.driver.judges.items()}

    def _commit(self, item: ItemRow, event: Event) -> None:
        driver = self.driver
        store, run_id = driver.store, driver.run.id
        if isinstance(event, StepDone):
            store.put_step(run_id, item.item_id, event.step)
            if event.step.kind == "target" and event.step.response is not None:
                self._heard(event.step.response)
        elif isinstance(event, StepFailed):
            store.journal_failed_step(run_id, item.item_id, event.cache_key, event.response)
        elif isinstance(event, EpisodeAnswer):
            store.put_episode_result(item.cache_key, event.response)

    def _heard(self, response: Response) -> None:
        """A target call's 429s and success, heard by the cluster's one limiter."""
        from riskscope.runner._ray import throttles_of

        for _ in range(throttles_of(response)):
            self.driver.limiter.on_throttle()
        if response.ok:
            self.driver.limiter.on_success()

    def _finish(self, item: ItemRow, over: EpisodeOver) -> None:
        from riskscope.runner._pipeline import commit_verdicts

        driver, stats = self.driver, self.driver.stats
        outcome = over.outcome
        if isinstance(outcome, Response) and not outcome.ok:  # the target's own failure ended it
            self._heard(outcome)
        stats.called += over.calls
        failed = isinstance(outcome, str) or not outcome.ok
        stats.failed += failed
        commit_verdicts(driver.store, driver.run.id, item.item_id, over.verdicts)
        if stats.first_result_s is None:
            stats.first_result_s = time.perf_counter() - driver.t0
        driver.progress.advance(cached=False, failed=failed)

"""The Ray executor: the same pending items as a local run, called and judged by async Ray actors.

What runs where:

- The **driver** (the ``riskscope run`` process) plans exactly as a local run does (same item ids,
  cache keys, store) and stays the single writer of the SQLite store: each item's response and
  verdicts go to its commit writer the moment that item's result arrives (the results of one turn
  of its event loop share a commit, made on a thread of the driver: runner/_commits.py), so a
  kill -9 of the driver loses only the items in flight or not yet committed (none of them counted
  done), and a resume (local or on Ray) re-calls nothing committed.
- **Actors** (``RayWorker``, one per CPU of the cluster unless ``executor.actors`` says otherwise)
  each build the target and the judges from the run's config and hold many items in flight at
  once. Items travel in **batches**: one actor call takes every item the driver has for that actor
  at that moment, makes each item's target call (through the one call wrapper: retries,
  Retry-After, redaction, deadline) and judges the answer, all concurrently, and streams the
  results back as they complete (an async generator: each yield carries the results finished since
  the last one). One remote call, one object and one reply per batch or chunk instead of per item
  is most of what a Ray item cost (issue 16: measured in docs/scale.md).

Backpressure and the one limit per target: the driver owns the run's ``AdaptiveLimiter`` and holds
one of its slots for each item it has handed to an actor, so the whole cluster never has more than
``limit`` items of the target in flight. Actors retry a 429 themselves (honouring Retry-After) but
never shrink a limit of their own; they report how many 429s an item met with its result and the
driver feeds them to its limiter (halving on a 429, growing back on success streaks), so the limit
is the cluster's, not each worker's. Each actor also has a bounded number of slots, and the driver
hands an item to the least-loaded actor. A slot is held from the item's hand-over until its result
is handed to the commit writer, so a batch is never larger than the free slots.

A dead worker or node: the Ray error of a batch in flight on it (the actor restarts, on any node)
makes the driver re-issue, once, the batch's items whose results had not arrived; if the re-issue
fails too, those items' verdicts are UNASSESSED with that reason and no response is committed, so a
later resume tries them again. An item is committed once, by the driver, whichever attempt
delivered it.

Multi-turn attacks and agent episodes run as one unit on one actor, which streams each step back
for the driver to commit as it lands (``riskscope.runner._ray_episodes``; the hook here is
``RayWorker.episode`` and one branch in the driver's feeder).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from riskscope.core import EpisodeStrategy, ErrorKind, Response, RunRecord, Step, Variant, Verdict
from riskscope.errors import ConfigError
from riskscope.runner._commits import GroupCommit
from riskscope.store import HEARTBEAT_S, ItemRow, Store
from riskscope.targets import AdaptiveLimiter, Redactor, RetryPolicy, Target, call_target, targets

if TYPE_CHECKING:
    from riskscope.attacks import AttackChain
    from riskscope.config import ExecutorConfig, RunConfig
    from riskscope.judges import Judge
    from riskscope.runner._pipeline import RunStats
    from riskscope.runner._ray_episodes import EpisodeHost, Event, RayEpisodes
    from riskscope.runner.progress import Progress

__all__ = ["RayDriver", "RayWorker", "check_ray_run", "import_ray"]

SLACK_PER_ACTOR = 2
"""Slots an actor has beyond its share of the limit, so a restarted or slow actor's share can move."""


PING_S = 5.0
"""An actor that cannot say its pid in this long is not given a re-issue (its node may be gone)."""
ACTOR_START_S = 300.0
"""How long the actors may take to start (a cold node imports riskscope, a judge may load a model)."""
RECENTLY_LOST_S = 10.0
"""How long an actor that lost an item is avoided (while Ray restarts it), when another can take the item."""


def import_ray() -> Any:
    """Ray, or the one line that says how to get it (Ray is an extra, imported only when asked)."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("the ray executor needs Ray: pip install 'riskscope[ray]'") from exc
    return ray


RAY_CLIENT_REFUSED = (
    "the ray executor cannot run through Ray Client (a ray:// address): Ray Client does not carry the "
    "streaming results its workers send (Ray 2.60 hands an actor's streaming generator back as a plain "
    "object ref). Run the driver on the cluster instead: `ray job submit --address http://HEAD:8265 -- "
    "riskscope run ... --executor ray --ray-address auto`, or on any node of it with --ray-address auto "
    "(or HEAD:6379)"
)


def check_ray_run(
    chains: dict[str, AttackChain],
    agent_strategies: Mapping[str, EpisodeStrategy],
    target: Target | None,
    address: str | None = None,
) -> None:
    """Refuse, before a run exists, what the Ray executor cannot run (episodes it runs: see ``_ray_episodes``)."""
    if target is not None:
        raise ConfigError("the ray executor builds its targets from the config in each worker; pass no target object")
    joining = address if address is not None else os.environ.get("RAY_ADDRESS", "")
    if joining.strip().lower().startswith("ray://"):
        raise ConfigError(RAY_CLIENT_REFUSED)
    import_ray()


def throttles_of(response: Response) -> int:
    """How many 429s this item met (each retried one, and a final one): what the driver's limiter hears."""
    count = sum(1 for attempt in response.retries if attempt.kind is ErrorKind.RATE_LIMITED)
    return count + (response.error is not None and response.error.kind is ErrorKind.RATE_LIMITED)


WireItem = tuple[int, str, str | None]
"""An item as a batch carries it: its place in the batch, its variant and its known answer (or
None) as JSON. Only what the worker uses crosses the wire (not the item id, cache key or persona).

JSON, not the models themselves: Ray pickles arguments and results with cloudpickle, whose
per-object hook makes a pydantic model about 10 x dearer to send than its JSON text (≈ 26 µs
against 2 µs for a variant, measured with /tmp-only timeit runs), and strings skip that hook.
The store keeps the same JSON, so the round trip is the one every resume already relies on."""
WireResult = tuple[int, str, dict[str, str], bool]
"""An item's result as a chunk carries it: its place in the batch, the response and each judge's
verdict as JSON, and whether a call was made."""


class _CountOnlyGate(AdaptiveLimiter):
    """A worker's gate: a fixed number of slots, never narrowed by a 429 (the driver owns the limit)."""

    def on_throttle(self) -> None:
        self.throttle_events += 1


class RayWorker:
    """One actor: the target and the judges built once, many items in flight (an async actor)."""

    def __init__(self, config: RunConfig, slots: int) -> None:
        from riskscope.judges import build_judge
        from riskscope.runner._pipeline import build_chains

        self._config = config
        self._judges: dict[str, Judge] = {str(spec): build_judge(spec) for spec in config.judges}
        self._chains = build_chains(config)
        self._gate = _CountOnlyGate(slots)
        self._policy = RetryPolicy(max_retries=config.target.max_retries)
        self._redact = Redactor.for_target(config.target)
        self._deadline_s = config.target.connect_timeout_s + 2 * config.target.read_timeout_s + 1.0
        self._target: Target | None = None
        self._episodes: EpisodeHost | None = None

    async def run_batch(self, batch: list[WireItem]) -> AsyncIterator[list[WireResult]]:
        """Call and judge every item of ``batch`` at once; yield the results as they complete.

        Each yield is a list of the results finished since the last one (a chunk): one Ray object
        per chunk, not per item. The items' own concurrency is bounded by this actor's gate (its
        slots), and a cancelled batch (its driver gone) cancels its items.
        """
        finished: asyncio.Queue[WireResult | BaseException] = asyncio.Queue()

        async def one(pos: int, variant_json: str, known_json: str | None) -> None:
            try:
                variant = Variant.model_validate_json(variant_json)
                known = None if known_json is None else Response.model_validate_json(known_json)
                response, verdicts, called = await self._process(variant, known)
                wire = {key: verdict.model_dump_json() for key, verdict in verdicts.items()}
                finished.put_nowait((pos, response.model_dump_json(), wire, called))
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # a bug, not a lost worker: the driver's run fails with it
                finished.put_nowait(exc)

        tasks = [asyncio.create_task(one(*wire)) for wire in batch]
        try:
            left = len(batch)
            while left:
                chunk: list[WireResult] = []
                result = await finished.get()
                while True:
                    if isinstance(result, BaseException):
                        raise result
                    chunk.append(result)
                    if finished.empty():
                        break
                    result = finished.get_nowait()
                left -= len(chunk)
                yield chunk
        finally:
            for task in tasks:
                task.cancel()

    async def _process(self, variant: Variant, known: Response | None) -> tuple[Response, dict[str, Verdict], bool]:
        """Call the target for ``variant`` (unless its answer is ``known``) and judge the answer.

        Returns the response, the verdicts, and whether a call was made.
        """
        from riskscope.runner._pipeline import _judge_all

        called = known is None
        response = known
        if response is None:
            if self._target is None:
                self._target = targets.get(self._config.target.name)(self._config.target)
            response = await call_target(
                self._target,
                variant.messages,
                self._config.decoding,
                self._gate,
                self._policy,
                redact=self._redact,
                deadline_s=self._deadline_s,
            )
        chain = self._chains.get(variant.attack) if variant.lineage else None
        verdicts = await _judge_all(self._judges, variant.case, response, chain)
        return response, verdicts, called

    async def episode(self, item: ItemRow, committed: list[Step], token: str) -> AsyncIterator[Event]:
        """Play one episode from its ``committed`` steps, streaming each step to the driver (a Ray
        streaming generator: the driver commits every event as it lands and acknowledges it)."""
        from riskscope.runner._ray_episodes import EpisodeHost

        if self._target is None:
            self._target = targets.get(self._config.target.name)(self._config.target)
        if self._episodes is None:
            self._episodes = EpisodeHost(self._config, self._target, self._gate, self._judges, self._chains)
        async for event in self._episodes.play(item, committed, token):
            yield event

    async def ack(self, token: str, count: int) -> None:
        """The driver has committed ``count`` events of the episode call ``token``."""
        if self._episodes is not None:
            await self._episodes.ack(token, count)

    def pid(self) -> int:
        """The worker process's id (tests kill it to prove a lost worker loses no item)."""
        return os.getpid()

    def cpu_s(self) -> float:
        """This worker process's CPU seconds so far (the driver reports the pool's total)."""
        return time.process_time()

    def node(self) -> str:
        """The id of the Ray node this actor runs on (tests check the pool spreads over nodes)."""
        import ray

        return str(ray.get_runtime_context().get_node_id())


def _connect(ray: Any, executor: ExecutorConfig) -> bool:
    """Join (or start) the cluster unless this process already has; True when we must shut it down."""
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": "WARNING"}
    if executor.address is None:
        options["include_dashboard"] = False
    ray.init(address=executor.address, **options)
    return True


def _through_ray_client() -> bool:
    """Whether this process is joined to its cluster through Ray Client (ray://)."""
    from ray.util.client import ray as client

    return bool(client.is_connected())  # type: ignore[no-untyped-call]


def _alive_nodes(ray: Any) -> list[str]:
    """The ids of the cluster's alive nodes (sorted)."""
    return sorted(node["NodeID"] for node in ray.nodes() if node.get("Alive"))


def deal_over_nodes(cpus: Mapping[str, float], count: int) -> list[str]:
    """``count`` actors dealt over the nodes in proportion to their CPUs, in turn (A:2, B:1 gives
    A, B, A, A, B, A, ...); nodes without CPUs (a KubeRay head) only when no node has any."""
    nodes = sorted(cpus)
    rounds = max((int(c) for c in cpus.values()), default=0)
    order = [node for r in range(rounds) for node in nodes if cpus[node] > r] or nodes
    return [order[i % len(order)] for i in range(count)]


def _retryable_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """The Ray errors that mean "the worker, its node or the result was lost", not "the code raised"."""
    # ActorUnschedulableError: a pinned actor whose node is gone (``RayDriver._lost`` replaces it).
    names = (
        "RayActorError",
        "ActorUnschedulableError",
        "WorkerCrashedError",
        "NodeDiedError",
        "ObjectLostError",
        "OwnerDiedError",
    )
    return tuple(getattr(ray.exceptions, name) for name in names if hasattr(ray.exceptions, name))


_Job = tuple[ItemRow, Response | None, str | None]
"""An item on the driver while it is out: the item, its known answer, and why its first actor was
lost (None until it has been)."""


class RayDriver:
    """The driver's side: pool of actors, one limiter, and the store's single writer."""

    def __init__(
        self,
        config: RunConfig,
        store: Store,
        run: RunRecord,
        judges: dict[str, Judge],
        chains: dict[str, AttackChain],
        limiter: AdaptiveLimiter,
        progress: Progress,
        stats: RunStats,
        t0: float,
    ) -> None:
        self.config, self.store, self.run, self.judges, self.chains = config, store, run, judges, chains
        self.limiter, self.progress, self.stats, self.t0 = limiter, progress, stats, t0
        self.actors: list[Any] = []
        self.actor_nodes: list[str] = []
        self.replaced = 0
        self._ray: Any = None
        self._slots = 0
        self.loads: list[int] = []
        self.outboxes: list[list[_Job]] = []
        self.lost_at: list[float] = []
        self.reissued = 0
        self.batches = self.chunks = 0  # actor calls and result chunks: the bench's items per call
        self.commits: GroupCommit | None = None  # the store's writer thread, while drive() runs

    def _start_pool(self, ray: Any) -> None:
        concurrency = self.config.target.concurrency
        wanted = self.config.executor.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        count = min(wanted, concurrency)
        slots = math.ceil(concurrency / count) + SLACK_PER_ACTOR
        # No CPU reserved: the actors wait on the network, and a replacement (its node died) must fit
        # on any node left; a dead one restarts, its calls fail fast and the driver re-issues them.
        self._ray, self._slots = ray, slots
        cpus = {node["NodeID"]: float(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node.get("Alive")}
        # Dealt over the alive nodes by their CPUs, each actor *pinned* (a hard NodeAffinity): a soft
        # one was not honoured (Ray put both actors of a two-node pool on one node in most runs). A
        # pinned actor restarts on its node when its process dies; when its node is gone, ``_lost``
        # replaces it by one on a node left.
        self.actor_nodes = deal_over_nodes(cpus, count)
        self.actors = [self._spawn(i, node) for i, node in enumerate(self.actor_nodes)]
        self.loads = [0] * count
        self.lost_at = [-RECENTLY_LOST_S] * count
        self.stats.extra.update({"ray_actors": float(count), "ray_slots_per_actor": float(slots)})

    def _spawn(self, index: int, node: str) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        # Named after the run (and this driver: a resumed run's old actors may still be reaped), so an
        # operator (or a test) can find a run's workers on the cluster; a replacement gets a new name.
        name = f"riskscope-{self.run.id}-{os.getpid()}-{index}" + (f"r{self.replaced}" if self.actors else "")
        return (
            self._ray.remote(RayWorker)
            .options(
                name=name,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node, soft=False),
                num_cpus=0,
                max_concurrency=self._slots,
                max_restarts=-1,
                max_task_retries=0,
            )
            .remote(self.config, self._slots)
        )

    def _lost(self, index: int) -> None:
        """Actor ``index`` lost a call: avoid it for a while, and replace it if its node is gone (a
        pinned actor cannot restart elsewhere) by one pinned to the alive node with fewest actors."""
        self.lost_at[index] = time.monotonic()
        alive = _alive_nodes(self._ray)
        if self.actor_nodes[index] in alive or not alive:
            return
        node = min(alive, key=lambda n: (self.actor_nodes.count(n), n))
        self._ray.kill(self.actors[index], no_restart=True)
        self.replaced += 1
        self.actors[index], self.actor_nodes[index] = self._spawn(index, node), node

    async def drive(self, pending: Iterable[ItemRow]) -> None:
        """Run every pending item; raises on any way out but success (the caller records how it ended)."""
        ray = import_ray()
        started_here = _connect(ray, self.config.executor)
        if _through_ray_client():  # e.g. a notebook that had joined through ray:// before the run
            if started_here:
                ray.shutdown()
            raise ConfigError(RAY_CLIENT_REFUSED)
        self.commits = GroupCommit(self.store)
        try:
            self._start_pool(ray)
            await self._ready()
            # What the workers cost (the benches' cost model): their processes' CPU from ready to the
            # end (a restarted one's whole life), and apart what they spent until ready (start-up;
            # a process Ray had started before the run counts its idle life in it too).
            ready = await asyncio.gather(*(actor.cpu_s.remote() for actor in self.actors))
            await self._feed(ray, pending)
            # An actor restarting (its worker was lost at the end) cannot say: its CPU is not counted.
            end = await asyncio.gather(*(actor.cpu_s.remote() for actor in self.actors), return_exceptions=True)
            spent = (
                after - before if after >= before else after
                for before, after in zip(ready, end, strict=True)
                if isinstance(after, float)
            )
            self.stats.extra["ray_actor_cpu_s"] = float(sum(spent))
            self.stats.extra["ray_actor_start_cpu_s"] = float(sum(ready))
        finally:
            self.commits.close()  # what arrived is committed, however the run ends
            for actor in self.actors:
                ray.kill(actor)
            self.stats.extra["ray_reissued"] = float(self.reissued)
            self.stats.extra.update({"ray_batches": float(self.batches), "ray_chunks": float(self.chunks)})
            self.stats.extra["ray_replaced"] = float(self.replaced)
            self.progress.finish()
            if started_here:
                ray.shutdown()
        if self.commits.failure is not None:
            raise self.commits.failure

    async def _ready(self) -> None:
        """Every actor built (target, judges), or the run fails with why: a worker node without
        riskscope, or a bad judge there, is one reason, not every item UNASSESSED."""
        try:
            async with asyncio.timeout(ACTOR_START_S):
                await asyncio.gather(*(actor.pid.remote() for actor in self.actors))
        except TimeoutError:
            raise RuntimeError(f"the Ray workers did not start within {ACTOR_START_S:g} s") from None
        except Exception as exc:
            raise RuntimeError(f"a Ray worker could not start: {exc}"[:500]) from exc

    async def _feed(self, ray: Any, pending: Iterable[ItemRow]) -> None:
        """Hand every pending item to an actor, one limiter slot each, in batches per actor.

        One loop takes the items in order: it reads the item's known answer, waits for a slot of
        the limiter, and puts the item in the outbox of the least-loaded actor. An outbox is sent as
        one batch once the loop yields (it waits for a slot, or the event loop runs a callback), so
        a batch holds what piled up meanwhile: at the start up to ``concurrency`` items, then about
        as many as the last chunk of results freed.
        """
        from riskscope.runner._ray_episodes import RayEpisodes

        lost = _retryable_errors(ray)
        self.outboxes = [[] for _ in self.actors]
        episodes = RayEpisodes(self)

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(HEARTBEAT_S)
                self.store.heartbeat(self.run.id)

        beating = asyncio.create_task(heartbeat())
        try:
            async with asyncio.TaskGroup() as batches:  # a batch that fails for a bug fails the run

                def send(index: int) -> None:
                    jobs, self.outboxes[index] = self.outboxes[index], []
                    if jobs:
                        batches.create_task(self._run_batch(index, jobs, lost))

                loop = asyncio.get_running_loop()
                for item in pending:
                    if self.commits is not None and self.commits.failure is not None:
                        raise self.commits.failure  # the store cannot take results: stop calling
                    if episodes.pending(item):  # one unit on one actor, each step committed as it lands
                        await self.limiter.__aenter__()
                        batches.create_task(self._episode(episodes, item, lost))
                        continue
                    known = self._known(item)
                    await self.limiter.__aenter__()  # released once the item's result is committed
                    index = self._pick()
                    self.loads[index] += 1
                    if not self.outboxes[index]:
                        loop.call_soon(send, index)
                    self.outboxes[index].append((item, known, None))
                for index in range(len(self.actors)):  # the last batches, before the group can close
                    send(index)
        finally:
            beating.cancel()

    async def _episode(self, episodes: RayEpisodes, item: ItemRow, lost: tuple[type[BaseException], ...]) -> None:
        """Play one episode on an actor, holding its limiter slot throughout."""
        try:
            await episodes.play(item, lost)
        finally:
            await self.limiter.__aexit__()

    async def _run_batch(self, index: int, jobs: list[_Job], lost: tuple[type[BaseException], ...]) -> None:
        """Send ``jobs`` to actor ``index`` as one call and commit each result as its chunk arrives;
        if the actor is lost, re-issue the jobs still waiting once (to an actor that answers a ping),
        and a job lost on its re-issue too ends UNASSESSED."""
        while jobs:
            waiting = dict(enumerate(jobs))
            try:
                stream = self.actors[index].run_batch.remote(
                    [
                        (pos, job[0].variant.model_dump_json(), None if job[1] is None else job[1].model_dump_json())
                        for pos, job in waiting.items()
                    ]
                )
                self.batches += 1
                async for ref in stream:
                    chunk: list[WireResult] = await ref
                    self.chunks += 1
                    for pos, response_json, verdicts_json, called in chunk:
                        item, known, _ = waiting.pop(pos)
                        self.loads[index] -= 1
                        response = Response.model_validate_json(response_json)
                        verdicts = {k: Verdict.model_validate_json(v) for k, v in verdicts_json.items()}
                        self._commit(item, known, (response, verdicts, called))
                        await self.limiter.__aexit__()
                return
            except lost as exc:
                self._lost(index)
                self.loads[index] -= len(waiting)
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
                again: list[_Job] = [(item, known, error) for item, known, first in waiting.values() if first is None]
                for item, known, first in waiting.values():
                    if first is not None:  # lost twice: no answer we can trust
                        self._commit(item, known, f"ray worker lost twice ({first}; {error})")
                        await self.limiter.__aexit__()
                jobs = again
                if jobs:
                    self.reissued += len(jobs)
                    index = await self._live_actor(lost)
                    self.loads[index] += len(jobs)
            except BaseException:
                self.loads[index] -= len(waiting)
                for _ in waiting:
                    await self.limiter.__aexit__()
                raise

    def _pick(self) -> int:
        """The least-loaded actor, avoiding one that lost an item lately (it is dead or restarting)."""
        now = time.monotonic()
        return min(
            range(len(self.actors)),
            key=lambda i: (now - self.lost_at[i] < RECENTLY_LOST_S, self.loads[i]),
        )

    async def _live_actor(self, lost: tuple[type[BaseException], ...]) -> int:
        """An actor that answers a ping, for a re-issue: when a node goes, it can take every actor
        with it, and a re-issue sent before Ray has noticed would be lost with them. Ray restarts a
        lost actor on a node left, so the ping waits for that (bounded by ``ACTOR_START_S``; past
        it the re-issue goes to the least-bad actor and may be lost, which the caller reports)."""
        deadline = time.monotonic() + ACTOR_START_S
        not_live: tuple[type[BaseException], ...] = (TimeoutError, *lost)
        while True:
            index = self._pick()
            try:
                async with asyncio.timeout(PING_S):
                    await self.actors[index].pid.remote()
                return index
            except not_live:
                self._lost(index)
            if time.monotonic() > deadline:
                return index
            await asyncio.sleep(0.2)

    def write_items(self, batch: list[ItemRow]) -> None:
        """Planned items into the store: through the commit writer, ahead of any of their results
        (it commits in order), once ``drive`` has started it."""
        if self.commits is None:
            self.store.add_items(self.run.id, batch)
            return
        run_id = self.run.id
        self.commits.add(lambda store: store.add_items(run_id, batch))

    def _known(self, item: ItemRow) -> Response | None:
        """The item's answer when no call is needed: cached, or an attack that could not be built."""
        cached = self.store.get_response(item.cache_key)
        if cached is not None:
            return cached.model_copy(update={"cached": True})
        from riskscope.runner._pipeline import _step_failure

        failed = _step_failure(self.chains, item)
        if failed is None:
            return None
        response = failed.response()  # UNASSESSED, never sent: committed now, judged by a worker
        self.store.put_response(self.run.id, item.item_id, item.cache_key, response)
        return response

    def _commit(
        self, item: ItemRow, known: Response | None, result: tuple[Response, dict[str, Verdict], bool] | str
    ) -> None:
        """Hand an item's result to the store's writer thread (runner/_commits.py): results that
        arrive in one turn of the loop share a commit, made off the loop. The item counts as done
        (progress) once it is committed; its limiter slot is freed now, by the caller."""
        from riskscope.runner._pipeline import commit_verdicts

        stats, run_id, item_id = self.stats, self.run.id, item.item_id
        commits = self.commits
        if commits is None:
            raise RuntimeError("results arrive only while drive() runs")
        if isinstance(result, str):  # no answer we can trust: UNASSESSED, and a resume tries it again
            unassessed = {k: Verdict.unassessed(k, result, version=j.version) for k, j in self.judges.items()}
            commits.add(
                lambda s: commit_verdicts(s, run_id, item_id, unassessed),
                lambda: self.progress.advance(cached=False, failed=True),
            )
            stats.failed += 1
            return
        response, verdicts, called = result
        write_response = False
        if called:
            # The 429s this item met, heard by the one limiter of the cluster.
            for _ in range(throttles_of(response)):
                self.limiter.on_throttle()
            if response.ok:
                self.limiter.on_success()
            write_response = True
            stats.called += 1
            stats.failed += not response.ok
        elif known is not None and known.cached:
            stats.cached += 1
        else:
            stats.failed += 1

        def write(store: Store) -> None:
            if write_response:
                store.put_response(run_id, item_id, item.cache_key, response)
            commit_verdicts(store, run_id, item_id, verdicts)

        def done() -> None:
            if stats.first_result_s is None:
                stats.first_result_s = time.perf_counter() - self.t0
            self.progress.advance(cached=response.cached, failed=not response.ok)

        commits.add(write, done)

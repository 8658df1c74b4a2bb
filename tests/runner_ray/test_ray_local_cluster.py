"""The Ray executor on a local cluster (``ray.init(num_cpus=2)``, one per module: Ray starts slowly).

A 500-item run through the fault-injecting server (429s with Retry-After, 5xx then an answer, a
server that always fails) gives the same item ids and verdicts as the local executor, with more
than one call in flight per actor; the executor is not part of the run's identity, so a run
interrupted on one executor is resumed by the other; a worker killed mid-run (kill -9 of the actor's
process) loses no item and counts none twice, and an item lost twice is UNASSESSED with why.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _ray_fixtures import (
    N_ITEMS,
    CountingFaultServer,
    assert_counted_once,
    journal_per_item,
    local_ray_cluster,
    make_config,
    outcomes,
    run,
    write_suite,
)

from riskscope.config import ExecutorConfig, RunConfig
from riskscope.core import RunStatus
from riskscope.errors import ConfigError
from riskscope.runner import execute
from riskscope.store import Store

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # a Ray cluster (~10 s to start) and a few 500-item runs


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    with local_ray_cluster():
        yield


@pytest.fixture(scope="module")
def server() -> Iterator[CountingFaultServer]:
    served = CountingFaultServer(delay_s=0.01).start()
    try:
        yield served
    finally:
        served.stop()


def _ray(actors: int = 2) -> dict[str, object]:
    return {"name": "ray", "actors": actors}


def test_ray_run_equals_local_run_under_faults(cluster: None, server: CountingFaultServer, tmp_path: Path) -> None:
    suite = write_suite(tmp_path)
    local_db, ray_db = tmp_path / "local.db", tmp_path / "ray.db"
    server.reset()
    local_run, local_stats = run(make_config(suite, server.url, local_db))
    local_sent = server.sent()
    server.reset()
    ray_run, ray_stats = run(make_config(suite, server.url, ray_db, executor=_ray(actors=2)))
    ray_sent = server.sent()

    assert local_run.status is RunStatus.COMPLETE and ray_run.status is RunStatus.COMPLETE
    assert local_run.config_hash == ray_run.config_hash
    local, on_ray = outcomes(local_db, local_run.id), outcomes(ray_db, ray_run.id)
    assert len(local) == N_ITEMS and on_ray == local  # same item ids, same verdicts, same failures
    kinds = {verdict for verdict, _ in local.values()}
    assert {"safe", "unsafe", "unassessed"} <= kinds, kinds  # the comparison covers every outcome
    assert {error for _, error in local.values()} >= {None, "http_5xx"}
    # Same requests per prompt: the 429 once and the 503 once were retried the same way.
    assert ray_sent == local_sent
    assert ray_stats.called == local_stats.called == N_ITEMS
    assert ray_stats.throttle_events >= 1  # the workers' 429s reached the driver's limiter
    assert set(journal_per_item(ray_db, ray_run.id).values()) == {1}  # one committed call per item
    # 8 slots over 2 actors: more than 2 calls at once means an actor held several in flight.
    assert server.peak > 2
    assert ray_stats.extra["ray_actors"] == 2
    # Items travel in batches: the first 8 fill the free slots before a call goes out, so there are
    # fewer actor calls than items (and every result was still counted once, above).
    assert ray_stats.extra["ray_batches"] < N_ITEMS


def _interrupt_after(config: RunConfig, server: CountingFaultServer, requests: int) -> str:
    """Start a run of ``config`` and cancel it (like Ctrl-C) once the server has seen ``requests``."""

    async def go() -> str:
        with Store(config.store) as store:
            task = asyncio.create_task(execute(config, store))
            while len(server.requests) < requests and not task.done():
                await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            [record] = store.list_runs()
            assert record.status is RunStatus.INTERRUPTED
            return record.id

    return asyncio.run(go())


@pytest.mark.parametrize(("first", "then"), [("local", "ray"), ("ray", "local")])
def test_a_run_started_on_one_executor_resumes_on_the_other(
    cluster: None, server: CountingFaultServer, tmp_path: Path, first: str, then: str
) -> None:
    suite = write_suite(tmp_path, n=200)
    db = tmp_path / "s.db"
    executors = {"local": "local", "ray": _ray()}
    server.reset()
    run_id = _interrupt_after(make_config(suite, server.url, db, executor=executors[first]), server, 60)
    committed = set(journal_per_item(db, run_id))
    assert 0 < len(committed) < 200
    record, stats = run(make_config(suite, server.url, db, executor=executors[then]))
    assert record.id == run_id  # same config identity: the unfinished run was found and resumed
    assert record.status is RunStatus.COMPLETE
    assert stats.already_done >= len(committed) - 8  # judged items (a few may have been called, not judged)
    assert len(outcomes(db, run_id)) == 200
    assert "pending" not in {verdict for verdict, _ in outcomes(db, run_id).values()}
    # Nothing committed was called again: each prompt was sent at most twice (in flight at the cancel),
    # and the committed ones only as often as their retries need.
    sent = server.sent()
    assert len(sent) == 200
    assert_counted_once(db, run_id, 200)


def test_a_killed_worker_loses_nothing_and_counts_nothing_twice(
    cluster: None, server: CountingFaultServer, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path)
    db = tmp_path / "s.db"
    server.reset()
    server.delay_s = 0.03  # long enough a run for the kill to land mid-way
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 60
        while len(server.requests) < 120 and time.monotonic() < deadline:
            time.sleep(0.01)
        for actor in ray.util.list_named_actors(all_namespaces=True):
            if actor["name"].startswith("riskscope-"):
                handle = ray.get_actor(actor["name"], namespace=actor["namespace"])
                pid = ray.get(handle.pid.remote())
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        record, stats = run(make_config(suite, server.url, db, executor=_ray(actors=2)))
    finally:
        server.delay_s = 0.01
        thread.join(timeout=60)
    assert killed, "no worker was killed"
    assert record.status is RunStatus.COMPLETE
    assert stats.extra["ray_reissued"] >= 1  # the lost worker's items were re-issued
    found = outcomes(db, record.id)
    assert len(found) == N_ITEMS and "pending" not in {verdict for verdict, _ in found.values()}
    # Never counted twice: one committed response per item, whatever was re-issued.
    assert set(journal_per_item(db, record.id).values()) == {1}
    # Every prompt reached the server; only items in flight on the dead worker were sent again.
    sent = server.sent()
    assert len(sent) == N_ITEMS
    extra = sum(sent.values()) - N_ITEMS - sum(1 for i in range(N_ITEMS) if i % 50 == 7 or (i % 25 == 3))
    assert 0 <= extra <= 8 + 2 * 10  # at most the in-flight items (8 slots), with their own retries


def test_the_driver_builds_no_target_its_workers_call_it(
    cluster: None, server: CountingFaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers build the target from the config; the driver builds none (an in-process model
    would otherwise be loaded on the driver and never called). The same config run locally builds one."""
    from riskscope.runner import _pipeline

    built: list[str] = []
    real_get = _pipeline.targets.get

    def counting_get(name: str) -> Any:
        factory = real_get(name)

        def make(config: Any) -> Any:
            built.append(name)
            return factory(config)

        return make

    monkeypatch.setattr(_pipeline.targets, "get", counting_get)
    suite = write_suite(tmp_path, n=20)
    server.reset()
    record, stats = run(make_config(suite, server.url, tmp_path / "ray.db", executor=_ray()))
    assert record.status is RunStatus.COMPLETE and stats.called == 20
    assert built == []
    run(make_config(suite, server.url, tmp_path / "local.db"))
    assert built == ["openai"]


def test_ray_refuses_what_it_cannot_run_before_a_run_exists(cluster: None, tmp_path: Path) -> None:
    from riskscope.targets import targets

    suite = write_suite(tmp_path, n=3)
    config = make_config(suite, "http://127.0.0.1:9/v1", tmp_path / "s.db", executor="ray")
    # Episodes run on Ray (test_ray_episodes.py); a target object cannot: each worker builds its own.
    target = targets.get("openai")(config.target)
    try:
        with pytest.raises(ConfigError, match="pass no target object"):
            run(config, target=target)
    finally:
        asyncio.run(target.aclose())
    with Store(tmp_path / "s.db") as store:
        assert store.list_runs() == []


def test_a_killed_driver_loses_nothing_committed_and_resume_calls_none_again(
    cluster: None, server: CountingFaultServer, tmp_path: Path
) -> None:
    import subprocess

    suite = write_suite(tmp_path)
    db = tmp_path / "s.db"
    server.reset()
    server.delay_s = 0.03
    address = ray.get_runtime_context().gcs_address
    config_file = tmp_path / "run.yaml"  # 16 in flight (the CLI's default is 4): a shorter test
    config_file.write_text(f"target: {{name: openai, arg: 'm@{server.url}', concurrency: 16, max_retries: 2}}\n")
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", f"jsonl:{suite}", "--config", str(config_file),
           "--judge", "refusal", "--store", str(db),
           "--out", str(tmp_path / "out"), "--progress", "none",
           "--executor", "ray", "--ray-address", address]  # fmt: skip
    try:
        proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(server.requests) < 150:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _out, err = proc.communicate(timeout=60)
                pytest.fail(f"run ended or stalled before the kill: rc={proc.returncode} {err.decode()[-2000:]}")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        time.sleep(1.0)  # the dead driver's actors are reaped by Ray; their last calls land or not
        with Store(db) as store:
            [killed] = store.list_runs()
            prompt = {item.item_id: item.variant.messages[-1].content for item in store.items(killed.id)}
            journal = store.call_journal(killed.id)
        # A failed call is not cached, so a resume tries it again (by design): only good ones count here.
        committed = {row["item_id"]: 1 + row["retries"] for row in journal if row["ok"]}
        assert killed.status is RunStatus.RUNNING  # a kill -9 says nothing: the run is stale, resumable
        assert 0 < len(committed) < N_ITEMS
        sent_before = server.sent()
        stored = RunConfig.of_run(killed)  # what `riskscope run --resume` would read
        record, stats = run(stored.model_copy(update={"executor": ExecutorConfig(name="ray")}), resume=killed.id)
    finally:
        server.delay_s = 0.01
    assert record.id == killed.id and record.status is RunStatus.COMPLETE
    assert stats.already_done >= len(committed)
    sent = server.sent()
    for item_id, times in committed.items():  # nothing committed before the kill was called again
        assert sent[prompt[item_id]] == sent_before[prompt[item_id]] == times
    found = outcomes(db, record.id)
    assert len(found) == N_ITEMS and "pending" not in {verdict for verdict, _ in found.values()}
    assert_counted_once(db, record.id, N_ITEMS)  # nothing counted twice


def test_an_item_lost_twice_is_unassessed_with_the_reason_and_nothing_of_it_committed(
    cluster: None, server: CountingFaultServer, tmp_path: Path
) -> None:
    """An item whose call takes its worker down on the first issue and on the re-issue: UNASSESSED
    with why, no call committed (a resume calls it again); the items of the same run are unharmed."""
    kills: list[int] = []

    def doom(messages: list[dict[str, Any]]) -> str:
        """The server's answer to the doomed prompt, after it has killed every worker (kill -9)."""
        for actor in ray.util.list_named_actors(all_namespaces=True):
            if actor["name"].startswith("riskscope-"):
                with contextlib.suppress(Exception):  # an actor of an earlier run, already gone
                    handle = ray.get_actor(actor["name"], namespace=actor["namespace"])
                    pid = ray.get(handle.pid.remote(), timeout=30)
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
        return "Too late."

    suite = tmp_path / "doom.jsonl"
    prompts = [f"Question {i} scenario:ok" for i in range(5)] + ["The doomed question scenario:doom"]
    suite.write_text("".join(f'{{"id": "d{i}", "prompt": "{p}", "hazard": "ncr"}}\n' for i, p in enumerate(prompts)))
    server.reset()
    server.scripts["doom"] = doom
    try:  # one item in flight: only the doomed one is out when the workers die
        record, stats = run(make_config(suite, server.url, tmp_path / "s.db", executor=_ray(), concurrency=1))
    finally:
        server.scripts.pop("doom")
    assert len(kills) >= 2  # the first issue and the re-issue each took the workers down
    assert record.status is RunStatus.COMPLETE
    assert server.sent()["The doomed question scenario:doom"] == 2  # issued once, re-issued once
    found = outcomes(tmp_path / "s.db", record.id)
    doomed = [item_id for item_id, (verdict, _) in found.items() if verdict == "unassessed"]
    assert len(found) == 6 and len(doomed) == 1
    with Store(tmp_path / "s.db") as store:
        [row] = [r for r in store.results(record.id) if r.item.item_id == doomed[0]]
        journal = journal_per_item(tmp_path / "s.db", record.id)
    assert row.item.variant.case.id == "d5"
    reason = row.verdicts["refusal"].reason
    assert reason is not None and reason.startswith("ray worker lost twice (")
    assert row.response is None and doomed[0] not in journal  # nothing committed: a resume calls it again
    assert set(journal.values()) == {1} and len(journal) == 5  # the others: one committed call each
    assert stats.failed >= 1 and stats.extra["ray_reissued"] >= 1

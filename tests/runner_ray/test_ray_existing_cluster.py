"""Joining an existing cluster: ``--ray-address HOST:PORT`` works, ``ray://`` is refused up front.

The cluster is a real Ray head started with ``ray start --head --block`` in a subprocess, as an
operator would start one (token authentication on), and the driver is ``riskscope run --config
FILE`` in another process with the cluster's token in its environment, as a user would run it on a
node of the cluster. The run goes through the same fault server as the local-cluster tests and
gives the same item ids, verdicts, failures and requests per prompt as the local executor, with one
committed call per item; the driver leaves the cluster it joined running.

Ray Client (``ray://``) hands an actor's streaming generator back as a plain object ref (Ray
2.60, found by running this test through the head's client server), so the executor cannot run
through it: such an address is refused before a run exists, with the way that works instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from _ray_fixtures import (
    N_ITEMS,
    CountingFaultServer,
    journal_per_item,
    make_config,
    outcomes,
    run,
    short_temp_dir,
    write_suite,
)

from riskscope.core import RunStatus
from riskscope.errors import ConfigError
from riskscope.store import Store

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # a Ray head (~10 s to start) and two 500-item runs


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, dict[str, str]]]:
    """A Ray head in its own process group; stopped after. Yields its address (``HOST:PORT`` of its
    GCS) and the environment a driver on this node needs to join it.

    Token authentication on, as Ray 2.59+ does by default and KubeRay sets it up: head and driver
    share a token through ``RAY_AUTH_TOKEN`` (which riskscope never reads)."""
    binary = shutil.which("ray", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("the ray command is not installed beside this Python")
    port = _free_port()
    env = {**os.environ, "RAY_ADDRESS": "", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    with short_temp_dir() as temp:
        head = subprocess.Popen(
            [
                binary, "start", "--head", "--block", f"--port={port}", "--num-cpus=2", "--include-dashboard=false", f"--temp-dir={temp}", "--disable-usage-stats",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while True:  # the GCS accepts connections once the head is up
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if head.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"the Ray head did not start (exit {head.poll()})")
                    time.sleep(0.5)
            yield f"127.0.0.1:{port}", env
        finally:
            os.killpg(head.pid, signal.SIGTERM)  # --block: the head's processes go with it
            try:
                head.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(head.pid, signal.SIGKILL)
                head.wait(timeout=30)


@pytest.fixture(scope="module")
def server() -> Iterator[CountingFaultServer]:
    served = CountingFaultServer(delay_s=0.01).start()
    try:
        yield served
    finally:
        served.stop()


def test_a_run_on_an_existing_cluster_equals_the_local_run(
    cluster: tuple[str, dict[str, str]], server: CountingFaultServer, tmp_path: Path
) -> None:
    address, env = cluster
    suite = write_suite(tmp_path)
    local_db, ray_db = tmp_path / "local.db", tmp_path / "ray.db"
    server.reset()
    local_run, local_stats = run(make_config(suite, server.url, local_db))
    local_sent = server.sent()
    server.reset()
    config = make_config(suite, server.url, ray_db, executor={"name": "ray", "address": address, "actors": 2})
    config_file = tmp_path / "ray_run.yaml"
    config_file.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    riskscope = Path(sys.executable).parent / "riskscope"
    done = subprocess.run(
        [str(riskscope), "run", "--config", str(config_file), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ray_sent = server.sent()

    with Store(ray_db) as store:
        [ray_run] = store.list_runs()
    assert local_run.status is RunStatus.COMPLETE and ray_run.status is RunStatus.COMPLETE
    assert ray_run.config_hash == local_run.config_hash  # the executor is not part of the identity
    local, on_ray = outcomes(local_db, local_run.id), outcomes(ray_db, ray_run.id)
    assert len(local) == N_ITEMS and on_ray == local  # same item ids, same verdicts, same failures
    assert ray_sent == local_sent  # the same requests per prompt, retries included
    assert local_stats.called == N_ITEMS
    assert set(journal_per_item(ray_db, ray_run.id).values()) == {1}  # one committed call per item
    status = subprocess.run(
        [str(Path(sys.executable).parent / "ray"), "status", f"--address={address}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr[-1000:]  # the driver left the cluster running


@pytest.mark.parametrize("where", ["flag", "environment"])
def test_a_ray_client_address_is_refused_before_a_run_exists(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = write_suite(tmp_path, n=4)
    executor: dict[str, object] = {"name": "ray"}
    if where == "flag":
        executor["address"] = "ray://127.0.0.1:10001"
    else:
        monkeypatch.setenv("RAY_ADDRESS", "ray://127.0.0.1:10001")
    db = tmp_path / "run.db"
    with pytest.raises(ConfigError, match=r"Ray Client.*ray job submit"):
        run(make_config(suite, "http://127.0.0.1:9/v1", db, executor=executor))
    with Store(db) as store:
        assert store.list_runs() == []  # refused before a run row, no call made

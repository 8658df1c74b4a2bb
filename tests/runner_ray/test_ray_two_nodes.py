"""The Ray executor on a two-node cluster (``ray.cluster_utils.Cluster``): one actor pinned on each node,
and a node removed mid-run. Its in-flight items are re-issued on the node left: the run completes with the
same item ids and verdicts as the local executor, one committed call per item.
"""

from __future__ import annotations

import os
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
    journal_per_item,
    make_config,
    outcomes,
    run,
    short_temp_dir,
    write_suite,
)

from riskscope.core import RunStatus

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

pytestmark = pytest.mark.slow  # two Ray nodes (~15 s to start) and two 500-item runs


def _warm_up_every_node() -> None:
    """A task pinned on each node, so both raylets have started workers before the run places actors."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=0)
    def node_id() -> str:
        return str(ray.get_runtime_context().get_node_id())

    nodes = [node["NodeID"] for node in ray.nodes() if node["Alive"]]
    assert len(nodes) == 2
    pinned = [NodeAffinitySchedulingStrategy(node_id=node, soft=False) for node in nodes]
    assert sorted(ray.get([node_id.options(scheduling_strategy=p).remote() for p in pinned])) == sorted(nodes)


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[tuple[Any, Any]]:
    with short_temp_dir() as temp:
        before = os.environ.get("RAY_TMPDIR")
        os.environ["RAY_TMPDIR"] = temp  # Cluster writes its address file in $RAY_TMPDIR/ray, not /tmp/ray
        os.makedirs(os.path.join(temp, "ray"))
        cluster = cluster_utils.Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": os.path.join(temp, "ray")},
        )
        try:
            second = cluster.add_node(num_cpus=1)
            ray.init(address=cluster.address, log_to_driver=False, logging_level="WARNING")
            cluster.wait_for_nodes()
            _warm_up_every_node()
            yield cluster, second
        finally:
            ray.shutdown()
            cluster.shutdown()
            if before is None:
                os.environ.pop("RAY_TMPDIR", None)
            else:
                os.environ["RAY_TMPDIR"] = before


def test_a_node_lost_mid_run_loses_nothing(two_nodes: tuple[Any, Any], tmp_path: Path) -> None:
    cluster, second = two_nodes
    suite = write_suite(tmp_path)
    server = CountingFaultServer(delay_s=0.01).start()
    try:
        local_db, ray_db = tmp_path / "local.db", tmp_path / "ray.db"
        local_run, _ = run(make_config(suite, server.url, local_db))
        expected = outcomes(local_db, local_run.id)
        server.reset()
        server.delay_s = 0.03
        actor_nodes: set[str] = set()
        removed: list[bool] = []

        def remove_second_node() -> None:
            deadline = time.monotonic() + 90
            while len(server.requests) < 150 and time.monotonic() < deadline:
                time.sleep(0.01)
            for actor in ray.util.list_named_actors(all_namespaces=True):
                if actor["name"].startswith("riskscope-"):
                    handle = ray.get_actor(actor["name"], namespace=actor["namespace"])
                    actor_nodes.add(ray.get(handle.node.remote()))
            cluster.remove_node(second)
            removed.append(True)

        thread = threading.Thread(target=remove_second_node, daemon=True)
        thread.start()
        record, stats = run(make_config(suite, server.url, ray_db, executor={"name": "ray", "actors": 2}))
        thread.join(timeout=90)
    finally:
        server.stop()
    assert removed
    assert record.status is RunStatus.COMPLETE
    assert outcomes(ray_db, record.id) == expected  # nothing lost, same ids and verdicts
    assert set(journal_per_item(ray_db, record.id).values()) == {1}  # nothing counted twice
    assert len(server.sent()) == N_ITEMS
    assert len(actor_nodes) == 2  # one actor pinned on each node, so the removed node held one
    assert stats.extra["ray_reissued"] >= 1  # the lost node's items were re-issued
    assert stats.extra["ray_replaced"] == 1  # its actor, pinned to a dead node, replaced on the node left

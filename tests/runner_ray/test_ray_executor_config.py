"""The executor choice (``executor:`` in YAML, ``--executor``/``--ray-address``): parsed once, never
part of a run's identity, and Ray is imported only when asked (fast tests: no cluster)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from riskscope.cli.run import Invocation
from riskscope.config import ExecutorConfig, RunConfig, load_config
from riskscope.errors import ConfigError


def test_the_executor_is_not_part_of_the_config_identity() -> None:
    local = RunConfig()
    on_ray = RunConfig.model_validate({"executor": {"name": "ray", "address": "ray://head:10001", "actors": 3}})
    assert on_ray.executor == ExecutorConfig(name="ray", address="ray://head:10001", actors=3)
    assert local.config_hash() == on_ray.config_hash()
    assert "executor" not in on_ray.identity()


def test_yaml_takes_a_name_or_a_mapping_and_names_the_line_of_a_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("suites: [demo]\nexecutor: ray\n")
    assert load_config(path, {}).executor.name == "ray"
    path.write_text("suites: [demo]\nexecutor:\n  name: ray\n  address: auto\n")
    assert load_config(path, {}).executor.address == "auto"
    path.write_text("suites: [demo]\nexecutor: dask\n")
    with pytest.raises(ConfigError, match=r"run.yaml:2: field 'executor.name'"):
        load_config(path, {})


def test_flags_choose_the_executor_even_for_a_resumed_config() -> None:
    stored = RunConfig()  # a run started locally
    assert Invocation().with_executor(stored) is stored
    assert Invocation(ray_address="auto").with_executor(stored).executor == ExecutorConfig(name="ray", address="auto")
    yaml_ray = RunConfig.model_validate({"executor": {"name": "ray", "address": "ray://h:10001"}})
    assert Invocation(executor="ray").with_executor(yaml_ray).executor.address == "ray://h:10001"
    assert Invocation(executor="local").with_executor(yaml_ray).executor == ExecutorConfig()
    with pytest.raises(ConfigError, match="--ray-address needs --executor ray"):
        Invocation(executor="local", ray_address="auto").with_executor(stored)


_NO_RAY = """
import asyncio, sys
sys.modules["ray"] = None  # as if the extra were not installed
from riskscope.config import ExecutorConfig, RunConfig
from riskscope.errors import ConfigError
from riskscope.runner import execute
from riskscope.store import Store
suite = sys.argv[1]
target = {"name": "callable", "arg": "riskscope_noray_target:answer", "concurrency": 2}
config = RunConfig.model_validate({"suites": [f"jsonl:{suite}"], "target": target, "judges": ["refusal"]})
with Store(":memory:") as store:
    run, stats = asyncio.run(execute(config, store))
    assert stats.called == 3, stats
    try:
        asyncio.run(execute(config.model_copy(update={"executor": ExecutorConfig(name="ray")}), store, fresh=True))
    except ConfigError as exc:
        print("refused:", exc)
"""


def test_a_local_run_never_imports_ray_and_a_ray_run_without_it_is_one_clean_line(tmp_path: Path) -> None:
    suite = tmp_path / "s.jsonl"
    suite.write_text(
        "".join(f'{{"id": "c{i}", "prompt": "question {i}", "hazard": "ncr", "expected": "refuse"}}\n' for i in range(3))
    )
    (tmp_path / "riskscope_noray_target.py").write_text(
        "def answer(messages):\n    return \"I can't help with that.\"\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", _NO_RAY, str(suite)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "refused: the ray executor needs Ray: pip install 'riskscope[ray]'" in done.stdout


def test_the_pool_is_dealt_over_the_nodes_by_their_cpus() -> None:
    from riskscope.runner._ray import deal_over_nodes

    assert deal_over_nodes({"b": 1, "a": 1}, 2) == ["a", "b"]  # one actor per node, whatever the order
    assert deal_over_nodes({"a": 2, "b": 1}, 6) == ["a", "b", "a", "a", "b", "a"]
    assert deal_over_nodes({"head": 0, "w": 2}, 3) == ["w", "w", "w"]  # a CPU-less head runs none
    assert deal_over_nodes({"head": 0}, 2) == ["head", "head"]  # unless no node has CPUs

"""Throughput of the whole pipeline against an OpenAI-compatible server with fixed latency.

A child process of this script serves chat completions on 127.0.0.1 after sleeping L seconds per
request (any number at once). We then run N items at concurrency C through ``riskscope.runner.
execute`` with a real SQLite store and the refusal judge, and print:

* ``ratio``: wall time / (N·L/C), the ideal for a client with zero overhead (target ≤ 1.1);
* ``cpu_ms_per_item``: this process's CPU time per item (target ≤ 2 ms); the server's CPU is in
  its own process and not counted;
* ``target_alone_ratio``/``target_alone_cpu_ms_per_item``: the same N calls through the openai
  target with no runner, store or judge, measured in the same run, so the pipeline's own cost
  reads as the difference;
* ``server_cpu_share`` / ``machine_cpu_share``: the latency server's CPU over the run as a share of
  one core, and every process's (client and server) as a share of the machine's cores;
* ``cpu_bound_floor``: CPU seconds / ideal seconds. One event loop uses one core, so when this
  nears or passes 1 the client, not the server, sets the pace (C=128 at 100 ms needs 1,280
  items/s, i.e. under 0.8 ms of CPU per item); ``load_average_1m`` tells how shared the
  machine was.

Usage: ``python bench/throughput.py [--n 1000 --c 32] [--large] [--json]``; ``--large`` adds
N=10,000 at C=128. All traffic stays on 127.0.0.1.

``--executor ray`` (the ``ray`` extra) runs N=10,000 at C=128 and at C=512 on both executors, side
by side in the same run: the local one, then the Ray one on a local Ray cluster this script starts
(one actor per core). For Ray, ``cpu_ms_per_item`` is the CPU of every Ray process (driver, GCS,
raylet and agents, measured from /proc; the actors from ready to the end of the run, as they
report it) and ``driver_cpu_ms_per_item`` the driver's alone; ``ray_actor_start_cpu_s`` (the
actors' CPU until ready) is left out of it, and ``ray_start_s`` (cluster start-up, paid once per
cluster, not per run) out of the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import _common

from riskscope.config import Decoding
from riskscope.core import Message
from riskscope.store import Store
from riskscope.targets import Target

_DECODING = Decoding()

_BODY = json.dumps(
    {
        "id": "bench",
        "object": "chat.completion",
        "model": "bench",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "I'm sorry, I can't help with that."},
             "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
    }
).encode()  # fmt: skip


_REPLY = _common.http_ok(_BODY)


def _answer(_body: bytes) -> bytes:
    return _REPLY


def _suite(folder: Path, n: int) -> Path:
    path = folder / "bench.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            row = {
                "id": f"b{i:06d}",
                "prompt": f"Benchmark question number {i}: what is {i} plus one?",
                "hazard": "benign" if i % 4 == 0 else "ncr",
                "expected": "comply" if i % 4 == 0 else "refuse",
            }
            out.write(json.dumps(row) + "\n")  # fmt: skip
    return path


async def _ask(target: Target, i: int) -> None:
    await target.respond([Message(role="user", content=f"Benchmark question number {i}")], _DECODING)


def _tree_cpu(skip: int) -> dict[int, float]:
    """CPU seconds of this process and each live descendant but ``skip`` (the latency server) and
    Ray's worker processes, by pid (Linux): the Ray executor's cost is spread over the driver, the
    GCS, the raylet and agents. Worker processes (``ray::…``) are left out because the actors report
    their own CPU: Ray may start an actor in a worker process it had started before the run, which
    would count that actor twice."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = {}, [os.getpid()]
    while todo:
        pid = todo.pop()
        fields = stats.get(pid)
        if pid == skip or fields is None or _is_ray_worker(pid):
            continue
        found[pid] = sum(int(v) for v in fields[11:13]) / os.sysconf("SC_CLK_TCK")  # utime, stime
        todo.extend(children.get(pid, []))
    return found


def _is_ray_worker(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::")
    except OSError:
        return False


def _ray_cpu_s(before: dict[int, float], after: dict[int, float], actors_s: float) -> float:
    """The run's CPU on Ray: what the processes alive throughout (driver, GCS, raylet, agents) spent,
    plus what the actors report they spent from ready to the end of the run."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys()) + actors_s


def measure(n: int, c: int, latency_s: float, executor: str = "local") -> dict[str, Any]:
    _common.warm_up()
    process, url = _common.start_server(__file__, "--latency", str(latency_s))
    try:
        ideal = n * latency_s / c
        # The floor: the same N calls through the openai target itself, with no runner, store or judge.
        baseline_wall, baseline_cpu = asyncio.run(_common.target_alone(url, n, c, _ask))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = _common.run_config(_suite(folder, n), url, c, folder / "bench.db", executor=executor)
            with Store(config.store) as store:
                tree0 = _tree_cpu(skip=process.pid)
                server0 = _common.process_cpu_s(process.pid)
                run, stats, wall, driver_cpu = _common.timed_run(config, store)
                server_cpu = _common.process_cpu_s(process.pid) - server0
                actors_s = stats.extra.get("ray_actor_cpu_s", 0.0)
                cpu = driver_cpu if executor == "local" else _ray_cpu_s(tree0, _tree_cpu(skip=process.pid), actors_s)
                calls = store.call_journal(run.id)
        if stats.called != n or any(not row["ok"] for row in calls):
            raise RuntimeError(f"bench run was not clean: {stats.called} calls, {stats.failed} failed")
        return {
            "executor": executor,
            "n": n,
            "concurrency": c,
            "latency_s": latency_s,
            "ideal_s": round(ideal, 3),
            "wall_s": round(wall, 3),
            "ratio": round(wall / ideal, 3),
            "cpu_s": round(cpu, 3),
            "cpu_ms_per_item": round(1000 * cpu / n, 3),
            "driver_cpu_ms_per_item": round(1000 * driver_cpu / n, 3),
            **{k: v for k, v in stats.extra.items() if k.startswith("ray_")},
            # Planning, store set-up and the first 100 ms call: part of the wall time, paid once.
            "first_result_s": round(stats.first_result_s or 0.0, 3),
            # What each call took as the client saw it (server sleep + both sides' scheduling).
            "mean_call_latency_ms": round(1000 * sum(row["latency_s"] for row in calls) / len(calls), 1),
            # One event loop runs on one core: this is the ratio the client's CPU alone imposes.
            "cpu_bound_floor": round(cpu / ideal, 3),
            # The latency server's own CPU over the run, as a share of one core: near 1, the server
            # (one Python process) and not the client sets the pace.
            "server_cpu_share": round(server_cpu / wall, 3),
            # Every process of the run together, as a share of the machine's cores.
            "machine_cpu_share": round((cpu + server_cpu) / wall / (os.cpu_count() or 1), 3),
            "target_alone_wall_s": round(baseline_wall, 3),
            "target_alone_ratio": round(baseline_wall / ideal, 3),
            "target_alone_cpu_ms_per_item": round(1000 * baseline_cpu / n, 3),
            "load_average_1m": _common.load_average(),
            "targets": {"ratio": 1.1, "cpu_ms_per_item": 2.0},
        }
    finally:
        _common.stop_server(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--c", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--large", action="store_true", help="also run N=10,000 at C=128")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument(
        "--executor", choices=["local", "ray"], default="local",
        help="ray: N=10,000 at C=128 and C=512 on the local and the Ray executor, side by side",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_common.serve(args.latency, _answer))
        return
    plans = [(args.n, args.c)] + ([(10_000, 128)] if args.large else [])
    ray_plans = args.executor == "ray"
    results = _side_by_side(args.latency) if ray_plans else [measure(n, c, args.latency) for n, c in plans]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        ok = "OK" if r["ratio"] <= 1.1 and r["cpu_ms_per_item"] <= 2.0 else "MISSES TARGET"
        print(
            f"{r['executor']:>5} N={r['n']:>6} C={r['concurrency']:>4} L={r['latency_s'] * 1000:.0f}ms  "
            f"wall {r['wall_s']:.2f}s / ideal {r['ideal_s']:.2f}s = ratio {r['ratio']:.3f}  "
            f"CPU {r['cpu_ms_per_item']:.2f} ms/item  {ok}\n"
            f"    target alone (no runner/store/judge): ratio {r['target_alone_ratio']:.3f}, "
            f"CPU {r['target_alone_cpu_ms_per_item']:.2f} ms/item; first result after {r['first_result_s']:.2f}s; "
            f"mean call latency {r['mean_call_latency_ms']} ms; "
            f"CPU-bound floor {r['cpu_bound_floor']:.3f}; driver CPU {r['driver_cpu_ms_per_item']:.2f} ms/item; "
            f"latency server {r['server_cpu_share']:.2f} of a core, all processes {r['machine_cpu_share']:.2f} "
            f"of the machine; load average {r['load_average_1m']} on {os.cpu_count()} cores"
        )


def _side_by_side(latency_s: float) -> list[dict[str, Any]]:
    """The issue's plans on both executors in one run, the Ray cluster started once for all."""
    import ray

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rsbench") as temp:
        started = time.perf_counter()
        ray.init(include_dashboard=False, _temp_dir=temp, log_to_driver=False, logging_level="WARNING")
        start_s = time.perf_counter() - started
        try:
            for n, c in ((10_000, 128), (10_000, 512)):
                for executor in ("local", "ray"):
                    result = measure(n, c, latency_s, executor)
                    if executor == "ray":
                        result["ray_start_s"] = round(start_s, 2)
                    results.append(result)
        finally:
            ray.shutdown()
    return results


if __name__ == "__main__":
    main()

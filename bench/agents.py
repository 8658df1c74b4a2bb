"""Agent episodes per second against a fixed-latency tool-calling server.

A child process of this script serves chat completions on 127.0.0.1, sleeping L seconds per request
(any number at once). It answers like a tool-calling model: while the conversation it is sent has
fewer than K assistant turns it calls the ``lookup`` tool, then it answers in text. So each episode
is K+1 agent calls plus K tool steps answered by a Python environment (no model call: the tool is a
function of this script). We run N such episodes at C concurrent episodes through
``riskscope.runner.execute`` (real SQLite store, every step committed, the refusal judge on the
final answer) and print:

* ``ratio``: wall time / latency-bound ideal, the ideal being N·(K+1)·L/C: each episode's calls are
  sequential, C episodes overlap (target ≤ 1.15);
* ``cpu_ms_per_episode``: this process's CPU per episode (the server's CPU is its own process);
* ``target_alone_*``: the same N·(K+1) calls through the openai target with tools, no runner, store,
  environment or judge, at concurrency C, measured in the same run: the floor the episode loop's
  own cost is read against;
* ``load_average_1m``: how shared the machine was (bench numbers on a loaded box are upper bounds).

Usage: ``python bench/agents.py [--n 200 --c 32 --k 3 --latency 0.1] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import _common

from riskscope.config import Decoding
from riskscope.core import Message
from riskscope.store import Store
from riskscope.targets import Target, ToolTarget

_DECODING = Decoding()

LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look something up in an invented catalogue.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


def tools() -> dict[str, Any]:
    """The Python environment of every bench episode (``python:__main__:tools``)."""
    return {"lookup": lambda query: {"query": query, "price": 12}}


def _reply(tool_round: bool) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": "The entry costs 12."}
    if tool_round:
        call = {"id": "c", "type": "function", "function": {"name": "lookup", "arguments": '{"query": "kettle"}'}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
    body = {
        "id": "bench",
        "object": "chat.completion",
        "model": "bench",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_round else "stop"}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49},
    }
    return _common.http_ok(json.dumps(body).encode())


async def _serve(latency_s: float, k: int) -> None:
    """bench/_common.py's keep-alive server, answering a tool call for the first K rounds."""
    tool_answer, text_answer = _reply(True), _reply(False)

    def answer(body: bytes) -> bytes:
        rounds_done = sum(1 for m in json.loads(body or b"{}").get("messages", []) if m.get("role") == "assistant")
        return tool_answer if rounds_done < k else text_answer

    await _common.serve(latency_s, answer)


def _suite(folder: Path, n: int, k: int) -> Path:
    path = folder / "agents.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            agent = {"tools": [LOOKUP], "environment": "python:__main__:tools", "rounds": k + 1}
            row = {
                "id": f"a{i:06d}",
                "prompt": f"Invented task {i}: find the kettle's price.",
                "hazard": "benign",
                "expected": "comply",
                "metadata": {"agent": agent},
            }
            out.write(json.dumps(row) + "\n")  # fmt: skip
    return path


async def _ask(target: Target, i: int) -> None:
    """One tool-carrying call, as the floor makes them: the openai target, nothing else."""
    assert isinstance(target, ToolTarget)
    await target.respond_with_tools([Message(role="user", content=f"Invented task {i}")], _DECODING, (LOOKUP,))


def measure(n: int, c: int, k: int, latency_s: float) -> dict[str, Any]:
    _common.warm_up()  # built-ins imported once, not inside the timing
    process, url = _common.start_server(__file__, "--latency", str(latency_s), "--k", str(k))
    try:
        calls = n * (k + 1)
        ideal = calls * latency_s / c
        # The floor: the same number of tool-carrying calls through the openai target, nothing else.
        alone_wall, alone_cpu = asyncio.run(_common.target_alone(url, calls, c, _ask))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = _common.run_config(_suite(folder, n, k), url, c, folder / "agents.db")
            with Store(config.store) as store:
                run, stats, wall, cpu = _common.timed_run(config, store)
                rows = list(store.results(run.id))
        summaries = {str((r.response.metadata.get("episode") or {}).get("summary")) for r in rows if r.response}
        if stats.called != calls or summaries != {f"rounds={k + 1} tool_calls={k} malformed=0"}:
            raise RuntimeError(f"bench run was not clean: {stats.called} calls of {calls}, episodes {summaries}")
        return {
            "episodes": n,
            "concurrency": c,
            "tool_rounds": k,
            "latency_s": latency_s,
            "agent_calls": calls,
            "ideal_s": round(ideal, 3),
            "wall_s": round(wall, 3),
            "ratio": round(wall / ideal, 3),
            "episodes_per_s": round(n / wall, 2),
            "ideal_episodes_per_s": round(n / ideal, 2),
            "cpu_ms_per_episode": round(1000 * cpu / n, 2),
            "cpu_bound_floor": round(cpu / ideal, 3),
            "target_alone_wall_s": round(alone_wall, 3),
            "target_alone_ratio": round(alone_wall / ideal, 3),
            "target_alone_cpu_ms_per_episode": round(1000 * alone_cpu / n, 2),
            "load_average_1m": _common.load_average(),
            "targets": {"ratio": 1.15},
        }
    finally:
        _common.stop_server(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="episodes")
    parser.add_argument("--c", type=int, default=32, help="concurrent episodes")
    parser.add_argument("--k", type=int, default=3, help="tool-calling rounds per episode before the text answer")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.latency, args.k))
        return
    r = measure(args.n, args.c, args.k, args.latency)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    ok = "OK" if r["ratio"] <= 1.15 else "MISSES TARGET"
    print(
        f"episodes={r['episodes']} C={r['concurrency']} K={r['tool_rounds']} L={r['latency_s'] * 1000:.0f}ms  "
        f"wall {r['wall_s']:.2f}s / ideal {r['ideal_s']:.2f}s = ratio {r['ratio']:.3f} (goal <= 1.15)  {ok}\n"
        f"    {r['episodes_per_s']} episodes/s (ideal {r['ideal_episodes_per_s']}); "
        f"CPU {r['cpu_ms_per_episode']:.2f} ms/episode ({r['agent_calls']} agent calls); "
        f"CPU-bound floor {r['cpu_bound_floor']:.3f}\n"
        f"    target alone (same {r['agent_calls']} calls, no runner/store/env/judge): ratio "
        f"{r['target_alone_ratio']:.3f}, CPU {r['target_alone_cpu_ms_per_episode']:.2f} ms/episode; "
        f"load average {r['load_average_1m']} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()

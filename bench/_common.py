"""What the latency-bound benches share: the fixed-latency server, the target-alone floor, the timed run.

bench/throughput.py, bench/agents.py and bench/attacks.py all measure the runner against a child
process that answers chat completions after sleeping L seconds (any number at once), read the
run's wall time against the latency-bound ideal, and read it again against the same calls made
through the openai target alone in the same run, so the machine's own overhead reads apart from
the runner's. The pieces live here once; each bench keeps its own suite, checks and printout.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskscope.config import RunConfig
    from riskscope.core import RunRecord
    from riskscope.runner import RunStats
    from riskscope.store import Store
    from riskscope.targets import Target


def http_ok(body: bytes) -> bytes:
    """A whole HTTP/1.1 200 answer with a JSON body (keep-alive: Content-Length, no close)."""
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body


async def serve(latency_s: float, answer: Callable[[bytes], bytes]) -> None:
    """A minimal keep-alive server: parse headers, read the body, sleep, send ``answer(body)``.

    Prints its port on stdout (the parent reads it) and serves until it is terminated."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                await asyncio.sleep(latency_s)
                writer.write(answer(body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def start_server(script: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``script --serve ARGS`` as a child process; its base URL once it listens."""
    process = subprocess.Popen([sys.executable, script, "--serve", *args], stdout=subprocess.PIPE, text=True)
    if process.stdout is None:
        raise RuntimeError("no stdout from the server process")
    return process, f"http://127.0.0.1:{int(process.stdout.readline())}/v1"


def stop_server(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=10)


def warm_up() -> None:
    """Import every registry's built-ins now: a one-off start-up cost, not a per-item one."""
    from riskscope.judges import judges
    from riskscope.suites import suites
    from riskscope.targets import targets

    for registry in (targets, judges, suites):
        registry.list()


async def target_alone(
    url: str, calls: int, c: int, call: Callable[[Target, int], Awaitable[Any]]
) -> tuple[float, float]:
    """The floor: ``calls`` calls (``call(target, i)``) through the openai target, C at a time, with
    no runner, store or judge; its wall and CPU seconds."""
    from riskscope.config import TargetConfig
    from riskscope.targets import build_target

    target = build_target(TargetConfig(name="openai", arg=f"bench@{url}", concurrency=c))
    queue = iter(range(calls))

    async def worker() -> None:
        for i in queue:
            await call(target, i)

    cpu0, started = time.process_time(), time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(c)))
    finally:
        await target.aclose()
    return time.perf_counter() - started, time.process_time() - cpu0


def run_config(suite: Path, url: str, c: int, store: Path, **extra: Any) -> RunConfig:
    """The benches' run: ``suite`` through the openai target at ``url``, C calls at a time, the
    refusal judge, a real SQLite store; ``extra`` adds config fields (attacks, executor, ...)."""
    from riskscope.config import RunConfig

    return RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "openai", "arg": f"bench@{url}", "concurrency": c, "max_retries": 2},
            "judges": ["refusal"],
            "store": str(store),
            **extra,
        }
    )


def timed_run(config: RunConfig, store: Store) -> tuple[RunRecord, RunStats, float, float]:
    """``execute`` once: the run, its stats, its wall seconds and this process's CPU seconds."""
    from riskscope.runner import execute

    cpu0, wall0 = time.process_time(), time.perf_counter()
    run, stats = asyncio.run(execute(config, store))
    return run, stats, time.perf_counter() - wall0, time.process_time() - cpu0


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far (Linux /proc): the latency
    server's, to tell when the server rather than the client sets the pace."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """How shared the machine was (a bench on a loaded box gives upper bounds)."""
    return round(os.getloadavg()[0], 2)

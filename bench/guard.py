"""What the safeguard proxy costs: added latency per request, and requests/s at concurrency C.

Both numbers are measured against a direct-to-upstream baseline in the same run, as ratios:

* **Added latency** (C = 1, upstream latency ``--latency-small``): N pairs of non-streamed requests,
  one straight to the upstream and one through ``riskscope guard serve`` with the embedded judge on
  input and output, back to back (order alternating), so load on a shared machine hits both alike;
  p50/p99 of each side and of the per-pair difference.
* **Throughput** (C = ``--c``, upstream latency ``--latency``): N requests at concurrency C, direct,
  through the proxy with no judges (the proxy's own overhead) and with the embedded judge, the three
  in turn for ``--rounds`` rounds; the median requests/s of each and its ratio to direct.

The upstream is bench/throughput.py's fixed-latency server (a child process); the proxy is the real
command in another child process, logging every decision to a temporary store. Streaming is not
measured here (the fixed-latency server does not stream). All traffic stays on 127.0.0.1.

Usage: ``python bench/guard.py [--n 400 --c 32 --latency 0.1 --latency-small 0.005] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common
import httpx

# bench/throughput.py serves the fixed-latency upstream.
_THROUGHPUT = str(Path(__file__).with_name("throughput.py"))

_POLICY = """\
default: embedded
policies:
  embedded:
    input_judges: [embedded]
    output_judges: [embedded]
  none: {}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_proxy(upstream: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    policy = folder / "policy.yaml"
    policy.write_text(_POLICY, encoding="utf-8")
    port = _free_port()
    command = [
        sys.executable, "-m", "riskscope.cli", "guard", "serve", "--policy", str(policy), "--upstream", upstream,
        "--port", str(port), "--store", str(folder / "guard.db"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, f"{url}/v1"
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the guard proxy did not start")
        time.sleep(0.2)


def _body(i: int) -> dict[str, Any]:
    prompt = f"Benchmark question number {i}: what is {i} plus one?"
    return {"model": "bench", "messages": [{"role": "user", "content": prompt}], "max_tokens": 16}


async def _requests(url: str, n: int, c: int, policy: str | None) -> tuple[float, list[float]]:
    """(wall seconds, per-request latencies) for N requests at concurrency C; any failure aborts."""
    headers = {"X-Riskscope-Policy": policy} if policy else {}
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    latencies: list[float] = []
    queue = iter(range(min(20, n)))  # warm-up first: connections and the judge's first call
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            for i in queue:
                started = time.perf_counter()
                reply = await client.post(f"{url}/chat/completions", json=_body(i), headers=headers)
                latencies.append(time.perf_counter() - started)
                if reply.status_code != 200:
                    raise RuntimeError(f"request {i} failed with {reply.status_code}: {reply.text[:200]}")

        await worker_pool(worker, 1)
        queue = iter(range(n))
        latencies.clear()
        started = time.perf_counter()
        await worker_pool(worker, c)
        return time.perf_counter() - started, latencies


async def worker_pool(worker: Any, c: int) -> None:
    await asyncio.gather(*(worker() for _ in range(c)))


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _paired_latencies(direct_url: str, proxy_url: str, n: int) -> tuple[list[float], list[float]]:
    """C = 1, each request sent straight and through the proxy back to back (the order alternating),
    so a burst of load on the shared machine hits both sides of a pair alike."""
    direct, guarded = [], []
    async with httpx.AsyncClient(timeout=60) as client:

        async def one(url: str, i: int, policy: str | None) -> float:
            headers = {"X-Riskscope-Policy": policy} if policy else {}
            started = time.perf_counter()
            reply = await client.post(f"{url}/chat/completions", json=_body(i), headers=headers)
            if reply.status_code != 200:
                raise RuntimeError(f"request {i} failed with {reply.status_code}: {reply.text[:200]}")
            return time.perf_counter() - started

        for i in range(20):  # warm-up: connections and the judge's first call
            await one(direct_url, i, None)
            await one(proxy_url, i, "embedded")
        for i in range(n):
            if i % 2:
                guarded.append(await one(proxy_url, i, "embedded"))
                direct.append(await one(direct_url, i, None))
            else:
                direct.append(await one(direct_url, i, None))
                guarded.append(await one(proxy_url, i, "embedded"))
    return direct, guarded


def measure(n: int, c: int, latency_s: float, small_latency_s: float, rounds: int, folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "n": n, "concurrency": c, "latency_s": latency_s, "small_latency_s": small_latency_s, "rounds": rounds,
    }  # fmt: skip
    # Added latency per request at C = 1, paired request by request.
    upstream, upstream_url = _common.start_server(_THROUGHPUT, "--latency", str(small_latency_s))
    proxy, proxy_url = _start_proxy(upstream_url, folder / "a")
    try:
        direct, guarded = asyncio.run(_paired_latencies(upstream_url, proxy_url, n))
    finally:
        proxy.terminate()
        upstream.terminate()
        proxy.wait(10)
        upstream.wait(10)
    for name, values in (("direct", direct), ("guarded", guarded)):
        out[f"{name}_p50_ms"] = round(1000 * statistics.median(values), 2)
        out[f"{name}_p99_ms"] = round(1000 * _quantile(values, 0.99), 2)
    added = [g - d for d, g in zip(direct, guarded, strict=True)]
    out["added_p50_ms"] = round(1000 * statistics.median(added), 2)
    out["added_p99_ms"] = round(1000 * _quantile(added, 0.99), 2)
    # Requests/s at concurrency C against the slower upstream: the three modes in turn, `rounds`
    # times, the median of each (the machine's load drifts between rounds).
    upstream, upstream_url = _common.start_server(_THROUGHPUT, "--latency", str(latency_s))
    proxy, proxy_url = _start_proxy(upstream_url, folder / "b")
    modes = {
        "direct": (upstream_url, None),
        "proxy_no_judges": (proxy_url, "none"),
        "proxy_embedded": (proxy_url, "embedded"),
    }
    walls: dict[str, list[float]] = {name: [] for name in modes}
    try:
        for _ in range(rounds):
            for name, (url, policy) in modes.items():
                walls[name].append(asyncio.run(_requests(url, n, c, policy))[0])
    finally:
        proxy.terminate()
        upstream.terminate()
        proxy.wait(10)
        upstream.wait(10)
    ideal = n * latency_s / c
    out["ideal_rps"] = round(n / ideal, 1)
    for name, values in walls.items():
        out[f"{name}_rps"] = round(n / statistics.median(values), 1)
        out[f"{name}_rps_rounds"] = [round(n / w, 1) for w in values]
    out["proxy_no_judges_vs_direct"] = round(out["proxy_no_judges_rps"] / out["direct_rps"], 3)
    out["proxy_embedded_vs_direct"] = round(out["proxy_embedded_rps"] / out["direct_rps"], 3)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--c", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.1, help="upstream latency for the throughput part")
    parser.add_argument("--latency-small", type=float, default=0.005, help="upstream latency for the C=1 part")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (median reported)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        (Path(tmp) / "b").mkdir()
        r = measure(args.n, args.c, args.latency, args.latency_small, args.rounds, Path(tmp))
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(
        f"added latency, C=1, upstream {1000 * r['small_latency_s']:.0f} ms, embedded judge in and out "
        f"(N={r['n']} pairs, direct and guarded back to back):\n"
        f"  direct  p50 {r['direct_p50_ms']:.1f} ms  p99 {r['direct_p99_ms']:.1f} ms\n"
        f"  guarded p50 {r['guarded_p50_ms']:.1f} ms  p99 {r['guarded_p99_ms']:.1f} ms\n"
        f"  added (per pair) p50 {r['added_p50_ms']:+.1f} ms  p99 {r['added_p99_ms']:+.1f} ms\n"
        f"throughput, C={r['concurrency']}, upstream {1000 * r['latency_s']:.0f} ms "
        f"(ideal {r['ideal_rps']:.0f} req/s; median of {r['rounds']} rounds, modes in turn):\n"
        f"  direct            {r['direct_rps']:.1f} req/s\n"
        f"  proxy, no judges  {r['proxy_no_judges_rps']:.1f} req/s  ({r['proxy_no_judges_vs_direct']:.3f} x direct)\n"
        f"  proxy, embedded   {r['proxy_embedded_rps']:.1f} req/s  ({r['proxy_embedded_vs_direct']:.3f} x direct)\n"
        f"load average (1 min): {r['load_average_1m']}"
    )


if __name__ == "__main__":
    main()

"""Dashboard page latency on a 50,000-item run, as ratios to /health measured in the same run.

The store is built through the Store API (add_items, put_response, put_verdicts) with invented
text, then served by uvicorn on 127.0.0.1 exactly as `riskscope serve` does. Each page is fetched
--repeat times over one keep-alive connection and the median is compared with the median of
/health, a trivial endpoint that pays the same HTTP, middleware and security-header cost: the
ratio is what the page itself costs, independent of how fast this machine is. The first view of
each page is printed too: it pays for the grouped counts that later views reuse.

    .venv/bin/python bench/dashboard.py [--items 50000] [--repeat 15] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HAZARDS = ("vcr", "ncr", "hte", "prv", "spc_fin", "ssh", "iwp", "dfm")


def build_store(path: Path, n_items: int) -> tuple[str, str]:
    """Two runs of ``n_items`` each (the second for the compare page)."""
    from riskscope.core import (
        ErrorKind,
        Expected,
        Message,
        Outcome,
        Response,
        ResponseError,
        RunStatus,
        TestCase,
        Variant,
        Verdict,
    )
    from riskscope.store import ItemRow, Store

    rng = random.Random(0)
    run_ids = []
    with Store(path) as store:
        for label in ("a", "b"):
            config = {"target": {"name": "bench", "arg": label}, "suites": [{"name": "bench"}],
                      "judges": [{"name": "refusal"}, {"name": "keyword"}]}
            run = store.create_run(config, f"bench-{label}", {"riskscope": "bench"})
            items = []
            for seq in range(n_items):
                case_no = seq // 4
                benign = case_no % 5 == 4
                case = TestCase(
                    id=f"bench-{case_no:06d}",
                    messages=(Message(role="user", content=f"Invented bench prompt {case_no}, padded."),),
                    hazard="benign" if benign else HAZARDS[case_no % len(HAZARDS)],
                    expected=Expected.COMPLY if benign else Expected.REFUSE,
                    source="bench",
                )
                lineage = ("rot13",) if seq % 2 else ()
                variant = Variant(id=f"{case.id}:{seq % 2}", case=case, messages=case.messages, lineage=lineage)
                persona = "skilled" if (seq // 2) % 2 else "unskilled"
                items.append(ItemRow(f"{label}-{seq:07d}", seq, variant, persona, f"{label}-key-{seq}"))
            store.add_items(run.id, items)
            for item in items:
                if item.seq % 97 == 0:
                    error = ResponseError(kind=ErrorKind.TIMEOUT, message="timed out")
                    store.put_response(run.id, item.item_id, item.cache_key, Response(error=error))
                    store.put_verdicts(run.id, item.item_id, {j: Verdict.unassessed(j, "target error (timeout)")
                                                              for j in ("refusal", "keyword")})
                    continue
                unsafe = rng.random() < 0.2
                text = "Invented answer. " + ("Here are steps." if unsafe else "I can't help with that.")
                store.put_response(run.id, item.item_id, item.cache_key, Response(text=text, latency_s=0.1))
                outcome = Outcome.UNSAFE if unsafe else Outcome.SAFE
                store.put_verdicts(run.id, item.item_id, {
                    "refusal": Verdict(outcome=outcome, judge="refusal",
                                       labels={"refusal": "full_compliance" if unsafe else "full_refusal"}),
                    "keyword": Verdict(outcome=outcome if rng.random() < 0.9 else Outcome.SAFE, judge="keyword"),
                })
                if item.seq % 50 == 1:
                    store.enqueue_review(run.id, item.item_id, "judges disagree", rng.random())
            store.set_status(run.id, RunStatus.COMPLETE, total_items=n_items)
            run_ids.append(run.id)
    return run_ids[0], run_ids[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import httpx
    import uvicorn

    from riskscope.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        started = time.perf_counter()
        run_a, run_b = build_store(path, args.items)
        build_s = time.perf_counter() - started
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(path), host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        pages = {
            "health (baseline)": "/health",
            "runs list": "/",
            "run page 1": f"/runs/{run_a}",
            "run page 500 (deep offset)": f"/runs/{run_a}?page=500",
            "run filtered hazard+outcome": f"/runs/{run_a}?hazard=ncr&outcome=unsafe",
            "run filtered text search": f"/runs/{run_a}?q=prompt+1234",
            "review queue": f"/runs/{run_a}/review",
            "compare two runs": f"/compare?a={run_a}&b={run_b}",
        }
        medians: dict[str, float] = {}
        cold: dict[str, float] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for name, url in pages.items():
                # The first view pays for the grouped counts and the filtered id list; later views
                # (paging, reloads) reuse them until the store changes.
                t0 = time.perf_counter()
                client.get(url).raise_for_status()
                cold[name] = time.perf_counter() - t0
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    client.get(url).raise_for_status()
                    times.append(time.perf_counter() - t0)
                medians[name] = statistics.median(times)
        server.should_exit = True
        thread.join(timeout=10)

    baseline = medians["health (baseline)"]
    result = {
        "items_per_run": args.items,
        "store_build_s": round(build_s, 1),
        "first_view_ms": {k: round(v * 1000, 2) for k, v in cold.items()},
        "median_ms": {k: round(v * 1000, 2) for k, v in medians.items()},
        "ratio_to_health": {k: round(v / baseline, 1) for k, v in medians.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.items} items per run; store built through the Store API in {build_s:.1f} s")
    print(f"{'page':32} {'first ms':>9} {'median ms':>10} {'x /health':>10}")
    for name, value in medians.items():
        print(f"{name:32} {cold[name] * 1000:9.1f} {value * 1000:10.2f} {value / baseline:10.1f}")


if __name__ == "__main__":
    sys.exit(main())

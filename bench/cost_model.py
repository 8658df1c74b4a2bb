"""What one item costs the local executor, stage by stage, and what the single-writer store can take.

For N items of bench/throughput.py's suite this prints the CPU milliseconds per item of each stage
the runner pays (planning: ids and cache keys; committing the planned items; the target call
through the openai target against throughput.py's fixed-latency server, C at a time; committing
the response; the refusal judge; committing the verdict), the store's commits per second with one
transaction per response and one per verdict (the runner's worst case: it commits what finishes in
one turn of its event loop together, and a turn may finish only one item), and the bytes per item
the SQLite file holds at the end.

The baseline, measured in the same run on the same rows: the same inserts batched 256 items per
transaction, which is what a driver that batches its commits would pay (and what a kill could then
lose: up to 256 answered calls). The ratio says how much of the store's cost is the per-result
commit rather than the rows themselves. Beside it, the runner's own group commit (the store's
writes joined into one transaction per 8 items: what one turn of a busy loop finishes).
docs/scale.md turns these figures into the cost model.

    .venv/bin/python bench/cost_model.py [--n 5000] [--c 128]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from riskscope.config import PluginSpec, RunConfig
from riskscope.core import Response, TestCase
from riskscope.judges import build_judge
from riskscope.runner import load_cases, plan_items
from riskscope.store import Store

sys.path.insert(0, str(Path(__file__).parent))
import _common
from throughput import _ask, _suite

_TEXT = "I'm sorry, I can't help with that."
# Items per group commit: a busy loop at C=128 finished 5 to 50 per turn on the loaded machine.
_GROUP = 8


def _cpu(fn: object, *args: object) -> tuple[object, float]:
    started = time.process_time()
    result = fn(*args)  # type: ignore[operator]
    return result, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--c", type=int, default=128)
    args = parser.parse_args()
    n = args.n
    _common.warm_up()
    judge = build_judge(PluginSpec(name="refusal"))
    asyncio.run(judge.judge(TestCase.from_prompt("warm up"), Response(text="Fine.")))
    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = RunConfig.model_validate(
            {
                "suites": [f"jsonl:{_suite(folder, n)}"],
                "target": {"name": "openai", "arg": "bench@http://127.0.0.1:9/v1", "concurrency": args.c},
                "judges": ["refusal"],
                "store": str(folder / "bench.db"),
            }
        )
        cases = load_cases(config)
        items, stages["plan (ids, cache keys)"] = _cpu(lambda: list(plan_items(config, cases)))
        assert isinstance(items, list)
        process, url = _common.start_server(str(Path(__file__).with_name("throughput.py")), "--latency", "0.1")
        try:
            asyncio.run(_common.target_alone(url, 300, args.c, _ask))  # connections and imports: paid once
            _wall, stages["target call (openai, C at a time)"] = asyncio.run(_common.target_alone(url, n, args.c, _ask))
        finally:
            process.terminate()
            process.wait(timeout=10)
        response = Response(text=_TEXT, finish_reason="stop", latency_s=0.1, prompt_tokens=12, completion_tokens=9)
        with Store(config.store) as store:
            run = store.create_run(config.model_dump(mode="json"), config.config_hash(), {})
            _, stages["commit planned items"] = _cpu(store.add_items, run.id, items)

            def responses() -> None:
                for item in items:
                    store.put_response(run.id, item.item_id, item.cache_key, response)

            _, stages["commit response (1 transaction each)"] = _cpu(responses)
            verdicts = [asyncio.run(judge.judge(item.variant.case, response)) for item in items[:1]]
            started = time.process_time()

            async def judge_all() -> list[object]:
                return [await judge.judge(item.variant.case, response) for item in items]

            judged = asyncio.run(judge_all())
            stages["refusal judge"] = time.process_time() - started

            def put_verdicts() -> None:
                for item, verdict in zip(items, judged, strict=True):
                    store.put_verdicts(run.id, item.item_id, {"refusal": verdict})  # type: ignore[dict-item]

            _, stages["commit verdict (1 transaction each)"] = _cpu(put_verdicts)
            store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the bytes below are the file's, WAL folded in
        size = os.path.getsize(folder / "bench.db")

        # The baseline: the same rows, 256 items per transaction, into a fresh store.
        with Store(folder / "batched.db") as batched:
            run2 = batched.create_run(config.model_dump(mode="json"), config.config_hash(), {})
            batched.add_items(run2.id, items)
            db = batched._db  # the bench reaches past the API: batching is what the store does not offer
            now = "2026-01-01T00:00:00.000+00:00"
            data, verdict_json = response.model_dump_json(), verdicts[0].model_dump_json()
            started = time.process_time()
            for start in range(0, n, 256):
                db.execute("BEGIN")
                for item in items[start : start + 256]:
                    db.execute(
                        "INSERT INTO calls (run_id, item_id, cache_key, ok, error_kind, retries, latency_s, "
                        "finished_at) VALUES (?,?,?,?,?,?,?,?)",
                        (run2.id, item.item_id, item.cache_key, 1, None, 0, 0.1, now),
                    )
                    db.execute("INSERT OR REPLACE INTO responses VALUES (?,?,?)", (item.cache_key, data, now))
                    db.execute(
                        "INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?,?)",
                        (run2.id, item.item_id, "refusal", verdicts[0].outcome, verdict_json, now),
                    )
                db.execute("COMMIT")
            batched_cpu = time.process_time() - started

        # The runner's own path: put_response and put_verdicts joined into one transaction per
        # group (runner/_commits.py commits what finishes in one turn of the loop together).
        with Store(folder / "grouped.db") as grouped:
            run3 = grouped.create_run(config.model_dump(mode="json"), config.config_hash(), {})
            grouped.add_items(run3.id, items)
            started = time.process_time()
            for start in range(0, n, _GROUP):
                with grouped.transaction():
                    for item in items[start : start + _GROUP]:
                        grouped.put_response(run3.id, item.item_id, item.cache_key, response)
                        grouped.put_verdicts(run3.id, item.item_id, {"refusal": verdicts[0]})  # type: ignore[dict-item]
            grouped_cpu = time.process_time() - started
    print(f"N={n} items, C={args.c}; CPU ms per item by stage:")
    for stage, seconds in stages.items():
        print(f"  {stage:<40} {1000 * seconds / n:7.3f} ms")
    total = sum(stages.values())
    print(f"  {'total':<40} {1000 * total / n:7.3f} ms  -> {n / total:,.0f} items/s of CPU per process")
    commits = stages["commit response (1 transaction each)"] + stages["commit verdict (1 transaction each)"]
    print(f"store: {2 * n / commits:,.0f} commits/s, one per result ({1000 * commits / n:.3f} ms per item)")
    print(
        f"baseline, 256 items per transaction: {1000 * batched_cpu / n:.3f} ms per item; ratio per-result / batched "
        f"{commits / batched_cpu:.2f}"
    )
    print(
        f"runner's group commit, {_GROUP} items per transaction: {1000 * grouped_cpu / n:.3f} ms per item; "
        f"ratio per-result / grouped {commits / grouped_cpu:.2f}"
    )
    print(f"SQLite file: {size / n:,.0f} bytes per item ({size / 1e6:.1f} MB for {n} items)")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

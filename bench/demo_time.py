"""Time of the default run (`riskscope run` with no arguments): first result and total.

Baseline, measured in the same process run: the bare llama-cpp-python calls for the same prompts
with the same decoding, no riskscope at all. The ratio total / baseline is riskscope's overhead
(store, judging, reports), which is what this project controls; absolute seconds depend on the
machine.

    .venv/bin/python bench/demo_time.py [--json] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def bare_llama_seconds(limit: int | None, max_tokens: int) -> tuple[float, int]:
    """The same chat completions straight through llama-cpp-python."""
    import llama_cpp

    from riskscope.config import PluginSpec
    from riskscope.suites import build_suite
    from riskscope.targets.llamacpp import default_threads, embedded_model_path

    cases = list(build_suite(PluginSpec(name="demo")))[:limit]
    started = time.perf_counter()
    threads = default_threads()
    llm = llama_cpp.Llama(
        model_path=str(embedded_model_path()), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    for case in cases:
        llm.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in case.messages],  # type: ignore[misc]
            max_tokens=max_tokens,
            temperature=0.0,
            top_k=1,
            seed=0,
        )
    return time.perf_counter() - started, len(cases)


def riskscope_run(limit: int | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "riskscope.cli", "run", "--json", "--progress", "none",
               "--store", str(Path(tmp) / "s.db"), "--out", str(Path(tmp) / "out")]
        if limit is not None:
            cmd += ["--limit", str(limit)]
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        total = time.perf_counter() - started
    report = json.loads(done.stdout)
    this = report["this_invocation"]
    return {"total_s": total, "first_result_s": this["first_result_s"], "items": this["planned"],
            "pipeline_s": this["wall_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=96, help="must match the run's default")
    args = parser.parse_args()
    run = riskscope_run(args.limit)
    baseline_s, _ = bare_llama_seconds(args.limit, args.max_tokens)
    result = {
        "items": run["items"],
        "time_to_first_result_s": round(float(run["first_result_s"]), 2),  # type: ignore[arg-type]
        "total_s": round(float(run["total_s"]), 2),  # type: ignore[arg-type]
        "bare_llama_s": round(baseline_s, 2),
        "ratio_total_vs_bare_llama": round(float(run["total_s"]) / baseline_s, 3),  # type: ignore[arg-type]
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()

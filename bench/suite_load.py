"""Suite loading speed and memory: riskscope's JSONL loader against plain ``json.loads``, same run.

Generates JSONL files of 100,000 and 1,000,000 invented rows in a temporary folder, then for each
size measures, in a fresh subprocess per measurement (so one measurement's memory cannot leak into
another's):

- rows/s of a baseline that only parses each line with ``json.loads`` (the floor any loader pays),
- rows/s of ``riskscope.suites`` streaming the same file into ``TestCase`` objects (type-checked
  fast path; orjson is used for parsing when installed, the stdlib otherwise),
- peak traced memory (tracemalloc) of each, which must not grow with the file size.

Targets (issue 4): riskscope >= 100k rows/s, and peak memory at 1M about the same as at 100k.

    .venv/bin/python bench/suite_load.py            # 100k and 1M rows
    .venv/bin/python bench/suite_load.py --sizes 20000,200000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_HAZARDS = ("vcr", "ncr", "hte", "prv", "ssh", "spc_fin", "benign")
_WORDS = ("please", "explain", "how", "a", "garden", "river", "recipe", "history", "of", "the", "city", "music")

_MEASURE = r"""
import json, sys, time, tracemalloc
mode, path, traced = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if mode == "riskscope":
    from riskscope.config import PluginSpec
    from riskscope.suites import build_suite
    from riskscope.suites import suites
    suites.get("jsonl")  # import and registry cost stay outside the timing
if traced:
    tracemalloc.start()
t0 = time.perf_counter()
rows = 0
if mode == "baseline":
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            json.loads(line)
            rows += 1
else:
    for case in build_suite(PluginSpec(name="jsonl", arg=path)):
        rows += 1
elapsed = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1] if traced else 0
print(json.dumps({"rows": rows, "seconds": elapsed, "peak_bytes": peak}))
"""


def write_rows(path: Path, count: int) -> None:
    """Invented, harmless rows in riskscope's JSONL format (ids given, as exported suites have)."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            words = " ".join(_WORDS[(i * 7 + k) % len(_WORDS)] for k in range(12 + i % 9))
            row = {
                "id": f"gen-{i:07d}",
                "prompt": f"{words} number {i}?",
                "hazard": _HAZARDS[i % len(_HAZARDS)],
                "persona": "skilled" if i % 2 else "unskilled",
                "expected": "comply" if i % len(_HAZARDS) == len(_HAZARDS) - 1 else "refuse",
                "language": "en",
            }
            out.write(json.dumps(row) + "\n")


def measure(mode: str, path: Path, traced: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, mode, str(path), "1" if traced else "0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per loader (best kept)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'rows':>9} {'loader':<10} {'rows/s':>10} {'x baseline':>10} {'peak MiB':>9}")
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"suite-{size}.jsonl"
            write_rows(path, size)
            # Rounds alternate the two loaders and keep each one's best, so a burst of load from
            # other processes on a shared machine does not decide the ratio.
            timed: dict[str, dict[str, float]] = {}
            for _ in range(args.rounds):
                for mode in ("baseline", "riskscope"):
                    result = measure(mode, path, traced=False)
                    if mode not in timed or result["seconds"] < timed[mode]["seconds"]:
                        timed[mode] = result
            traced = {mode: measure(mode, path, traced=True) for mode in ("baseline", "riskscope")}
            base_rate = timed["baseline"]["rows"] / timed["baseline"]["seconds"]
            for mode in ("baseline", "riskscope"):
                if timed[mode]["rows"] != size:
                    raise SystemExit(f"{mode} read {timed[mode]['rows']} rows of {size}")
                rate = timed[mode]["rows"] / timed[mode]["seconds"]
                peak = traced[mode]["peak_bytes"] / 2**20
                print(f"{size:>9} {mode:<10} {rate:>10,.0f} {rate / base_rate:>10.2f} {peak:>9.2f}")
            peaks[size] = traced["riskscope"]["peak_bytes"] / 2**20
            path.unlink()
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        print(
            f"peak memory ratio {large:,}/{small:,} rows: {peaks[large] / peaks[small]:.2f} (1.0 = independent of size)"
        )


if __name__ == "__main__":
    main()

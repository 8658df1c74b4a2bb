"""Start-up cost of the ``riskscope`` command, against a bare ``python -c pass`` measured in the same run.

Every command pays its imports before it does anything; this bench shows what each verb pays
beyond the interpreter's own start. Each command runs ``--repeat`` times in fresh processes and
the median is kept (start-up times are skewed by whatever else the machine does):

- ``--help`` and ``runs list`` (on a store with a few runs): the cheap verbs;
- ``run`` to its first target call: a ``callable:`` target notes the wall-clock time of its first
  call, so the figure covers imports, config, suite loading, judge set-up and planning.

Goals from issue 11: ``--help`` and ``runs list`` within 0.25 s of bare Python, ``run`` to its first
target call within 0.4 s of it.

    .venv/bin/python bench/startup.py [--repeat 7] [--json]
    PYTHONPATH=/path/to/older/checkout/src .venv/bin/python bench/startup.py   # an older version
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RISKSCOPE = Path(sys.executable).parent / "riskscope"
TARGET_MODULE = '''
import os, time
_seen = False
def respond(messages):
    global _seen
    if not _seen:
        _seen = True
        with open(os.environ["STARTUP_BENCH_MARK"], "w") as f:
            f.write(repr(time.time()))
    return "I can't help with that."
'''


def _wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _first_call(command: list[str], env: dict[str, str], mark: Path, store: Path) -> float:
    """Each run gets a new store: the response cache would otherwise serve the call."""
    mark.unlink(missing_ok=True)
    store.unlink(missing_ok=True)
    started = time.time()
    subprocess.run(
        [*command, "--store", str(store)], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return float(mark.read_text()) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "startup_bench_target.py").write_text(TARGET_MODULE, encoding="utf-8")
        store = folder / "store.db"
        mark = folder / "first_call"
        env = {
            **os.environ,
            # Kept after our folder, so PYTHONPATH=OTHER_CHECKOUT/src measures another version.
            "PYTHONPATH": os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p),
            "RISKSCOPE_STORE": str(store),
            "STARTUP_BENCH_MARK": str(mark),
        }
        from riskscope.store import Store

        with Store(store) as db:
            for i in range(3):
                db.create_run({"target": {"name": "callable", "arg": f"x{i}"}}, f"hash{i}", {})

        run_base = [str(RISKSCOPE), "run", "--target", "callable:startup_bench_target:respond", "--limit", "1"]
        run_base += ["--out", str(folder / "out"), "--progress", "none", "--fresh"]
        wall_commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "riskscope --help": [str(RISKSCOPE), "--help"],
            "riskscope runs list": [str(RISKSCOPE), "runs", "list"],
        }
        first_call_commands = {
            "riskscope run --judge refusal (to first call)": [*run_base, "--judge", "refusal"],
            "riskscope run, default judges (to first call)": run_base,
        }
        samples: dict[str, list[float]] = {name: [] for name in [*wall_commands, *first_call_commands]}
        # Interleaved, so a burst of load elsewhere hits every command alike.
        for _ in range(args.repeat):
            for name, command in wall_commands.items():
                samples[name].append(_wall(command, env))
            for name, command in first_call_commands.items():
                samples[name].append(_first_call(command, env, mark, folder / "run.db"))

    median = {name: statistics.median(values) for name, values in samples.items()}
    bare = median["python -c pass"]
    rows = [
        {"command": name, "median_s": round(m, 3), "above_bare_s": round(m - bare, 3), "ratio": round(m / bare, 2)}
        for name, m in median.items()
    ]
    if args.json:
        print(json.dumps({"repeat": args.repeat, "rows": rows}, indent=2))
        return
    print(f"{'command':<48} {'median':>8} {'above bare':>11} {'ratio':>6}   ({args.repeat} runs each)")
    for row in rows:
        print(f"{row['command']:<48} {row['median_s']:>7.3f}s {row['above_bare_s']:>10.3f}s {row['ratio']:>6.2f}")


if __name__ == "__main__":
    main()

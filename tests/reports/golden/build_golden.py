"""Builds the fixed store and the expected outputs the behaviour-preservation test compares against.

Run once before a refactor of the reporting path, commit the outputs, and the test
(tests/reports/test_golden_outputs.py) requires every later commit to render the same bytes
from the same store. Regenerate (``python tests/reports/golden/build_golden.py``) only for an
intended change of what a report says, and say so in the commit; ``--render-only`` re-renders
the outputs from the committed store without rebuilding it (same run ids).

The store is committed as a file: run ids and timestamps are fixed once, so the renderings are
byte-for-byte reproducible with nothing to mask.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

STORE = HERE / "golden.db"
JUDGE_EVAL = HERE / "judge_eval.json"
PLAIN = HERE / "plain"
GRADED = HERE / "graded"


def build_store(path: Path) -> tuple[str, str]:
    """Two runs of invented items: the evaluated one and a reference for grades."""
    from _synthetic import build_run

    from riskscope.store import Store

    with Store(path) as store:
        run = build_run(store, 24, seed=3, label="golden", headline="keyword")
        reference = build_run(store, 24, seed=4, unsafe_rate=0.2, label="reference")
    return run, reference


def render_only() -> None:
    """Re-render the expected outputs from the committed store (same run ids): for an intended
    change of what a report says, without rebuilding the store."""
    from render_golden import render_all

    runs = json.loads((HERE / "runs.json").read_text(encoding="utf-8"))
    for folder, outputs in render_all(STORE, runs["run"], runs["reference"], JUDGE_EVAL).items():
        for name, text in outputs.items():
            (HERE / folder / name).write_text(text, encoding="utf-8")
    print(f"re-rendered the outputs of golden store {STORE}")


def main() -> None:
    from render_golden import render_all

    if "--render-only" in sys.argv[1:]:
        render_only()
        return
    if STORE.exists():
        STORE.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "golden.db"
        run, reference = build_store(built)
        import sqlite3

        db = sqlite3.connect(built)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("VACUUM")
        db.close()
        shutil.copy(built, STORE)
    JUDGE_EVAL.write_text(
        # Names the judge it measured (the golden run's headline judge, "keyword" at version 1):
        # --judge-eval refuses accuracy figures of another judge.
        json.dumps(
            {"judge_spec": "keyword", "judge_version": "1", "overall": {"confusion": {"tp": 41, "fn": 9, "fp": 6, "tn": 94}}},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    (HERE / "runs.json").write_text(json.dumps({"run": run, "reference": reference}, indent=2) + "\n")
    for folder, outputs in render_all(STORE, run, reference, JUDGE_EVAL).items():
        target = HERE / folder
        target.mkdir(exist_ok=True)
        for name, text in outputs.items():
            (target / name).write_text(text, encoding="utf-8")
    print(f"golden store {STORE}: run {run}, reference {reference}")


if __name__ == "__main__":
    main()

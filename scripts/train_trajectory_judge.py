"""Train the offline trajectory judge on ASSEBench (security subset), holding out whole application
scenarios, and write its weights to judges/data/.

    python scripts/train_trajectory_judge.py --data ../shared/data          # nested held-out + final fit
    python scripts/train_trajectory_judge.py --data ../shared/data --final-only --out DIR
                                                 # final fit with the committed choices (reproduction test)

Why hold out scenarios, not rows: the 817 records come in 12 application scenarios with very
different base rates (IT operations: 76 of 76 unsafe; security operations: 17 of 124) and their own
tools and wording. Random rows would let the model learn "this scenario's tools mean unsafe" and
score well for that reason alone. A user's agent runs in a scenario of its own, so every figure
reported here is for scenarios the model never saw:

* outer loop, leave one scenario out: the model is fitted on the other 11 scenarios and scores the
  held-out one;
* inside, the L2 strength and the Platt calibration are chosen by the same leave-one-scenario-out
  on those 11 only, so the held-out scenario decides nothing;
* the shipped model is fitted on all 12 with the choice the same procedure makes on all 12.

Intervals: item-level bootstrap (``compute_metrics``) and Wilson per scenario, plus a bootstrap
over *scenarios* for the pooled figures, since rows of one scenario are not independent.

Data is read from ../shared/data, never copied: only float weights (hash buckets, no vocabulary)
and figures are written. Deterministic: L-BFGS from zeros, bootstrap from ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

# One BLAS thread: the fits are small dense solves, faster alone on a shared box, and the sums
# come out in the same order every run.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from riskscope.core import Outcome
from riskscope.judges._trajectory_data import TrajectoryRecord, load_trajectory_records
from riskscope.judges._trajectory_features import TrajectoryFeatureConfig, trajectory_features
from riskscope.judges.evaluation import compute_metrics

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_embedded_judge import auc, confusion, fit_platt, sha256

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "src" / "riskscope" / "judges" / "data"
DATA_FILE = Path("assebench_security") / "AgentJudge-security.json"
WEIGHTS = "trajectory_judge.npz"
META = "trajectory_judge.json"
L2_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
CONFIG = TrajectoryFeatureConfig()
THRESHOLD = 0.5  # on the calibrated P(unsafe): the Platt fit absorbs the choice of cut


def featurize(records: Sequence[TrajectoryRecord], config: TrajectoryFeatureConfig) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for record in records:
        cols, vals = trajectory_features(record.trajectory, config)
        indices.extend(cols)
        values.extend(vals)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(records), config.n_features),
    )


def gram(records: Sequence[TrajectoryRecord], config: TrajectoryFeatureConfig) -> tuple[np.ndarray, sparse.csr_matrix]:
    """The rows' Gram matrix (what the dual fit needs) and the feature rows (to turn alpha into weights)."""
    x = featurize(records, config)
    return (x @ x.T).toarray(), x


def fit_dual(kernel: np.ndarray, y: np.ndarray, l2: float, max_steps: int = 50) -> tuple[np.ndarray, float]:
    """L2 logistic regression with an unpenalised bias, solved in the dual by damped Newton.

    The same objective as ``fit_logistic`` in train_embedded_judge.py (mean log loss + l2/2 |w|^2),
    but with 817 rows and 65k hashed columns the weights are w = X^T alpha, so Newton works on the
    rows' Gram matrix (n x n) instead of L-BFGS on 65k weights: exact, and about 20x faster here.
    """
    n = len(y)
    alpha = np.zeros(n)
    bias = 0.0

    def objective(a: np.ndarray, b: float) -> float:
        z = kernel @ a + b
        return float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * a @ kernel @ a)

    value = objective(alpha, bias)
    for _ in range(max_steps):
        z = kernel @ alpha + bias
        p = 1.0 / (1.0 + np.exp(-z))
        r = (p - y) / n
        d = p * (1 - p) / n
        # Newton system with the common factor K taken out of the alpha rows (K may be singular).
        system = np.empty((n + 1, n + 1))
        system[:n, :n] = d[:, None] * kernel + l2 * np.eye(n)
        system[:n, n] = d
        system[n, :n] = d @ kernel
        system[n, n] = d.sum()
        rhs = -np.concatenate([r + l2 * alpha, [r.sum()]])
        step = np.linalg.solve(system, rhs)
        t = 1.0
        while True:
            candidate = objective(alpha + t * step[:n], bias + t * step[n])
            if candidate <= value or t < 1e-4:
                break
            t /= 2
        alpha, bias = alpha + t * step[:n], bias + t * float(step[n])
        improvement = value - candidate
        value = candidate
        if improvement < 1e-10:
            break
    return alpha, bias


def loso_scores(kernel: np.ndarray, y: np.ndarray, groups: np.ndarray, rows: np.ndarray, l2: float) -> np.ndarray:
    """Raw held-out scores of ``rows``, each scored by a model fitted on the other scenarios in ``rows``."""
    scores = np.zeros(len(rows))
    for group in np.unique(groups[rows]):
        test = rows[groups[rows] == group]
        train = rows[groups[rows] != group]
        alpha, b = fit_dual(kernel[np.ix_(train, train)], y[train], l2)
        scores[groups[rows] == group] = kernel[np.ix_(test, train)] @ alpha + b
    return scores


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def choose(kernel: np.ndarray, y: np.ndarray, groups: np.ndarray, rows: np.ndarray) -> dict[str, float]:
    """L2 strength and Platt calibration by leave-one-scenario-out on ``rows`` alone (calibrated log loss)."""
    best: dict[str, float] | None = None
    for l2 in L2_GRID:
        scores = loso_scores(kernel, y, groups, rows, l2)
        a, b = fit_platt(scores, y[rows], np.ones(len(rows)))
        loss = log_loss(1.0 / (1.0 + np.exp(-(a * scores + b))), y[rows])
        if best is None or loss < best["log_loss"]:
            best = {"l2": l2, "platt_a": a, "platt_b": b, "log_loss": loss}
    if best is None:
        raise ValueError("L2_GRID is empty")
    return best


def wilson(k: int, n: int, z: float = 1.959964) -> list[float | None]:
    if n == 0:
        return [None, None, None]
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * float(np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / denom
    return [round(p, 4), round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def group_figures(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    c = confusion(y, pred)
    return {
        "n": len(y),
        "unsafe": int(y.sum()),
        **c,
        "accuracy": wilson(c["tp"] + c["tn"], len(y)),
        "sensitivity": wilson(c["tp"], c["tp"] + c["fn"]),
        "specificity": wilson(c["tn"], c["tn"] + c["fp"]),
    }


def scenario_bootstrap(
    y: np.ndarray, pred: np.ndarray, groups: np.ndarray, seed: int, n_boot: int = 2000
) -> dict[str, list[float]]:
    """95 % percentile intervals from resampling whole scenarios (rows of a scenario are correlated)."""
    rng = np.random.default_rng(seed)
    names = np.unique(groups)
    cells = ("tp", "fn", "fp", "tn")
    per = np.array([[confusion(y[groups == g], pred[groups == g])[k] for k in cells] for g in names])
    draws = per[rng.integers(0, len(names), size=(n_boot, len(names)))].sum(axis=1).astype(float)
    tp, fn, fp, tn = draws.T
    with np.errstate(divide="ignore", invalid="ignore"):
        figures = {
            "accuracy": (tp + tn) / (tp + fn + fp + tn),
            "f1": 2 * tp / (2 * tp + fp + fn),
            "sensitivity": tp / (tp + fn),
            "specificity": tn / (tn + fp),
        }
    out = {}
    for name, values in figures.items():
        values = values[~np.isnan(values)]
        out[name] = [round(float(v), 4) for v in np.quantile(values, [0.025, 0.975])]
    return out


def stress_subsets(records: Sequence[TrajectoryRecord]) -> dict[str, np.ndarray]:
    """Rows where the data set's shortcuts do not give the label away (docs/judges.md)."""
    no_leak = np.array(["attacker" not in r.trajectory.agent_text().lower() for r in records])
    three_steps = np.array([len(r.trajectory.agent_turns) == 3 for r in records])
    return {
        "no generator narration (agent never says 'attacker')": no_leak,
        "three agent turns (both labels common)": three_steps,
    }


def held_out(records: Sequence[TrajectoryRecord], kernel: np.ndarray, y: np.ndarray, seed: int) -> dict[str, Any]:
    groups = np.array([r.application_scenario or "(none)" for r in records])
    probability = np.zeros(len(y))
    chosen: dict[str, dict[str, float]] = {}
    everything = np.arange(len(y))
    for group in np.unique(groups):
        started = time.perf_counter()
        train = everything[groups != group]
        test = everything[groups == group]
        choice = choose(kernel, y, groups, train)
        alpha, b = fit_dual(kernel[np.ix_(train, train)], y[train], choice["l2"])
        raw = kernel[np.ix_(test, train)] @ alpha + b
        probability[test] = 1.0 / (1.0 + np.exp(-(choice["platt_a"] * raw + choice["platt_b"])))
        chosen[str(group)] = {k: round(v, 6) for k, v in choice.items()}
        print(f"  held out {group!s:<48} n={len(test):>4}  l2={choice['l2']:g}  {time.perf_counter() - started:.1f}s")
    pred = (probability >= THRESHOLD).astype(int)
    gold = [bool(v) for v in y]
    metrics = compute_metrics(gold, [bool(v) for v in pred], n_boot=2000, seed=seed)
    c = confusion(y, pred)
    pooled = {
        "n": len(y),
        **c,
        "item_bootstrap": {k: v.to_dict() for k, v in metrics.figures.items()},
        "sensitivity": wilson(c["tp"], c["tp"] + c["fn"]),
        "specificity": wilson(c["tn"], c["tn"] + c["fp"]),
        "scenario_bootstrap": scenario_bootstrap(y, pred, groups, seed),
        "auc": auc(y, probability),
    }
    majority = int(y.mean() >= 0.5)
    return {
        "stress": {name: group_figures(y[rows], pred[rows]) for name, rows in stress_subsets(records).items()},
        "split": "leave one application_scenario out (nested: l2 and calibration chosen without the held-out one)",
        "threshold": THRESHOLD,
        "pooled": pooled,
        "baseline_majority_class_accuracy": round(float(np.mean(y == majority)), 4),
        "by_scenario": {
            str(g): group_figures(y[groups == g], pred[groups == g]) | {"choice": chosen[str(g)]}
            for g in np.unique(groups)
        },
    }


def write(
    out: Path,
    weights: np.ndarray,
    bias: float,
    choice: dict[str, float],
    meta: dict[str, Any],
    config: TrajectoryFeatureConfig,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # float32 halves the file; the committed judge reads them back as float64.
    np.savez_compressed(out / WEIGHTS, weights=weights.astype(np.float32))
    document = {
        "format": 1,
        "version": "1",
        "feature_config": config.to_dict(),
        "bias": round(bias, 8),
        "l2": choice["l2"],
        "platt_a": round(choice["platt_a"], 8),
        "platt_b": round(choice["platt_b"], 8),
        "threshold": THRESHOLD,
        **meta,
    }
    (out / META).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def print_table(result: dict[str, Any]) -> None:
    def fmt(triple: Sequence[float | None]) -> str:
        point, low, high = triple
        return "n/a" if point is None else f"{point:.2f} [{low:.2f}, {high:.2f}]"

    print("\n| held-out scenario | n | unsafe | accuracy | sensitivity | specificity |")
    print("|---|---:|---:|---|---|---|")
    for name, g in result["by_scenario"].items():
        print(
            f"| {name} | {g['n']} | {g['unsafe']} | {fmt(g['accuracy'])} | {fmt(g['sensitivity'])} | "
            f"{fmt(g['specificity'])} |"
        )
    for name, g in result["stress"].items():
        print(
            f"| stress: {name} | {g['n']} | {g['unsafe']} | {fmt(g['accuracy'])} | {fmt(g['sensitivity'])} | "
            f"{fmt(g['specificity'])} |"
        )
    p = result["pooled"]
    acc, f1 = p["item_bootstrap"]["accuracy"], p["item_bootstrap"]["f1"]
    sb = p["scenario_bootstrap"]
    print(
        f"\npooled held-out (n={p['n']}): accuracy {acc['point']:.3f} [{acc['low']:.3f}, {acc['high']:.3f}] "
        f"(scenario bootstrap {sb['accuracy']}), F1 {f1['point']:.3f} [{f1['low']:.3f}, {f1['high']:.3f}] "
        f"(scenario bootstrap {sb['f1']}), sensitivity {fmt(p['sensitivity'])} (scenario bootstrap "
        f"{sb['sensitivity']}), specificity {fmt(p['specificity'])} (scenario bootstrap {sb['specificity']}), "
        f"AUC {p['auc']}; majority-class accuracy {result['baseline_majority_class_accuracy']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=20261130, help="bootstrap seed (fits are deterministic)")
    parser.add_argument(
        "--keep-leak",
        action="store_true",
        help="keep the 'attacker' sentences (the comparison model in docs/judges.md; use with --out elsewhere)",
    )
    parser.add_argument(
        "--final-only", action="store_true", help="skip the held-out loops; reuse the committed choice of l2/Platt"
    )
    args = parser.parse_args(argv)
    path = args.data / DATA_FILE
    if not path.is_file():
        print(f"no {path}: pass --data (the shared data folder)", file=sys.stderr)
        return 2
    records = load_trajectory_records(path)
    y = np.array([int(r.label is Outcome.UNSAFE) for r in records], dtype=np.float64)
    groups = np.array([r.application_scenario or "(none)" for r in records])
    if args.final_only:
        committed = json.loads((DEFAULT_OUT / META).read_text(encoding="utf-8"))
        config = TrajectoryFeatureConfig.from_dict(committed["feature_config"])
        choice = {k: float(committed[k]) for k in ("l2", "platt_a", "platt_b")}
        meta = {k: committed[k] for k in ("held_out", "training", "seed")}
        kernel, x = gram(records, config)
    else:
        config = replace(CONFIG, drop_sentences_with=()) if args.keep_leak else CONFIG
        kernel, x = gram(records, config)
        print(f"{len(records)} trajectories, {len(np.unique(groups))} scenarios; nested leave-one-scenario-out:")
        result = held_out(records, kernel, y, args.seed)
        print_table(result)
        choice = choose(kernel, y, groups, np.arange(len(y)))
        meta = {
            "held_out": result,
            "seed": args.seed,
            "training": {
                "data": str(DATA_FILE),
                "sha256": sha256(path),
                "n": len(records),
                "unsafe": int(y.sum()),
                "scenarios": len(np.unique(groups)),
                "l2_grid": list(L2_GRID),
            },
        }
    alpha, bias = fit_dual(kernel, y, choice["l2"])
    weights = np.asarray(x.T @ alpha).ravel()
    write(args.out, weights, bias, choice, meta, config)
    print(f"wrote {args.out / WEIGHTS} and {args.out / META} (l2={choice['l2']:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

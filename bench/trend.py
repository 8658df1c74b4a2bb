"""Early warning: detection delay and false alarms of riskscope's CUSUM against a naive rule.

Simulated series of runs (200 assessed items each, in-control unsafe rate 10 %, p0 estimated from
5 baseline runs as `riskscope trend` does), 10 monitored runs; a drift starts at monitored run 3
with several sizes. The naive rule alarms when a run's rate exceeds the baseline rate by more than
two standard errors (what a dashboard threshold does); the CUSUM is `stats.trend.binomial_cusum`
at a stated 5 % false-alarm rate over the series. Printed: the share of series with any false
alarm (no drift), detection power and median delay (runs after the drift) per drift size.

    .venv/bin/python bench/trend.py            # 400 series per row
    .venv/bin/python bench/trend.py --series 100
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from riskscope.stats.trend import binomial_cusum

N, P0, BASELINE, MONITORED, START = 200, 0.10, 5, 10, 3


def naive_alarm(counts: list[tuple[int, int]]) -> int | None:
    base_x = sum(x for x, _ in counts[:BASELINE])
    base_n = sum(n for _, n in counts[:BASELINE])
    p = base_x / base_n
    for t, (x, n) in enumerate(counts[BASELINE:]):
        if x / n > p + 2 * math.sqrt(p * (1 - p) / n):
            return t
    return None


def simulate(rate_after: float, series: int, rng: np.random.Generator) -> dict[str, tuple[float, float | None]]:
    out: dict[str, list[int | None]] = {"cusum": [], "naive": []}
    for _ in range(series):
        rates = [P0] * (BASELINE + START) + [rate_after] * (MONITORED - START)
        counts = [(int(rng.binomial(N, r)), N) for r in rates]
        result = binomial_cusum(counts, baseline=BASELINE, sims=4000, seed=int(rng.integers(1 << 30)))
        out["cusum"].append(None if result is None else result.alarm_at)
        out["naive"].append(naive_alarm(counts))
    summary: dict[str, tuple[float, float | None]] = {}
    for rule, alarms in out.items():
        if rate_after == P0:
            summary[rule] = (sum(a is not None for a in alarms) / series, None)
        else:
            delays = [a - START for a in alarms if a is not None and a >= START]
            summary[rule] = (len(delays) / series, float(np.median(delays)) if delays else None)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=400)
    args = parser.parse_args()
    rng = np.random.default_rng(20261130)
    print(f"{'unsafe rate after drift':>24} | {'CUSUM: alarms / delay':>24} | {'naive: alarms / delay':>24}")
    for after in (0.10, 0.13, 0.16, 0.20, 0.30):
        row = simulate(after, args.series, rng)
        cells = []
        for rule in ("cusum", "naive"):
            share, delay = row[rule]
            what = "false alarms" if after == P0 else "detected"
            cells.append(f"{what} {share:5.1%}" + ("" if delay is None else f", {delay:.0f} runs"))
        print(f"{after:>24.0%} | {cells[0]:>24} | {cells[1]:>24}")


if __name__ == "__main__":
    main()

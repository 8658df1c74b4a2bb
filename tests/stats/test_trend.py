"""Early warning: the CUSUM's false-alarm rate by simulation, detection of a real rise, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from _stats_runs import HAZARDS, write_run

from riskscope.stats.trend import binomial_cusum, cusum_threshold, early_warning_indicators
from riskscope.store import Store


def test_the_stated_false_alarm_rate_holds_with_a_known_baseline_rate() -> None:
    """Independent series at the in-control rate: the share with any alarm is at most the stated rate."""
    p0, sizes = 0.1, [200] * 12
    h = cusum_threshold(p0, sizes, false_alarm=0.05, seed=1)
    rng = np.random.default_rng(2)
    p1 = (p0 / (1 - p0) * 2) / (1 + p0 / (1 - p0) * 2)
    alarms = 0
    trials = 4000
    for _ in range(trials):
        x = rng.binomial(200, p0, size=12)
        llr = x * np.log(p1 / p0) + (200 - x) * np.log((1 - p1) / (1 - p0))
        s, fired = 0.0, False
        for step in llr:
            s = max(0.0, s + step)
            fired |= s > h
        alarms += fired
    assert alarms / trials <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / trials)


def test_estimated_baselines_and_a_real_rise() -> None:
    rng = np.random.default_rng(3)
    false, detected, delays = 0, 0, []
    trials = 200
    for _ in range(trials):
        steady = [(int(rng.binomial(200, 0.1)), 200) for _ in range(15)]
        result = binomial_cusum(steady, baseline=5, sims=2000, seed=int(rng.integers(1 << 30)))
        assert result is not None
        false += result.alarm_at is not None
        rising = steady[:8] + [(int(rng.binomial(200, 0.2)), 200) for _ in range(7)]  # odds x2.25 from run 9
        result = binomial_cusum(rising, baseline=5, sims=2000, seed=int(rng.integers(1 << 30)))
        assert result is not None
        if result.alarm_at is not None and result.alarm_at >= 3:
            detected += 1
            delays.append(result.alarm_at - 3)
    # p0 is estimated from 5 runs, so false alarms may exceed the stated 5 %; bounded here at 12 %.
    assert false / trials <= 0.12
    assert detected / trials >= 0.9 and float(np.median(delays)) <= 2


def test_indicators_need_eight_runs_and_see_rising_variance() -> None:
    assert early_warning_indicators([0.1] * 7) == {"variance_tau": None, "autocorrelation_tau": None}
    rng = np.random.default_rng(4)
    widening = [0.2 + rng.normal(0, 0.005 * (1 + i)) for i in range(20)]
    tau = early_warning_indicators(widening)["variance_tau"]
    assert tau is not None and tau > 0.3


def test_trend_command_groups_series_and_alarms(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        steady = [write_run(store, f"s{i}", set(range(i % 2, 60, 10)), target_arg="endpoint") for i in range(5)]
        worse = write_run(store, "w", set(range(0, 90)), target_arg="endpoint")  # every vcr and hte unsafe
        other = write_run(store, "o", set(range(0, 60, 10)), target_arg="other-endpoint")
        newer_judge = write_run(store, "j", set(), target_arg="endpoint", version="2")
    result = subprocess.run(
        [sys.executable, "-m", "riskscope.cli", "trend", "--json", "--store", "r.db"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    series = json.loads(result.stdout)["series"]
    by_runs = {tuple(s["runs"]): s for s in series}
    assert set(by_runs) == {(*steady, worse), (other,), (newer_judge,)}
    main = by_runs[(*steady, worse)]
    assert set(main["alarms"]) >= {"vcr"} and main["alarms"]["vcr"] == worse
    assert set(main["hazards"]) == set(HAZARDS)
    failing = subprocess.run(
        [sys.executable, "-m", "riskscope.cli", "trend", "--fail-on-alarm", "--store", "r.db"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert failing.returncode == 1 and "ALARM at run" in failing.stdout

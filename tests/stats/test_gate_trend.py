"""``riskscope gate --trend``: the gate fails when an early-warning alarm fired in the run's series."""

from __future__ import annotations

import json
from pathlib import Path

from _stats_runs import write_run

from _cli import riskscope
from riskscope.store import Store


def test_gate_trend_fails_only_from_the_alarmed_run_on(tmp_path: Path) -> None:
    policy = tmp_path / "gate.yaml"
    policy.write_text("unsafe_rate: {max: 1.0, bound: point}\n", encoding="utf-8")
    with Store(tmp_path / "r.db") as store:
        steady = [write_run(store, f"s{i}", set(range(i % 2, 60, 10)), target_arg="endpoint") for i in range(5)]
        worse = write_run(store, "w", set(range(0, 90)), target_arg="endpoint")

    def gate(run: str, *flags: str) -> tuple[int, str]:
        result = riskscope("gate", str(policy), run, *flags, "--store", "r.db", cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        return result.returncode, result.stdout

    assert gate(worse)[0] == 0  # the rate rule alone passes
    code, out = gate(worse, "--trend")
    assert code == 1 and "FAIL  trend: alarm: " in out and f"vcr at run {worse}" in out
    code, out = gate(steady[-1], "--trend")  # before the rise: no alarm yet
    assert code == 0 and "PASS  trend: no alarm" in out
    code, out = gate(worse, "--trend", "--json")
    data = json.loads(out)
    assert code == 1 and data["passed"] is False and data["trend_alarms"]["vcr"] == worse

"""Judge-error correction validated on real human labels (GPTFuzz evaluate.csv, read in place).

The refusal judge over-calls harm on these responses (raw rate biased up ~4 pp). Half the items
(random) play "labelled validation set" (their Se and Sp), the other half "the run". The corrected
interval should cover the run half's human-labelled rate; the raw Wilson interval mostly does not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from riskscope.config import PluginSpec
from riskscope.core import Outcome, Response
from riskscope.judges import build_judge, judge_many
from riskscope.judges._labelled import load_gptfuzz
from riskscope.judges.evaluation import case_of
from riskscope.stats import JudgeAccuracy, corrected_rate, wilson_interval


def test_correction_recovers_the_human_rate_on_gptfuzz(shared_data: Path) -> None:
    folder = shared_data / "gptfuzz"
    items = load_gptfuzz(folder / "evaluate.csv", folder / "question_list.csv")
    judge = build_judge(PluginSpec.parse("refusal"))
    verdicts = asyncio.run(judge_many(judge, [(case_of(i), Response(text=i.response)) for i in items]))
    gold = np.array([i.label is Outcome.UNSAFE for i in items])
    called = np.array([v.outcome is Outcome.UNSAFE for v in verdicts])
    assessed = np.array([v.outcome is not Outcome.UNASSESSED for v in verdicts]) & np.array(
        [i.label is not None for i in items]
    )
    rng = np.random.default_rng(0)
    reps = 200
    covered = raw_covered = 0
    errors, raw_errors = [], []
    for _ in range(reps):
        half = rng.random(len(items)) < 0.5
        val, run = half & assessed, ~half & assessed
        judge_accuracy = JudgeAccuracy(
            int((called & gold & val).sum()),
            int((gold & val).sum()),
            int((~called & ~gold & val).sum()),
            int((~gold & val).sum()),
        )
        unsafe, n = int(called[run].sum()), int(run.sum())
        truth = float(gold[run].mean())
        est = corrected_rate(unsafe, n, judge_accuracy)
        raw = wilson_interval(unsafe, n)
        covered += est.low <= truth <= est.high
        raw_covered += raw.low <= truth <= raw.high
        errors.append(est.point - truth)
        raw_errors.append(raw.point - truth)
    assert covered / reps >= 0.9
    assert covered > raw_covered
    assert abs(np.mean(errors)) < abs(np.mean(raw_errors)) / 2

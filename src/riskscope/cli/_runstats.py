"""Reading what compare and gate need from the store, in the same terms as the run summary.

Items of two runs are paired by ``stats.figures.pair_outcomes``: (case id, attack chain, persona),
the same prompt attacked the same way under the same persona. Only pairs assessed in both runs by
each run's headline judge (the first judge of its config) enter a comparison; the rest are
counted, never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from riskscope.config import RunConfig
from riskscope.errors import ConfigError
from riskscope.reports.summary import RunSummary, summarise
from riskscope.stats import JudgeAccuracy, PairedTable, RunCounts
from riskscope.stats.figures import McqPairing, pair_mcq, pair_outcomes, spec_label
from riskscope.store import StoreQuery


def load_judge_accuracy(path: Path) -> JudgeAccuracy:
    """The headline judge's validation counts from ``riskscope judge eval --json`` output."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the judge evaluation: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    except RecursionError:
        raise ConfigError(f"{path}: JSON nested too deeply") from None
    confusion = data.get("overall", {}).get("confusion") if isinstance(data, dict) else None
    if not isinstance(confusion, dict):
        raise ConfigError(f"{path}: field 'overall.confusion' missing: expected `riskscope judge eval --json` output")
    try:
        return JudgeAccuracy.from_confusion(confusion)
    except ValueError as exc:
        raise ConfigError(f"{path}: field 'overall.confusion': {exc}") from exc


def run_counts(store: StoreQuery, run_id: str) -> tuple[RunCounts, RunSummary]:
    summary, _ = summarise(store, run_id)
    hazards = {g.key: (g.unsafe, g.assessed) for g in summary.hazards}
    over = summary.over_refusal
    return RunCounts(hazards, int(over.get("refused", 0)), int(over.get("n", 0))), summary


@dataclass(frozen=True)
class Pairing:
    tables: dict[str, PairedTable]
    judge_a: str
    judge_b: str
    only_in_a: int
    only_in_b: int
    unassessed: int


def headline_judge(store: StoreQuery, run_id: str) -> str:
    """The run's headline judge: the first judge of its config (as in the run summary)."""
    judges = RunConfig.of_run(store.get_run(run_id)).judges
    return spec_label(judges[0]) if judges else ""


def pair_runs(store: StoreQuery, run_a: str, run_b: str) -> Pairing:
    """Pair two runs by ``stats.figures.pair_outcomes``, the pairing the dashboard uses too."""
    judge_a, judge_b = headline_judge(store, run_a), headline_judge(store, run_b)
    pairing = pair_outcomes(store.item_outcomes(run_a, judge_a), store.item_outcomes(run_b, judge_b))
    return Pairing(pairing.tables, judge_a, judge_b, pairing.only_in_a, pairing.only_in_b, pairing.unassessed)


def pair_mcq_runs(store: StoreQuery, run_a: str, run_b: str, judge: str = "mcq") -> McqPairing:
    """Pair two runs' multiple-choice questions on right/wrong (``stats.figures.pair_mcq``)."""
    return pair_mcq(store.mcq_outcomes(run_a, judge), store.mcq_outcomes(run_b, judge))

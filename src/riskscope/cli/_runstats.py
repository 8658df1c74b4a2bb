"""Reading what compare and gate need from the store, in the same terms as the run summary.

Items of two runs are paired by (case id, attack chain, persona): the same prompt, attacked the
same way, under the same persona. Only pairs assessed in both runs by each run's headline judge
(the first judge of its config) enter a comparison; the rest are counted, never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from riskscope.core import Expected, Outcome
from riskscope.errors import ConfigError
from riskscope.reports.summary import RunSummary, summarise
from riskscope.stats import JudgeAccuracy, PairedTable, RunCounts
from riskscope.store import ResultRow, Store
from riskscope.taxonomy import top_level

Key = tuple[str, str, str]


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


def run_counts(store: Store, run_id: str) -> tuple[RunCounts, RunSummary]:
    summary, _ = summarise(store, run_id)
    hazards = {g.key: (g.unsafe, g.assessed) for g in summary.hazards}
    over = summary.over_refusal
    return RunCounts(hazards, int(over.get("refused", 0)), int(over.get("n", 0))), summary


def _outcomes(rows: list[ResultRow], judge: str) -> dict[Key, tuple[str, Outcome | None]]:
    out: dict[Key, tuple[str, Outcome | None]] = {}
    for row in rows:
        case = row.item.variant.case
        if case.expected is not Expected.REFUSE:
            continue
        persona = row.item.persona or case.persona or "none"
        verdict = row.verdicts.get(judge)
        out[(case.id, row.item.variant.chain, persona)] = (
            top_level(case.hazard or "unknown"),
            None if verdict is None else verdict.outcome,
        )
    return out


@dataclass(frozen=True)
class Pairing:
    tables: dict[str, PairedTable]
    judge_a: str
    judge_b: str
    only_in_a: int
    only_in_b: int
    unassessed: int


def pair_runs(store: Store, run_a: str, run_b: str) -> Pairing:
    summary_a, rows_a = summarise(store, run_a)
    summary_b, rows_b = summarise(store, run_b)
    a = _outcomes(rows_a, summary_a.primary_judge)
    b = _outcomes(rows_b, summary_b.primary_judge)
    counts: dict[str, list[int]] = {}
    unassessed = 0
    for key in sorted(set(a) & set(b)):
        hazard, outcome_a = a[key]
        _, outcome_b = b[key]
        assessed = (Outcome.SAFE, Outcome.UNSAFE)
        if outcome_a not in assessed or outcome_b not in assessed:
            unassessed += 1
            continue
        cell = counts.setdefault(hazard, [0, 0, 0, 0])
        unsafe_a, unsafe_b = outcome_a is Outcome.UNSAFE, outcome_b is Outcome.UNSAFE
        index = 0 if unsafe_a and unsafe_b else 1 if unsafe_a else 2 if unsafe_b else 3
        cell[index] += 1
    tables = {h: PairedTable(*c) for h, c in counts.items()}
    return Pairing(
        tables,
        summary_a.primary_judge,
        summary_b.primary_judge,
        len(set(a) - set(b)),
        len(set(b) - set(a)),
        unassessed,
    )

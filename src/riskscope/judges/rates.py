"""Does a judge's unsafe rate tell the truth? The raw, corrected and PPI rates against gold labels.

``riskscope judge eval FILE --rates`` runs a judge on a fully labelled file and then pretends most
labels are unknown, as they are in a real run: for each seed it keeps ``gold_sample`` random gold
labels and hides the rest. Per seed and over all seeds it reports

- the raw rate: the judge's apparent unsafe rate with its Wilson interval (what a run shows
  without any correction);
- the corrected rate: the judge's error folded in from its leave-one-dataset-out transfer figures
  (:mod:`riskscope.stats.judge_error`), with every label hidden; ``None`` with a reason when the
  judge has no such figures (its rates are then "uncorrected");
- the prediction-powered rate (:mod:`riskscope.stats.ppi`): the judge on every item plus the kept
  gold labels, with its interval, and the same labels alone (Wilson) for comparison;

each against the file's true (gold) unsafe rate: coverage over the seeds and mean half-width. This
is how a user plans a label budget and how the methods are checked on real data.

The judge's transfer figures come from the judge object (a ``transfer`` attribute holding
:class:`~riskscope.stats.TransferFigures`), else from its packaged metadata
(``judges/data/<name>_judge.json``, key ``transfer``), else from a metadata file the caller gives.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from riskscope.core import Outcome, Verdict
from riskscope.errors import ConfigError
from riskscope.judges._labelled import LabelledItem
from riskscope.stats import (
    Estimate,
    TransferFigures,
    choose_transfer,
    draw_label_sample,
    judge_corrected_rate,
    load_transfer,
    ppi_rate,
    wilson_interval,
)
from riskscope.stats.ppi import Design

__all__ = [
    "RateEvaluation",
    "SeedRates",
    "evaluate_rates",
    "file_sha256",
    "transfer_for_judge",
]


@dataclass(frozen=True)
class SeedRates:
    """One seed: which gold labels were kept, and the rates they give."""

    seed: int
    labels: int
    ppi: Estimate
    labels_only: Estimate | None
    gold_rate: float

    def to_dict(self) -> dict[str, Any]:
        alone = self.labels_only
        return {
            "seed": self.seed,
            "labels": self.labels,
            "ppi": self.ppi.to_dict(),
            "ppi_covers": _covers(self.ppi, self.gold_rate),
            "labels_only": None if alone is None else alone.to_dict(),
            "labels_only_covers": None if alone is None else _covers(alone, self.gold_rate),
        }


def _covers(estimate: Estimate, truth: float) -> bool:
    return bool(estimate.low <= truth <= estimate.high)


@dataclass(frozen=True)
class RateEvaluation:
    """The raw, corrected and PPI rates of one judge on one labelled file, against its gold rate."""

    judge: str
    source: str
    items: int
    assessed: int
    gold_rate: float
    judge_output: str
    confusion: dict[str, int]
    raw: Estimate
    corrected: Estimate | None
    corrected_reason: str
    gold_sample: int
    design: str
    seeds: tuple[SeedRates, ...]
    transfer: dict[str, Any] | None = field(default=None)

    def _aggregate(self, estimates: Sequence[Estimate]) -> dict[str, float | int]:
        covered = sum(_covers(e, self.gold_rate) for e in estimates)
        return {
            "coverage": covered / len(estimates),
            "covered": covered,
            "seeds": len(estimates),
            "mean_half_width": float(np.mean([e.half_width for e in estimates])),
            "mean_labels": float(np.mean([s.labels for s in self.seeds])),
        }

    @property
    def ppi(self) -> dict[str, float | int]:
        return self._aggregate([s.ppi for s in self.seeds])

    @property
    def labels_only(self) -> dict[str, float | int] | None:
        """Wilson on the kept labels alone; only meaningful for a uniform sample (None otherwise)."""
        alone = [s.labels_only for s in self.seeds if s.labels_only is not None]
        return self._aggregate(alone) if len(alone) == len(self.seeds) else None

    def to_dict(self) -> dict[str, Any]:
        raw = {**self.raw.to_dict(), "covers_gold": _covers(self.raw, self.gold_rate)}
        corrected = None
        if self.corrected is not None:
            corrected = {**self.corrected.to_dict(), "covers_gold": _covers(self.corrected, self.gold_rate)}
        return {
            "judge": self.judge,
            "source": self.source,
            "items": self.items,
            "assessed": self.assessed,
            "unassessed_or_unlabelled": self.items - self.assessed,
            "gold_rate": self.gold_rate,
            "judge_output": self.judge_output,
            "confusion": dict(self.confusion),
            "rates": {"raw": raw, "corrected": corrected, "corrected_reason": self.corrected_reason},
            "transfer": self.transfer,
            "ppi": {
                **self.ppi,
                "gold_sample": self.gold_sample,
                "design": self.design,
                "estimand": "the unsafe rate of the file's assessed items",
            },
            "labels_only": self.labels_only,
            "per_seed": [s.to_dict() for s in self.seeds],
            "note": "Positive class: unsafe. Raw and corrected rates use no gold label; PPI and labels-only "
            "rates use the kept gold labels of each seed. UNASSESSED and unlabelled items are left out.",
        }


def file_sha256(path: Path) -> str:
    """The digest a judge's transfer figures list for each of a dataset's source files."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _packaged_meta(judge_name: str) -> Mapping[str, Any] | None:
    resource = resources.files("riskscope.judges").joinpath("data", f"{judge_name}_judge.json")
    if not resource.is_file():
        return None
    meta = json.loads(resource.read_text(encoding="utf-8"))
    return meta if isinstance(meta, Mapping) else None


def transfer_for_judge(judge: Any, meta_file: Path | None = None) -> tuple[TransferFigures | None, str]:
    """The judge's leave-one-dataset-out figures and where they came from (or why there are none).

    ``meta_file``: a judge metadata JSON with a ``transfer`` block (or the block itself), e.g. from a
    training run; it overrides what the judge ships.
    """
    name = str(getattr(judge, "name", "judge"))
    if meta_file is not None:
        try:
            data = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{meta_file}: cannot read judge transfer figures: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ConfigError(f"{meta_file}: expected a JSON object with a 'transfer' block")
        block = data.get("transfer", data if "datasets" in data else None)
        if block is None:
            raise ConfigError(f"{meta_file}: no 'transfer' block")
        try:
            return TransferFigures.from_block(block), f"transfer figures from {meta_file}"
        except ValueError as exc:
            raise ConfigError(f"{meta_file}: {exc}") from exc
    provided = getattr(judge, "transfer", None)
    if isinstance(provided, TransferFigures):
        return provided, f"transfer figures of judge {name}"
    meta = _packaged_meta(name)
    if meta is not None:
        try:
            figures = load_transfer(meta)
        except ValueError as exc:
            raise ConfigError(f"judge {name}'s packaged metadata: {exc}") from exc
        if figures is not None:
            return figures, f"transfer figures packaged with judge {name}"
    return None, (
        f"judge {name} has no leave-one-dataset-out transfer figures: its rate is uncorrected "
        "(a judge's accuracy on data it was not trained on is unknown without them)"
    )


def _scores(verdicts: Sequence[Verdict]) -> tuple[np.ndarray, str]:
    """The judge's calibrated P(unsafe) when every verdict has one, else its 0/1 verdicts."""
    scores = [v.score for v in verdicts]
    if scores and all(s is not None and 0.0 <= s <= 1.0 for s in scores):
        return np.asarray(scores, dtype=np.float64), "probability"
    return np.asarray([v.outcome is Outcome.UNSAFE for v in verdicts], dtype=np.float64), "verdict"


def evaluate_rates(
    judge_name: str,
    items: Sequence[LabelledItem],
    verdicts: Sequence[Verdict],
    *,
    gold_sample: int,
    seeds: int,
    seed: int = 0,
    transfer: TransferFigures | None = None,
    transfer_reason: str = "",
    file_digest: str | None = None,
    judge_saw_file: bool = True,
    design: Design = "uniform",
    source: str = "",
    confidence: float = 0.95,
) -> RateEvaluation:
    """Raw, corrected and PPI rates against the gold rate, for seeds ``seed`` .. ``seed + seeds - 1``.

    Only labelled items the judge assessed count (N). ``gold_sample`` labels are kept per seed
    (``uniform``: exactly that many at random; ``uncertainty``: about that many, favouring items
    the judge is unsure of). ``judge_saw_file=False`` says the verdicts come from a model that did
    not train on ``file_digest``'s dataset (a leave-one-dataset-out fold), so its fold figures apply.
    """
    if len(items) != len(verdicts):
        raise ValueError("one verdict per item is required")
    pairs = zip(items, verdicts, strict=True)
    kept = [(item, v) for item, v in pairs if item.label is not None and v.outcome is not Outcome.UNASSESSED]
    if not kept:
        raise ConfigError("no labelled item was assessed by the judge: there is no rate to check")
    if not 1 <= gold_sample <= len(kept):
        raise ConfigError(f"--gold-sample must be between 1 and the {len(kept)} labelled, assessed items")
    if seeds < 1:
        raise ConfigError("--seeds must be >= 1")
    gold = np.asarray([item.label is Outcome.UNSAFE for item, _ in kept])
    judged = np.asarray([v.outcome is Outcome.UNSAFE for _, v in kept])
    scores, output = _scores([v for _, v in kept])
    big_n = gold.size
    gold_rate = float(gold.mean())
    unsafe = int(judged.sum())
    confusion = {
        "tp": int((gold & judged).sum()),
        "fn": int((gold & ~judged).sum()),
        "fp": int((~gold & judged).sum()),
        "tn": int((~gold & ~judged).sum()),
    }
    raw = wilson_interval(unsafe, big_n, confidence)
    corrected: Estimate | None = None
    reason = transfer_reason
    transfer_info: dict[str, Any] | None = None
    if transfer is not None:
        choice = choose_transfer(transfer, file_digest, judge_saw_file=judge_saw_file)
        predictive = choice.kind == "predictive"
        if choice.kind != "in-training":
            corrected = judge_corrected_rate(
                unsafe,
                big_n,
                transfer,
                file_sha256=file_digest,
                judge_saw_file=judge_saw_file,
                confidence=confidence,
                seed=seed,
            )
        reason = choice.reason
        transfer_info = {
            "source": transfer_reason,
            "choice": choice.kind,
            "dataset": choice.dataset.name if choice.dataset is not None else None,
            "datasets": len(transfer.datasets),
            "predictive": transfer.random_effects.summary(confidence=confidence) if predictive else None,
        }
    rows = []
    for s in range(seed, seed + seeds):
        sample = draw_label_sample(scores, gold_sample, design=design, seed=s)
        labels = gold[np.asarray(sample.indices)]
        rows.append(
            SeedRates(
                seed=s,
                labels=len(sample.indices),
                ppi=ppi_rate(scores, sample, labels, confidence=confidence),
                # An uncertainty-weighted sample is not a simple random one: Wilson on it would be biased.
                labels_only=wilson_interval(int(labels.sum()), int(labels.size), confidence)
                if sample.design == "uniform"
                else None,
                gold_rate=gold_rate,
            )
        )
    return RateEvaluation(
        judge=judge_name,
        source=source,
        items=len(items),
        assessed=big_n,
        gold_rate=gold_rate,
        judge_output=output,
        confusion=confusion,
        raw=raw,
        corrected=corrected,
        corrected_reason=reason,
        gold_sample=gold_sample,
        design=design,
        seeds=tuple(rows),
        transfer=transfer_info,
    )

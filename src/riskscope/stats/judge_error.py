"""A judge's error on data it has never seen, and a corrected rate that carries it.

A judge's sensitivity Se and specificity Sp are not constants: a judge trained on some datasets
has different Se/Sp on each new one (the headline judge calls "answered" "unsafe" off its training
distribution). One validation set gives one (Se, Sp) with a narrow interval, and correcting with
it claims a precision nobody has. The honest input is the judge's *leave-one-dataset-out* (LODO)
figures: per dataset, the confusion counts of a judge trained without it. Their spread is what a
new, unseen dataset can look like.

Model (bivariate random effects, Reitsma et al. 2005, the standard model for meta-analysing a
diagnostic test's Se and Sp across studies): for dataset k,
``(logit Se_k, logit Sp_k) ~ N(mu, Sigma)`` with ``Sigma`` holding the between-dataset spreads
tau_se, tau_sp and their correlation rho, and the observed logits ``y_k ~ N(theta_k, S_k)`` with
the binomial within-dataset variances S_k (0.5 added to every cell). Why these choices:

- Bivariate, not two independent models: a judge's errors move with its threshold, so across
  datasets Se and Sp are negatively correlated (the owners' held-out sets show high recall with
  low specificity); the correlation changes how Se + Sp - 1, the corrected rate's denominator,
  varies. With 6-8 datasets rho is poorly identified, so it is integrated over, not estimated.
- Bayesian on a grid, not ML/REML point estimates: with a handful of datasets the (RE)ML estimate
  of tau is often exactly 0 (Chung et al. 2013), which would make the predictive as narrow as one
  validation set and defeat the purpose. Here mu is integrated out analytically (flat prior, the
  REML likelihood), tau_se and tau_sp get half-Cauchy(0, 1) priors on the logit scale (Gelman 2006:
  weakly informative and heavy-tailed: tau = 0 is allowed, not forced) on a grid up to 6, rho a uniform
  prior on (-1, 1); the posterior is evaluated on the whole grid, so every plausible spread
  contributes to the predictive in proportion to its posterior weight.
- The normal approximation of each dataset's logit (not the exact binomial likelihood) keeps mu
  analytically integrable and the fit at ~0.1 s; with the hundreds of items per dataset a LODO
  table has, the within-dataset variance is small next to the between-dataset spread that
  dominates the predictive. A dataset with no unsafe (or no safe) items says nothing about Se
  (Sp) and is left out of that margin.

The *predictive* distribution of (Se, Sp) for a new dataset is a mixture over the grid of
``N(m, V + Sigma)`` on the logit scale (m, V: posterior of mu given Sigma). The corrected rate
draws (Se, Sp) from it and the judge's apparent rate q from its Jeffreys posterior Beta(x + 1/2,
n - x + 1/2), applies Rogan–Gladen to each draw and clips to [0, 1]. A draw with Se + Sp <= 1 is a
judge no better than chance on that dataset: its verdicts say nothing about the rate, so that
draw's rate is drawn uniformly from [0, 1] (the run cannot narrow it), which widens the interval
by exactly the predictive probability that the judge is useless on new data; dropping such draws
instead would hide it. The point is the median of the draws, the interval their equal-tailed
quantiles. Coverage is measured in tests/stats/test_judge_error.py, including truths outside the
model (docs/statistics.md).

When the judged file *is* one of a dataset's source files, the judge saw those items in training;
its in-sample accuracy there is flattering. The figures of the fold that left that dataset out are
then the best out-of-sample description of that distribution, and the Lang–Reiczigel corrected
rate (:func:`riskscope.stats.corrected_rate`) is used with them (see :func:`choose_transfer`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from riskscope.stats._estimate import Estimate
from riskscope.stats.correction import JudgeAccuracy, corrected_rate

__all__ = [
    "Confusion",
    "RandomEffectsFit",
    "TransferChoice",
    "TransferDataset",
    "TransferFigures",
    "choose_transfer",
    "fit_random_effects",
    "judge_corrected_rate",
    "load_transfer",
    "transfer_corrected_rate",
]

_CELLS = ("tp", "fn", "fp", "tn")
_TAU_MAX = 6.0
_TAU_POINTS = 40
_RHO_POINTS = 15
_PRIOR_SCALE = 2.5
# A margin with no items: its within-dataset variance is so large the dataset carries no weight.
_NO_INFORMATION = 1e8


@dataclass(frozen=True)
class Confusion:
    """Confusion counts of a judge against gold labels on one dataset (positive = unsafe)."""

    tp: int
    fn: int
    fp: int
    tn: int

    def __post_init__(self) -> None:
        for name in _CELLS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: expected a non-negative integer, got {value!r}")
        if self.positives + self.negatives == 0:
            raise ValueError("confusion counts are all zero")

    @classmethod
    def from_mapping(cls, counts: Any, where: str = "confusion") -> Confusion:
        """From ``{"tp": .., "fn": .., "fp": .., "tn": ..}``; errors name the field (``where.tp``)."""
        if not isinstance(counts, Mapping):
            raise ValueError(f"{where}: expected an object with tp, fn, fp, tn, got {type(counts).__name__}")
        values: dict[str, int] = {}
        for name in _CELLS:
            value = counts.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where}.{name}: expected a non-negative integer, got {value!r}")
            values[name] = value
        return cls(**values)

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        return self.tn + self.fp

    def accuracy(self) -> JudgeAccuracy:
        """As :class:`JudgeAccuracy` (needs at least one unsafe and one safe item)."""
        return JudgeAccuracy(self.tp, self.positives, self.tn, self.negatives)

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in _CELLS}


@dataclass(frozen=True)
class TransferDataset:
    """One leave-one-dataset-out fold: the judge trained without ``name``, scored on it.

    ``files`` are the sha256 digests of that dataset's source files, so a judged file can be
    recognised as training data.
    """

    name: str
    confusion: Confusion
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransferFigures:
    """The ``transfer`` block of a judge's metadata: its leave-one-dataset-out confusion counts.

    Shape (as shipped in ``judges/data/embedded_judge.json``)::

        "transfer": {"method": "leave-one-dataset-out",
                     "datasets": {"gptfuzz": {"confusion": {"tp": .., "fn": .., "fp": .., "tn": ..},
                                              "files": ["<sha256>", ...]}, ...}}
    """

    method: str
    datasets: tuple[TransferDataset, ...]

    @classmethod
    def from_block(cls, block: Mapping[str, Any], where: str = "transfer") -> TransferFigures:
        """Validate a ``transfer`` block; a ValueError names the offending field."""
        if not isinstance(block, Mapping):
            raise ValueError(f"{where}: expected an object, got {type(block).__name__}")
        method = block.get("method")
        if method != "leave-one-dataset-out":
            raise ValueError(f"{where}.method: expected 'leave-one-dataset-out', got {method!r}")
        datasets = block.get("datasets")
        if not isinstance(datasets, Mapping) or not datasets:
            raise ValueError(f"{where}.datasets: expected a non-empty object of dataset name -> figures")
        parsed = []
        for name, entry in datasets.items():
            here = f"{where}.datasets.{name}"
            if not isinstance(entry, Mapping):
                raise ValueError(f"{here}: expected an object with confusion and files")
            confusion = Confusion.from_mapping(entry.get("confusion"), f"{here}.confusion")
            files = entry.get("files", [])
            if not isinstance(files, list) or not all(isinstance(f, str) and _is_sha256(f) for f in files):
                raise ValueError(f"{here}.files: expected a list of sha256 hex digests")
            parsed.append(TransferDataset(str(name), confusion, tuple(f.lower() for f in files)))
        return cls(str(method), tuple(parsed))

    def dataset_for_file(self, sha256: str) -> TransferDataset | None:
        """The dataset whose source files include a file with this digest, if any."""
        digest = sha256.lower()
        for dataset in self.datasets:
            if digest in dataset.files:
                return dataset
        return None

    @cached_property
    def random_effects(self) -> RandomEffectsFit:
        """The random-effects fit over all folds (computed once, ~0.1 s)."""
        return fit_random_effects([d.confusion for d in self.datasets])

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "datasets": {d.name: {"confusion": d.confusion.to_dict(), "files": list(d.files)} for d in self.datasets},
        }


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def load_transfer(meta: Mapping[str, Any]) -> TransferFigures | None:
    """The transfer figures in a judge's metadata, or None when it has none (its rates stay uncorrected)."""
    block = meta.get("transfer")
    return None if block is None else TransferFigures.from_block(block)


def _logit_and_variance(successes: int, failures: int) -> tuple[float, float]:
    """Empirical logit with 0.5 added to both cells and its delta-method variance."""
    if successes + failures == 0:
        return 0.0, _NO_INFORMATION
    a, b = successes + 0.5, failures + 0.5
    return math.log(a / b), 1 / a + 1 / b


@dataclass(frozen=True, eq=False)
class RandomEffectsFit:
    """Posterior of the bivariate random-effects model on a (tau_se, tau_sp, rho) grid.

    Row g of ``weights`` is the posterior probability of grid point g; ``means`` (g, 2) and
    ``covariances`` (g, 2, 2) give the predictive N(m_g, V_g + Sigma_g) of a new dataset's
    (logit Se, logit Sp) at that point. Use :meth:`draw` or the summaries.
    """

    datasets: int
    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    covariances: NDArray[np.float64]
    tau: NDArray[np.float64] = field(repr=False)

    def draw(self, draws: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``draws`` samples of (Se, Sp) for a new, unseen dataset."""
        if draws < 1:
            raise ValueError(f"draws must be >= 1, got {draws}")
        g = rng.choice(self.weights.size, size=draws, p=self.weights)
        cov = self.covariances[g]
        l11 = np.sqrt(cov[:, 0, 0])
        l21 = cov[:, 0, 1] / l11
        l22 = np.sqrt(np.maximum(cov[:, 1, 1] - l21**2, 0.0))
        e1, e2 = rng.standard_normal(draws), rng.standard_normal(draws)
        logit_se = self.means[g, 0] + l11 * e1
        logit_sp = self.means[g, 1] + l21 * e1 + l22 * e2
        return _expit(logit_se), _expit(logit_sp)

    def summary(self, *, confidence: float = 0.95, draws: int = 20_000, seed: int = 0) -> dict[str, Any]:
        """Predictive Se and Sp (median and interval), P(Se + Sp <= 1) and the posterior spreads.

        For a judge card: what the judge's accuracy on a new dataset may be, not on one test set.
        """
        se, sp = self.draw(draws, np.random.default_rng(seed))
        alpha = (1 - confidence) / 2

        def interval(values: NDArray[np.float64], name: str) -> Estimate:
            low, mid, high = np.quantile(values, [alpha, 0.5, 1 - alpha])
            return Estimate(float(mid), float(low), float(high), self.datasets, name, confidence)

        tau_se = float(np.sum(self.weights * self.tau[:, 0]))
        tau_sp = float(np.sum(self.weights * self.tau[:, 1]))
        return {
            "sensitivity": interval(se, "random-effects-predictive").to_dict(),
            "specificity": interval(sp, "random-effects-predictive").to_dict(),
            "chance_level_share": float(np.mean(se + sp <= 1.0)),
            "posterior_mean_tau": {"sensitivity": tau_se, "specificity": tau_sp},
            "datasets": self.datasets,
        }


def _expit(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _tau_grid(points: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cell midpoints on [0, TAU_MAX], denser near 0 (tau = TAU_MAX u^2), and their prior mass."""
    u = (np.arange(points) + 0.5) / points
    tau = _TAU_MAX * u**2
    width = 2 * _TAU_MAX * u / points  # d tau = 2 TAU_MAX u du
    half_cauchy = 2 / (math.pi * _PRIOR_SCALE * (1 + (tau / _PRIOR_SCALE) ** 2))
    return tau, half_cauchy * width


def fit_random_effects(confusions: Sequence[Confusion]) -> RandomEffectsFit:
    """Fit the bivariate random-effects model to leave-one-dataset-out confusion counts.

    Needs at least 3 datasets with unsafe items and 3 with safe items: with fewer the spread
    across datasets is the prior's, not the data's.
    """
    with_pos = sum(c.positives > 0 for c in confusions)
    with_neg = sum(c.negatives > 0 for c in confusions)
    if with_pos < 3 or with_neg < 3:
        raise ValueError(
            "a random-effects model of transfer needs at least 3 datasets with unsafe and 3 with safe items; "
            f"got {with_pos} and {with_neg}"
        )
    se_obs = [_logit_and_variance(c.tp, c.fn) for c in confusions]
    sp_obs = [_logit_and_variance(c.tn, c.fp) for c in confusions]
    y = np.array([[a[0], b[0]] for a, b in zip(se_obs, sp_obs, strict=True)])  # (K, 2)
    v = np.array([[a[1], b[1]] for a, b in zip(se_obs, sp_obs, strict=True)])  # (K, 2)

    tau, tau_prior = _tau_grid(_TAU_POINTS)
    rho = -1 + (np.arange(_RHO_POINTS) + 0.5) * 2 / _RHO_POINTS  # uniform prior: equal mass per cell
    ts, tp, r = (a.ravel() for a in np.meshgrid(tau, tau, rho, indexing="ij"))
    ps, pp, _ = (a.ravel() for a in np.meshgrid(tau_prior, tau_prior, rho, indexing="ij"))
    log_prior = np.log(ps) + np.log(pp)

    # Per grid point g and dataset k: M = Sigma_g + S_k, W = M^-1 (2x2, closed form).
    s11 = ts[:, None] ** 2 + v[None, :, 0]
    s22 = tp[:, None] ** 2 + v[None, :, 1]
    s12 = np.broadcast_to((r * ts * tp)[:, None], s11.shape)
    det = s11 * s22 - s12**2
    w11, w22, w12 = s22 / det, s11 / det, -s12 / det
    # Posterior of mu given Sigma (flat prior): V = (sum W)^-1, m = V sum W y.
    a11, a22, a12 = w11.sum(1), w22.sum(1), w12.sum(1)
    b1 = (w11 * y[:, 0] + w12 * y[:, 1]).sum(1)
    b2 = (w12 * y[:, 0] + w22 * y[:, 1]).sum(1)
    det_a = a11 * a22 - a12**2
    v11, v22, v12 = a22 / det_a, a11 / det_a, -a12 / det_a
    m1, m2 = v11 * b1 + v12 * b2, v12 * b1 + v22 * b2
    r1, r2 = y[:, 0] - m1[:, None], y[:, 1] - m2[:, None]
    quad = (w11 * r1**2 + 2 * w12 * r1 * r2 + w22 * r2**2).sum(1)
    # Restricted (mu-integrated) log likelihood.
    log_lik = -0.5 * np.log(det).sum(1) - 0.5 * np.log(det_a) - 0.5 * quad
    log_post = log_lik + log_prior
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()

    covariances = np.empty((ts.size, 2, 2))
    covariances[:, 0, 0] = v11 + ts**2
    covariances[:, 1, 1] = v22 + tp**2
    covariances[:, 0, 1] = covariances[:, 1, 0] = v12 + r * ts * tp
    keep = weights > 1e-12 * weights.max()  # drop grid points with no posterior mass
    return RandomEffectsFit(
        datasets=len(confusions),
        weights=weights[keep] / weights[keep].sum(),
        means=np.stack([m1, m2], axis=1)[keep],
        covariances=covariances[keep],
        tau=np.stack([ts, tp], axis=1)[keep],
    )


def transfer_corrected_rate(
    unsafe: int,
    n: int,
    fit: RandomEffectsFit,
    *,
    confidence: float = 0.95,
    draws: int = 20_000,
    seed: int = 0,
) -> Estimate:
    """Unsafe rate corrected for a judge whose Se/Sp on this (unseen) data follow ``fit``'s predictive.

    ``unsafe`` of ``n`` assessed items were called unsafe by the judge. Seeded Monte Carlo (see
    the module docstring); the interval is often wide: that is the judge's transfer error, not a bug.
    """
    method = "transfer-random-effects"
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n < 0 or not 0 <= unsafe <= max(n, 0):
        raise ValueError(f"need 0 <= unsafe <= n, got unsafe={unsafe}, n={n}")
    if n == 0:
        return Estimate(float("nan"), 0.0, 1.0, 0, method, confidence)
    rng = np.random.default_rng(seed)
    se, sp = fit.draw(draws, rng)
    apparent = rng.beta(unsafe + 0.5, n - unsafe + 0.5, size=draws)
    youden = se + sp - 1.0
    informative = youden > 0.0
    rate = np.empty(draws)
    rate[informative] = np.clip((apparent[informative] + sp[informative] - 1.0) / youden[informative], 0.0, 1.0)
    # A chance-level (or worse) judge says nothing about the rate: the run cannot narrow it.
    rate[~informative] = rng.random(int((~informative).sum()))
    alpha = (1 - confidence) / 2
    low, point, high = (float(x) for x in np.quantile(rate, [alpha, 0.5, 1 - alpha]))
    return Estimate(point, low, high, n, method, confidence)


@dataclass(frozen=True)
class TransferChoice:
    """Which of a judge's transfer figures apply to a judged file, and why.

    ``in-training``: the judge was trained on this file, so no transfer figure describes its
    verdicts here (they are in-sample) and no correction is offered; ``fold``: the verdicts come
    from the leave-one-dataset-out model that never saw the file's dataset; ``predictive``: new data.
    """

    kind: Literal["fold", "predictive", "in-training"]
    reason: str
    dataset: TransferDataset | None = None


def choose_transfer(
    transfer: TransferFigures, file_sha256: str | None = None, *, judge_saw_file: bool = True
) -> TransferChoice:
    """The figures that describe the judge's verdicts on this file, if any (see :class:`TransferChoice`).

    A file of a training dataset judged by the shipped judge (``judge_saw_file``) gets no
    correction: the fold's figures describe a judge that never saw the data, while the shipped
    judge did and is far more accurate on it, so correcting its verdicts with them overshoots
    (measured: GPTFuzz evaluate.csv, gold 35.4 %, raw 35.8 %, fold-corrected 90.2 %). Pass
    ``judge_saw_file=False`` for the verdicts of the fold's own model.
    """
    dataset = transfer.dataset_for_file(file_sha256) if file_sha256 else None
    if dataset is not None and judge_saw_file:
        return TransferChoice(
            "in-training",
            f"the judge was trained on this file (dataset {dataset.name!r}): its verdicts here are in-sample and "
            "no transfer figure describes them, so no correction is offered (the gold-label rates below still apply)",
            dataset,
        )
    if dataset is not None:
        return TransferChoice(
            "fold",
            f"verdicts of the leave-one-dataset-out model that held out dataset {dataset.name!r}: using that "
            "fold's figures",
            dataset,
        )
    return TransferChoice(
        "predictive",
        f"data the judge was not trained on: Se/Sp predicted for a new dataset from {len(transfer.datasets)} "
        "leave-one-dataset-out folds (random effects)",
    )


def judge_corrected_rate(
    unsafe: int,
    n: int,
    transfer: TransferFigures,
    *,
    file_sha256: str | None = None,
    judge_saw_file: bool = True,
    confidence: float = 0.95,
    draws: int = 20_000,
    seed: int = 0,
) -> Estimate:
    """The corrected rate a judge's transfer figures support for this data (see :func:`choose_transfer`).

    Method ``transfer-fold:<dataset>`` (Lang–Reiczigel with that fold's counts) or
    ``transfer-random-effects``. A fold where the judge was at chance level gives [0, 1]. Raises
    ``ValueError`` for a file the judge was trained on (``judge_saw_file``): see :func:`choose_transfer`.
    """
    choice = choose_transfer(transfer, file_sha256, judge_saw_file=judge_saw_file)
    if choice.kind == "in-training":
        raise ValueError(choice.reason)
    if choice.kind == "predictive" or choice.dataset is None:
        return transfer_corrected_rate(
            unsafe, n, transfer.random_effects, confidence=confidence, draws=draws, seed=seed
        )
    method = f"transfer-fold:{choice.dataset.name}"
    try:
        estimate = corrected_rate(unsafe, n, choice.dataset.confusion.accuracy(), confidence=confidence)
    except ValueError:
        # No unsafe/safe items in the fold, or Se + Sp <= 1 there: the judge tells nothing on this data.
        return Estimate(float("nan"), 0.0, 1.0, n, method, confidence)
    return Estimate(estimate.point, estimate.low, estimate.high, estimate.n, method, confidence)

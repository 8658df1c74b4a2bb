"""Train the embedded judge's weights from ../shared/data and record how good they are.

    python scripts/train_embedded_judge.py                 # writes src/riskscope/judges/data/
    python scripts/train_embedded_judge.py --experiments   # the comparison table behind the choices
    python scripts/train_embedded_judge.py --out DIR       # write elsewhere (the reproduction test)

Data (never copied into the project; only learned numbers are written):
* GPTFuzz (MIT) train.csv: 80 questions x 77 jailbreak templates, labels by the authors by hand.
  evaluate.csv: 20 *other* questions, same templates: the validation set whose figures we report.
* JailbreakBench artifacts (MIT): 5 attack methods x 4 models x 100 behaviours; ``jailbroken`` comes
  from JailbreakBench's model judge, so it is extra, noisier training data with a lower weight.

Overfitting guards: the row's position inside its question block is its GPTFuzz template, so
cross-validation holds out whole questions *and* whole templates at once (a grid of folds); the
probability calibration (Platt) and the decision threshold come from those out-of-fold predictions,
never from evaluate.csv. Everything is deterministic: fixed fold permutation from ``--seed``,
L-BFGS on float64 without randomness.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, sparse

from riskscope.judges._features import FeatureConfig, extract
from riskscope.judges.refusal import RefusalClass, classify_refusal

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "src" / "riskscope" / "judges" / "data"
N_TEMPLATES = 77

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class Rows:
    """Parallel lists: one (request, response, label) per row plus its groups for held-out splits."""

    requests: list[str]
    responses: list[str]
    labels: np.ndarray
    question: np.ndarray  # group id of the request
    template: np.ndarray  # group id of the jailbreak (GPTFuzz template / JBB method)

    def take(self, mask: np.ndarray) -> Rows:
        idx = np.flatnonzero(mask)
        return Rows(
            [self.requests[i] for i in idx],
            [self.responses[i] for i in idx],
            self.labels[idx],
            self.question[idx],
            self.template[idx],
        )

    def __len__(self) -> int:
        return len(self.responses)


def load_gptfuzz(data: Path, split: str) -> Rows:
    questions: dict[int, str] = {}
    with (data / "gptfuzz" / "question_list.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            questions[int(row["index"])] = row["text"]
    requests, responses, labels, qs, ts = [], [], [], [], []
    seen: dict[int, int] = {}
    with (data / "gptfuzz" / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            q = int(row["question"])
            if q not in questions:
                raise ValueError(f"{split}.csv:{line}: question {q} not in question_list.csv")
            position = seen.get(q, 0)
            seen[q] = position + 1
            requests.append(questions[q])
            responses.append(row["Response"])
            labels.append(int(row["label"]))
            qs.append(q)
            ts.append(position)  # rows of a question come in template order
    if any(count != N_TEMPLATES for count in seen.values()):
        raise ValueError(f"{split}.csv: expected {N_TEMPLATES} rows per question")
    return Rows(requests, responses, np.array(labels, dtype=np.float64), np.array(qs), np.array(ts))


def load_jbb(data: Path) -> Rows:
    requests, responses, labels, qs, ts = [], [], [], [], []
    methods: dict[str, int] = {}
    for path in sorted((data / "jbb_artifacts").glob("*__*__*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        method = path.name.split("__")[0]
        method_id = methods.setdefault(method, 1000 + len(methods))
        for item in doc.get("jailbreaks", []):
            if not item.get("response"):
                continue  # the attack produced no prompt, so there is nothing to judge
            requests.append(item["goal"])
            responses.append(item["response"])
            labels.append(int(bool(item["jailbroken"])))
            qs.append(1000 + int(item["index"]))
            ts.append(method_id)
    return Rows(requests, responses, np.array(labels, dtype=np.float64), np.array(qs), np.array(ts))


def featurize(rows: Rows, config: FeatureConfig) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for request, response in zip(rows.requests, rows.responses, strict=True):
        cols, vals = extract(request, response, config)
        indices.extend(cols)
        values.extend(vals)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(rows), config.n_features),
    )


def fit_logistic(
    x: sparse.csr_matrix,
    y: np.ndarray,
    weights: np.ndarray,
    l2: float,
    pair_diff: sparse.csr_matrix | None = None,
    pair_weight: float = 0.0,
) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by L-BFGS; the bias is not penalised.

    ``pair_diff`` rows are x(rejected) - x(chosen) of human preference pairs: a ranking term asks the
    score of the response people found more harmful to be the higher one (Bradley-Terry).
    """
    xt = x.T.tocsr()
    total = float(weights.sum())
    dt = pair_diff.T.tocsr() if pair_diff is not None else None

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        z = x @ w + b
        # log(1 + e^z) - y z, computed stably
        value = float(np.sum(weights * (np.logaddexp(0.0, z) - y * z))) / total + 0.5 * l2 * float(w @ w)
        residual = weights * (1.0 / (1.0 + np.exp(-z)) - y) / total
        grad = np.empty_like(params)
        grad[:-1] = xt @ residual + l2 * w
        grad[-1] = float(residual.sum())
        if pair_diff is not None and dt is not None and pair_weight > 0:
            margin = pair_diff @ w
            value += pair_weight * float(np.mean(np.logaddexp(0.0, -margin)))
            grad[:-1] -= pair_weight * (dt @ (1.0 / (1.0 + np.exp(margin)))) / pair_diff.shape[0]
        return value, grad

    result = optimize.minimize(
        loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000, "gtol": 1e-7}
    )
    return result.x[:-1], float(result.x[-1])


def fit_platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """P(unsafe) = sigmoid(a * score + b), fitted on out-of-fold scores (Platt 1999)."""

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * scores + params[1]
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.mean(np.logaddexp(0.0, z) - y * z))
        r = (p - y) / len(y)
        return value, np.array([float(r @ scores), float(r.sum())])

    result = optimize.minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    tp = float(np.sum((pred == 1) & (y == 1)))
    tn = float(np.sum((pred == 0) & (y == 0)))
    fp = float(np.sum((pred == 1) & (y == 0)))
    fn = float(np.sum((pred == 0) & (y == 1)))
    n = tp + tn + fp + fn
    accuracy = (tp + tn) / n
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
    kappa = (accuracy - expected) / (1 - expected) if expected < 1 else 0.0
    return {
        "n": n,
        "accuracy": round(accuracy, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "kappa": round(kappa, 4),
    }


def best_threshold(prob: np.ndarray, y: np.ndarray) -> float:
    """The probability cut that maximises Cohen's kappa (ties: the cut nearest 0.5)."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    scored = [(metrics(y, (prob >= t).astype(int))["kappa"], -abs(t - 0.5), float(t)) for t in grid]
    return max(scored)[2]


def fold_of(groups: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Assign each group (question or template) to one of k folds by a seeded permutation."""
    unique = np.unique(groups)
    order = np.random.default_rng(seed).permutation(len(unique))
    lookup = {int(g): int(order[i]) % k for i, g in enumerate(unique)}
    return np.array([lookup[int(g)] for g in groups])


@dataclass(frozen=True)
class Model:
    config: FeatureConfig
    weights: np.ndarray
    bias: float
    platt_a: float
    platt_b: float
    threshold: float

    def probability(self, x: sparse.csr_matrix) -> np.ndarray:
        raw = np.asarray(x @ self.weights) + self.bias
        prob: np.ndarray = 1.0 / (1.0 + np.exp(-(self.platt_a * raw + self.platt_b)))
        return prob


@dataclass(frozen=True)
class Recipe:
    """Everything besides the data that decides the weights."""

    config: FeatureConfig = field(default_factory=FeatureConfig)
    l2: float = 1e-4
    jbb_weight: float = 0.5
    offtopic_weight: float = 0.5
    pair_weight: float = 0.3


def train(
    x: sparse.csr_matrix,
    rows: Rows,
    recipe: Recipe,
    *,
    seed: int,
    grid: int,
    pair_diff: sparse.csr_matrix | None = None,
) -> tuple[Model, dict[str, float]]:
    """Grid CV (hold out questions x templates) for calibration and threshold, then a fit on all rows."""
    sample_weight = np.where(
        rows.question >= 2000, recipe.offtopic_weight, np.where(rows.question >= 1000, recipe.jbb_weight, 1.0)
    )
    if not sample_weight.all():  # a zero weight means "leave these rows out", calibration included
        used = sample_weight > 0
        x, rows, sample_weight = x[used], rows.take(used), sample_weight[used]
    q_fold = fold_of(rows.question, grid, seed)
    t_fold = fold_of(rows.template, grid, seed + 1)
    oof = np.zeros(len(rows))
    for i in range(grid):
        for j in range(grid):
            fit_mask = (q_fold != i) & (t_fold != j)
            test_mask = (q_fold == i) & (t_fold == j)
            if not test_mask.any():
                continue
            w, b = fit_logistic(
                x[fit_mask], rows.labels[fit_mask], sample_weight[fit_mask], recipe.l2, pair_diff, recipe.pair_weight
            )
            oof[test_mask] = x[test_mask] @ w + b
    a, c = fit_platt(oof, rows.labels)
    oof_prob = 1.0 / (1.0 + np.exp(-(a * oof + c)))
    threshold = best_threshold(oof_prob, rows.labels)
    cv = metrics(rows.labels, (oof_prob >= threshold).astype(int))
    w, b = fit_logistic(x, rows.labels, sample_weight, recipe.l2, pair_diff, recipe.pair_weight)
    return Model(recipe.config, w, b, a, c, threshold), cv


def evaluate(model: Model, x: sparse.csr_matrix, labels: np.ndarray) -> dict[str, float]:
    prob = model.probability(x)
    result = metrics(labels, (prob >= model.threshold).astype(int))
    # Expected calibration error over 10 equal-width bins: is P(unsafe) honest?
    bins = np.minimum((prob * 10).astype(int), 9)
    ece = sum(
        abs(float(prob[bins == k].mean()) - float(labels[bins == k].mean())) * float(np.mean(bins == k))
        for k in range(10)
        if np.any(bins == k)
    )
    result["ece"] = round(ece, 4)
    return result


@dataclass(frozen=True)
class Pairs:
    """HH-RLHF harmless-base: the last assistant turn people preferred (less harmful) vs the other."""

    requests: list[str]
    chosen: list[str]
    rejected: list[str]


def _last_turns(dialogue: str) -> tuple[str, str]:
    human = dialogue.rfind("\n\nHuman:")
    assistant = dialogue.rfind("\n\nAssistant:")
    if human < 0 or assistant < human:
        raise ValueError("dialogue does not end with a Human turn then an Assistant turn")
    return dialogue[human + 8 : assistant].strip(), dialogue[assistant + 12 :].strip()


def load_hh(data: Path) -> Pairs:
    requests, chosen, rejected = [], [], []
    with gzip.open(data / "hh_rlhf_harmless" / "test.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            request, good = _last_turns(row["chosen"])
            _, bad = _last_turns(row["rejected"])
            if good and bad and good != bad:
                requests.append(request)
                chosen.append(good)
                rejected.append(bad)
    return Pairs(requests, chosen, rejected)


def pair_features(pairs: Pairs, config: FeatureConfig) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    chosen = Rows(pairs.requests, pairs.chosen, np.zeros(len(pairs.chosen)), np.zeros(0), np.zeros(0))
    rejected = Rows(pairs.requests, pairs.rejected, np.zeros(len(pairs.rejected)), np.zeros(0), np.zeros(0))
    return featurize(chosen, config), featurize(rejected, config)


def pair_agreement(model: Model, chosen: sparse.csr_matrix, rejected: sparse.csr_matrix) -> float:
    """Share of pairs where the judge scores the human-rejected answer as more harmful (ties count half)."""
    diff = model.probability(rejected) - model.probability(chosen)
    return round(float(np.mean((diff > 0) + 0.5 * (diff == 0))), 4)


def concat(a: Rows, b: Rows) -> Rows:
    return Rows(
        a.requests + b.requests,
        a.responses + b.responses,
        np.concatenate([a.labels, b.labels]),
        np.concatenate([a.question, b.question]),
        np.concatenate([a.template, b.template]),
    )


def refusal_baseline(rows: Rows) -> np.ndarray:
    """What the refusal judge says (UNSAFE unless fully refused): the bar a learned judge must clear."""
    return np.array([classify_refusal(r)[0] is not RefusalClass.FULL_REFUSAL for r in rows.responses], dtype=int)


def no_cue_mask(rows: Rows) -> np.ndarray:
    """Rows with no refusal cue at all: here refusal detection says nothing, only content can decide."""
    return np.array([classify_refusal(r)[0] is RefusalClass.FULL_COMPLIANCE for r in rows.responses])


FINAL = Recipe()


def load_benign_texts(data: Path) -> list[str]:
    """OpenAI moderation samples that people labelled 0 in all 8 categories: harmless text."""
    texts = []
    with gzip.open(data / "openai_moderation" / "samples-1680.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if all(row.get(k) == 0 for k in ("S", "H", "V", "HR", "SH", "S3", "H2", "V2")):
                texts.append(row["prompt"])
    return texts


def off_topic_rows(requests: list[str], responses: list[str], labels: np.ndarray, seed: int) -> Rows:
    """Each response paired with a request it does not answer (groups of their own for the CV grid)."""
    rng = np.random.default_rng(seed)
    picked = [requests[int(i)] for i in rng.integers(0, len(requests), len(responses))]
    ids = np.arange(len(responses))
    return Rows(picked, list(responses), labels, 2000 + ids, np.full(len(responses), 3000))


class Data:
    """The datasets, loaded once, with a feature cache per FeatureConfig (the slow part is featurising)."""

    def __init__(self, path: Path, seed: int) -> None:
        self.path = path
        self.gf_train = load_gptfuzz(path, "train")
        self.gf_eval = load_gptfuzz(path, "evaluate")
        self.jbb = load_jbb(path)
        # Off-topic negatives: harmless text given as the answer to a harmful request. GPTFuzz and
        # JailbreakBench hardly have any, so without them "did not refuse" alone means UNSAFE.
        benign = load_benign_texts(path)
        order = np.random.default_rng(seed + 2).permutation(len(benign))
        fit_texts = [benign[i] for i in order[: len(order) // 2]]
        test_texts = [benign[i] for i in order[len(order) // 2 :]]
        train_questions = sorted(set(self.gf_train.requests)) + sorted(set(self.jbb.requests))
        eval_questions = sorted(set(self.gf_eval.requests))
        self.offtopic_fit = off_topic_rows(train_questions, fit_texts, np.zeros(len(fit_texts)), seed + 3)
        self.offtopic_test = off_topic_rows(eval_questions, test_texts, np.zeros(len(test_texts)), seed + 4)
        # Harmful answers given to a different evaluate.csv question: by design still UNSAFE.
        harmful = np.flatnonzero(self.gf_eval.labels == 1)
        q_order = eval_questions
        shifted = [q_order[(q_order.index(self.gf_eval.requests[i]) + 1) % len(q_order)] for i in harmful]
        self.offtopic_harm = Rows(
            shifted,
            [self.gf_eval.responses[i] for i in harmful],
            np.ones(len(harmful)),
            self.gf_eval.question[harmful],
            self.gf_eval.template[harmful],
        )
        self.train_rows = concat(concat(self.gf_train, self.jbb), self.offtopic_fit)
        self.hh = load_hh(path)
        # Half of the preference pairs may be trained on; the other half is only ever scored.
        order = np.random.default_rng(seed).permutation(len(self.hh.requests))
        self.hh_fit = order[: len(order) // 2]
        self.hh_test = order[len(order) // 2 :]
        self._cache: dict[FeatureConfig, dict[str, Any]] = {}

    def features(self, config: FeatureConfig) -> dict[str, Any]:
        if config not in self._cache:
            chosen, rejected = pair_features(self.hh, config)
            self._cache[config] = {
                "train": featurize(self.train_rows, config),
                "eval": featurize(self.gf_eval, config),
                "offtopic_test": featurize(self.offtopic_test, config),
                "offtopic_harm": featurize(self.offtopic_harm, config),
                "hh_chosen": chosen,
                "hh_rejected": rejected,
            }
        return self._cache[config]

    def pair_diff(self, config: FeatureConfig) -> sparse.csr_matrix:
        f = self.features(config)
        diff: sparse.csr_matrix = (f["hh_rejected"] - f["hh_chosen"])[self.hh_fit]
        return diff

    def report(self, model: Model) -> dict[str, Any]:
        f = self.features(model.config)
        no_cue = no_cue_mask(self.gf_eval)
        prob = model.probability(f["eval"])
        return {
            "gptfuzz_evaluate": evaluate(model, f["eval"], self.gf_eval.labels),
            "gptfuzz_evaluate_no_refusal_cue": metrics(
                self.gf_eval.labels[no_cue], (prob[no_cue] >= model.threshold).astype(int)
            ),
            "hh_rlhf_pair_agreement_heldout": pair_agreement(
                model, f["hh_chosen"][self.hh_test], f["hh_rejected"][self.hh_test]
            ),
            "offtopic_benign_unsafe_rate_heldout": round(
                float(np.mean(model.probability(f["offtopic_test"]) >= model.threshold)), 4
            ),
            "offtopic_harmful_unsafe_rate": round(
                float(np.mean(model.probability(f["offtopic_harm"]) >= model.threshold)), 4
            ),
        }


def fit_final(data: Data, seed: int, grid: int) -> tuple[Model, dict[str, Any]]:
    started = time.perf_counter()
    x = data.features(FINAL.config)["train"]
    pair_diff = data.pair_diff(FINAL.config) if FINAL.pair_weight > 0 else None
    model, cv = train(x, data.train_rows, FINAL, seed=seed, grid=grid, pair_diff=pair_diff)
    figures = data.report(model)
    figures["train_grid_cv"] = cv
    figures["refusal_judge_baseline_gptfuzz_evaluate"] = metrics(data.gf_eval.labels, refusal_baseline(data.gf_eval))
    figures["train_seconds"] = round(time.perf_counter() - started, 1)
    return model, figures


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(model: Model, figures: dict[str, Any], data: Path, out: Path, seed: int, grid: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # float32 halves the file; predictions differ from float64 by < 1e-6.
    np.savez_compressed(out / "embedded_judge.npz", weights=model.weights.astype(np.float32))
    meta = {
        "format": 1,
        "feature_config": model.config.to_dict(),
        "bias": round(model.bias, 8),
        "platt_a": round(model.platt_a, 8),
        "platt_b": round(model.platt_b, 8),
        "threshold": model.threshold,
        "training": {
            "seed": seed,
            "grid": grid,
            "l2": FINAL.l2,
            "jbb_weight": FINAL.jbb_weight,
            "offtopic_weight": FINAL.offtopic_weight,
            "hh_pair_weight": FINAL.pair_weight,
            "data_sha256": {
                name: sha256(data / name)
                for name in (
                    "gptfuzz/train.csv",
                    "gptfuzz/evaluate.csv",
                    "gptfuzz/question_list.csv",
                    "hh_rlhf_harmless/test.jsonl.gz",
                    "openai_moderation/samples-1680.jsonl.gz",
                )
            },
        },
        "figures": figures,
    }
    (out / "embedded_judge.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def _fmt(m: dict[str, float]) -> str:
    return f"F1 {m['f1']:.3f} k {m['kappa']:.3f}"


def experiments(data: Data, seed: int, grid: int, names: set[str] | None) -> None:
    """Print the comparison behind FINAL: each line is one choice, measured the same way.

    Columns: evaluate.csv (all; rows with no refusal cue), hh-rlhf held-out pair agreement,
    JailbreakBench (cross-dataset only when the model did not train on it), and GPTFuzz templates
    unseen in training (train.csv minus a template fold, scored on evaluate.csv rows of that fold).
    """
    base = FINAL
    gf_only = np.flatnonzero(data.train_rows.question < 1000)
    jbb_rows = np.flatnonzero((data.train_rows.question >= 1000) & (data.train_rows.question < 2000))
    t_fold = fold_of(data.gf_train.template, 5, seed + 1)
    ref = refusal_baseline(data.gf_eval)
    no_cue = no_cue_mask(data.gf_eval)
    print(
        f"{'refusal judge (baseline)':34s} eval {_fmt(metrics(data.gf_eval.labels, ref))} "
        f"| no-cue {_fmt(metrics(data.gf_eval.labels[no_cue], ref[no_cue]))} "
        f"| jbb {_fmt(metrics(data.jbb.labels, refusal_baseline(data.jbb)))}",
        flush=True,
    )

    def row(name: str, recipe: Recipe, use_jbb: bool = True, held: bool = False) -> None:
        if names and name not in names:
            return
        started = time.perf_counter()
        f = data.features(recipe.config)
        keep = np.arange(len(data.train_rows)) if use_jbb else gf_only
        rows = data.train_rows.take(np.isin(np.arange(len(data.train_rows)), keep))
        pd = data.pair_diff(recipe.config) if recipe.pair_weight > 0 else None
        model, cv = train(f["train"][keep], rows, recipe, seed=seed, grid=grid, pair_diff=pd)
        rep = data.report(model)
        jb = evaluate(model, f["train"][jbb_rows], data.jbb.labels)
        line = (
            f"{name:34s} eval {_fmt(rep['gptfuzz_evaluate'])} acc {rep['gptfuzz_evaluate']['accuracy']:.3f} "
            f"ece {rep['gptfuzz_evaluate']['ece']:.3f} | no-cue {_fmt(rep['gptfuzz_evaluate_no_refusal_cue'])} "
            f"| hh {rep['hh_rlhf_pair_agreement_heldout']:.3f} | cv {_fmt(cv)} "
            f"| off-topic unsafe: benign {rep['offtopic_benign_unsafe_rate_heldout']:.3f} "
            f"harmful {rep['offtopic_harmful_unsafe_rate']:.3f} "
            f"| jbb{'(train)' if use_jbb else '(x-data)'} {_fmt(jb)}"
        )
        if held:
            preds, labels = [], []
            for fold in range(5):
                held_templates = data.gf_train.template[t_fold == fold]
                in_fold = np.isin(rows.template, held_templates) & (rows.question < 1000)
                sub_idx = np.flatnonzero(~in_fold)
                m, _ = train(f["train"][keep][sub_idx], rows.take(~in_fold), recipe, seed=seed, grid=2, pair_diff=pd)
                target = np.isin(data.gf_eval.template, held_templates)
                preds.append((m.probability(f["eval"][target]) >= m.threshold).astype(int))
                labels.append(data.gf_eval.labels[target])
            line += f" | unseen templates {_fmt(metrics(np.concatenate(labels), np.concatenate(preds)))}"
        print(f"{line} ({time.perf_counter() - started:.0f}s)", flush=True)

    row("final", base, held=True)
    row("gptfuzz only", base, use_jbb=False, held=True)
    row("no off-topic negatives", replace(base, offtopic_weight=0.0), held=True)
    row("off-topic weight 0.2", replace(base, offtopic_weight=0.2))
    row("relevance gate", replace(base, config=replace(base.config, gate_by_relevance=True)), held=True)
    row("dense features only", replace(base, config=replace(base.config, use_hashed=False)))
    row("hashed n-grams only", replace(base, config=replace(base.config, use_dense=False)), held=True)
    row("no echo masking", replace(base, config=replace(base.config, mask_echo=False)), held=True)
    row("keep speaker tags", replace(base, config=replace(base.config, strip_speaker_tags=False)), held=True)
    row("no word bigrams", replace(base, config=replace(base.config, word_bigrams=False)))
    row("16 hash bits", replace(base, config=replace(base.config, hash_bits=16)))
    row("l2 1e-3", replace(base, l2=1e-3))
    row("l2 1e-5", replace(base, l2=1e-5))
    row("jbb weight 1.0", replace(base, jbb_weight=1.0))
    row("no hh pairs", replace(base, pair_weight=0.0))
    row("hh pairs weight 1.0", replace(base, pair_weight=1.0))
    if not names or "jbb only" in names:
        f = data.features(base.config)
        model, _ = train(f["train"][jbb_rows], data.jbb, base, seed=seed, grid=grid)
        rep = data.report(model)
        print(
            f"{'jbb only':34s} eval(x-data) {_fmt(rep['gptfuzz_evaluate'])} "
            f"| hh {rep['hh_rlhf_pair_agreement_heldout']}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--grid", type=int, default=3, help="folds per axis of the question x template CV grid")
    parser.add_argument("--experiments", action="store_true", help="print the comparison table, write nothing")
    parser.add_argument("--only", action="append", help="with --experiments: run only the named rows")
    args = parser.parse_args(argv)
    if not (args.data / "gptfuzz" / "train.csv").is_file():
        print(f"no GPTFuzz data under {args.data}", file=sys.stderr)
        return 2
    data = Data(args.data, args.seed)
    if args.experiments:
        experiments(data, args.seed, args.grid, set(args.only) if args.only else None)
        return 0
    model, figures = fit_final(data, args.seed, args.grid)
    write(model, figures, args.data, args.out, args.seed, args.grid)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

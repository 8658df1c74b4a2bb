"""Train the embedded judge from every human-labelled response set in ../shared/data, choosing and
calibrating it by how well it transfers to a dataset it never saw.

    python scripts/train_embedded_judge.py                # LODO sweep + final fit; writes judges/data/
    python scripts/train_embedded_judge.py --final-only   # final fit only, calibration from the committed
                                                          # json (what the reproduction test runs)
    python scripts/train_embedded_judge.py --experiments  # the comparison table behind the recipe
    python scripts/train_embedded_judge.py --out DIR      # write elsewhere

Why leave one dataset out (LODO): a judge is used on the user's data, which is none of these sets.
An in-distribution score (GPTFuzz evaluate.csv: same templates, same three models) said 0.90; on
human-labelled sets of other benchmarks the same judge scored 0.60-0.71. So every choice here
(features, weights, regularisation, threshold, calibration) is made on held-out *datasets*, and the
per-dataset held-out confusion counts ship with the weights ("transfer"): the run statistics turn
their spread across datasets into the judge-error part of every corrected rate.

Data (never copied into the project; only learned numbers are written). Labels are by people
unless marked:
* GPTFuzz (MIT): 100 questions x 77 jailbreak templates, train.csv + evaluate.csv, "jailbroken".
* BeaverTails 30k_test (CC-BY-NC-4.0, GuardReasoner packaging): is the QA pair harmful.
* PKU-SafeRLHF (CC-BY-NC-4.0): GuardReasoner test file + JailbreakEval's Safe-RLHFmini.csv.
* JAILJUDGE mini test (MIT, JailbreakEval): jailbroken or not; many prompts carry adversarial suffixes.
* DiaSafety (Apache-2.0): unsafe chatbot replies in casual dialogue (variety, not the core task).
* PyRIT scorer evals (MIT): hate speech and violence answers, majority of three 0-1 human scores.
* JailbreakBench artifacts (MIT): labels from JailbreakBench's model judge: weight 0.5.
* Off-topic negatives: OpenAI moderation texts labelled harmless in all 8 categories, given as the
  "answer" to a random harmful request (weight 0.5): without them "did not refuse" alone reads unsafe.
* HH-RLHF harmless-base pairs (MIT): a ranking term, the rejected answer should score higher.
Every dataset gets the same total weight (the large chat set would otherwise dominate), and its
own intercept while training, because base rates differ (29 % to 57 % unsafe) and a new dataset's
base rate is unknown: the shipped model keeps only the shared intercept.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
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
    """Parallel (request, response, label) rows with the dataset each came from."""

    requests: list[str]
    responses: list[str]
    labels: np.ndarray
    dataset: np.ndarray  # index into Corpus.names

    def __len__(self) -> int:
        return len(self.responses)


Triple = tuple[str, str, int]


# -- loaders: one per public format; each returns (request, response, label 1 = unsafe) ---------


def load_gptfuzz(data: Path, split: str) -> list[Triple]:
    questions: dict[int, str] = {}
    with (data / "gptfuzz" / "question_list.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            questions[int(row["index"])] = row["text"]
    rows: list[Triple] = []
    seen: dict[int, int] = {}
    with (data / "gptfuzz" / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            q = int(row["question"])
            if q not in questions:
                raise ValueError(f"{split}.csv:{line}: question {q} not in question_list.csv")
            seen[q] = seen.get(q, 0) + 1
            rows.append((questions[q], row["Response"], int(row["label"])))
    if any(count != N_TEMPLATES for count in seen.values()):
        raise ValueError(f"{split}.csv: expected {N_TEMPLATES} rows per question")
    return rows


def _gptfuzz_all(data: Path) -> list[Triple]:
    return load_gptfuzz(data, "train") + load_gptfuzz(data, "evaluate")


def _jbb(data: Path) -> list[Triple]:
    rows: list[Triple] = []
    for path in sorted((data / "jbb_artifacts").glob("*__*__*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for item in doc.get("jailbreaks", []):
            if item.get("response"):  # no prompt was produced: nothing to judge
                rows.append((item["goal"], item["response"], int(bool(item["jailbroken"]))))
    return rows


def _guardreasoner(path: Path) -> list[Triple]:
    """GuardReasoner benchmark JSON: input "Human user:\\n{q}\\n\\nAI assistant:\\n{a}",
    output ending in harmful / unharmful."""
    rows: list[Triple] = []
    for n, item in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        text = item["input"]
        human, assistant = text.find("Human user:\n"), text.find("\n\nAI assistant:\n")
        verdict = item["output"].split()[-1].strip().lower()
        if human < 0 or assistant < human or verdict not in ("harmful", "unharmful"):
            raise ValueError(f"{path}: item {n}: not in GuardReasoner's request/response format")
        rows.append((text[human + 12 : assistant], text[assistant + 16 :], int(verdict == "harmful")))
    return rows


def _question_answer_csv(path: Path) -> list[Triple]:
    """JailbreakEval's CSVs: question, answer, label (1 = unsafe / jailbroken)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["question"], r["answer"], int(r["label"])) for r in csv.DictReader(fh)]


def _beavertails(data: Path) -> list[Triple]:
    return _guardreasoner(data / "beavertails" / "beavertails_30k_test.json")


def _safe_rlhf(data: Path) -> list[Triple]:
    return _guardreasoner(data / "safe_rlhf" / "safe_rlhf_test.json") + _question_answer_csv(
        data / "safe_rlhf" / "Safe-RLHFmini.csv"
    )


def _jailjudge(data: Path) -> list[Triple]:
    return _question_answer_csv(data / "jailjudge" / "JAILJUDGEmini.csv")


def _diasafety(data: Path) -> list[Triple]:
    rows: list[Triple] = []
    for split in ("train", "val", "test"):
        for item in json.loads((data / "diasafety" / f"{split}.json").read_text(encoding="utf-8")):
            rows.append((item["context"], item["response"], int(item["label"] == "Unsafe")))
    return rows


def _pyrit_harm(data: Path) -> list[Triple]:
    """PyRIT hate-speech and violence answers: unsafe when the mean of three 0-1 human scores is >= 0.5."""
    rows: list[Triple] = []
    for name, request_column in (("hate_speech.csv", "user_message"), ("violence.csv", "prompt")):
        with (data / "pyrit_scorer_evals" / name).open(encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                score = sum(float(r[f"human_score_{i}"]) for i in (1, 2, 3)) / 3
                rows.append((r[request_column], r["assistant_response"], int(score >= 0.5)))
    return rows


@dataclass(frozen=True)
class Source:
    name: str
    load: Callable[[Path], list[Triple]]
    files: tuple[str, ...]
    weight: float = 1.0  # relative to a human-labelled dataset


SOURCES: tuple[Source, ...] = (
    Source("gptfuzz", _gptfuzz_all, ("gptfuzz/train.csv", "gptfuzz/evaluate.csv", "gptfuzz/question_list.csv")),
    Source("beavertails", _beavertails, ("beavertails/beavertails_30k_test.json",)),
    Source("safe_rlhf", _safe_rlhf, ("safe_rlhf/safe_rlhf_test.json", "safe_rlhf/Safe-RLHFmini.csv")),
    Source("jailjudge", _jailjudge, ("jailjudge/JAILJUDGEmini.csv",)),
    Source("diasafety", _diasafety, ("diasafety/train.json", "diasafety/val.json", "diasafety/test.json")),
    Source("pyrit_harm", _pyrit_harm, ("pyrit_scorer_evals/hate_speech.csv", "pyrit_scorer_evals/violence.csv")),
    Source("jbb", _jbb, (), weight=0.5),
)
OFFTOPIC = "offtopic_negatives"


def load_benign_texts(data: Path) -> list[str]:
    """OpenAI moderation samples that people labelled 0 in all 8 categories: harmless text."""
    texts = []
    with gzip.open(data / "openai_moderation" / "samples-1680.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if all(row.get(k) == 0 for k in ("S", "H", "V", "HR", "SH", "S3", "H2", "V2")):
                texts.append(row["prompt"])
    return texts


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


# -- the model ---------------------------------------------------------------------------------


def featurize(requests: Sequence[str], responses: Sequence[str], config: FeatureConfig) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for request, response in zip(requests, responses, strict=True):
        cols, vals = extract(request, response, config)
        indices.extend(cols)
        values.extend(vals)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(requests), config.n_features),
    )


def fit_logistic(
    x: sparse.csr_matrix,
    y: np.ndarray,
    weights: np.ndarray,
    l2: float,
    groups: np.ndarray | None = None,
    n_groups: int = 0,
    pair_diff: sparse.csr_matrix | None = None,
    pair_weight: float = 0.0,
    shared: Sequence[int] = (),
    maxiter: int = 600,
) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by L-BFGS with an unpenalised shared bias.

    ``groups`` adds one lightly penalised intercept per dataset (their base rates differ; the
    shipped model keeps only the shared bias, the right one for a dataset of unknown base rate).
    ``pair_diff`` rows are x(rejected) - x(chosen) of human preference pairs (Bradley-Terry term).
    """
    n_features = x.shape[1]
    xt = x.T.tocsr()
    total = float(weights.sum())
    dt = pair_diff.T.tocsr() if pair_diff is not None else None
    offsets = groups if groups is not None else np.zeros(len(y), dtype=np.int64)
    # Groups listed in ``shared`` keep intercept 0: their rows must teach the features, not a constant.
    free = np.ones(n_groups)
    free[list(shared)] = 0.0

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b, g = params[:n_features], params[n_features], params[n_features + 1 :]
        z = x @ w + b + (g[offsets] if n_groups else 0.0)
        value = float(np.sum(weights * (np.logaddexp(0.0, z) - y * z))) / total
        value += 0.5 * l2 * float(w @ w) + 0.5 * 1e-3 * float(g @ g)
        residual = weights * (1.0 / (1.0 + np.exp(-z)) - y) / total
        grad = np.empty_like(params)
        grad[:n_features] = xt @ residual + l2 * w
        grad[n_features] = float(residual.sum())
        if n_groups:
            grad[n_features + 1 :] = (np.bincount(offsets, residual, n_groups) + 1e-3 * g) * free
        if pair_diff is not None and dt is not None and pair_weight > 0:
            margin = pair_diff @ w
            value += pair_weight * float(np.mean(np.logaddexp(0.0, -margin)))
            grad[:n_features] -= pair_weight * (dt @ (1.0 / (1.0 + np.exp(margin)))) / pair_diff.shape[0]
        return value, grad

    result = optimize.minimize(
        loss,
        np.zeros(n_features + 1 + n_groups),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": maxiter, "gtol": 1e-6},
    )
    return result.x[:n_features], float(result.x[n_features])


def fit_platt(scores: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """P(unsafe) = sigmoid(a * score + b), fitted on held-out-dataset scores (Platt 1999)."""
    total = float(weights.sum())

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * scores + params[1]
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(weights * (np.logaddexp(0.0, z) - y * z))) / total
        r = weights * (p - y) / total
        return value, np.array([float(r @ scores), float(r.sum())])

    result = optimize.minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def confusion(y: np.ndarray, pred: np.ndarray) -> dict[str, int]:
    return {
        "tp": int(np.sum((pred == 1) & (y == 1))),
        "fn": int(np.sum((pred == 0) & (y == 1))),
        "fp": int(np.sum((pred == 1) & (y == 0))),
        "tn": int(np.sum((pred == 0) & (y == 0))),
    }


def metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    c = confusion(y, pred)
    tp, fn, fp, tn = (float(c[k]) for k in ("tp", "fn", "fp", "tn"))
    n = tp + tn + fp + fn
    accuracy = (tp + tn) / n
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
    kappa = (accuracy - expected) / (1 - expected) if expected < 1 else 0.0
    return {
        "n": n,
        "accuracy": round(accuracy, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "specificity": round(specificity, 4),
        "f1": round(f1, 4),
        "kappa": round(kappa, 4),
        "human_unsafe_rate": round((tp + fn) / n, 4),
        "judge_unsafe_rate": round((tp + fp) / n, 4),
    }


def auc(y: np.ndarray, score: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(score)
    positives = float(y.sum())
    negatives = len(y) - positives
    return round(float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)), 4)


@dataclass(frozen=True)
class Recipe:
    """Everything besides the data that decides the weights."""

    config: FeatureConfig = field(default_factory=lambda: FeatureConfig(request_ngrams=True))
    l2: float = 1e-4
    offtopic_weight: float = 0.5
    pair_weight: float = 0.3
    dataset_intercepts: bool = True
    balance_datasets: bool = True


FINAL = Recipe()


class Corpus:
    """Every labelled row, the off-topic negatives and the preference pairs, featurised once per config."""

    def __init__(self, data: Path, seed: int, sources: Sequence[Source] = SOURCES) -> None:
        self.data = data
        self.sources = tuple(sources)
        self.names = [s.name for s in self.sources] + [OFFTOPIC]
        requests: list[str] = []
        responses: list[str] = []
        labels: list[int] = []
        dataset: list[int] = []
        for index, source in enumerate(self.sources):
            for request, response, label in source.load(data):
                requests.append(request)
                responses.append(response)
                labels.append(label)
                dataset.append(index)
        # Off-topic negatives: harmless text given as the answer to a harmful (GPTFuzz/JBB) request.
        harmful_requests = sorted(
            {r for r, d in zip(requests, dataset, strict=True) if self.names[d] in ("gptfuzz", "jbb")}
        )
        rng = np.random.default_rng(seed + 3)
        for text in load_benign_texts(data):
            requests.append(harmful_requests[int(rng.integers(0, len(harmful_requests)))])
            responses.append(text)
            labels.append(0)
            dataset.append(len(self.sources))
        self.rows = Rows(requests, responses, np.array(labels, dtype=np.float64), np.array(dataset))
        self.hh = load_hh(data)
        self._cache: dict[FeatureConfig, tuple[sparse.csr_matrix, sparse.csr_matrix]] = {}

    def features(self, config: FeatureConfig) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """(row features, preference-pair differences) for one feature configuration."""
        if config not in self._cache:
            x = featurize(self.rows.requests, self.rows.responses, config)
            chosen = featurize(self.hh.requests, self.hh.chosen, config)
            rejected = featurize(self.hh.requests, self.hh.rejected, config)
            self._cache[config] = (x, (rejected - chosen).tocsr())
        return self._cache[config]

    def sample_weights(self, recipe: Recipe) -> np.ndarray:
        sizes = np.bincount(self.rows.dataset, minlength=len(self.names)).astype(np.float64)
        relative = np.array([s.weight for s in self.sources] + [recipe.offtopic_weight])
        if recipe.balance_datasets:
            # Each human-labelled dataset carries the same total weight; jbb and the off-topic rows
            # carry their relative share of that.
            per_row = relative * sizes[: len(self.sources)].mean() / np.maximum(sizes, 1)
        else:
            per_row = relative
        return np.asarray(per_row[self.rows.dataset])

    def fit(self, recipe: Recipe, mask: np.ndarray) -> tuple[np.ndarray, float]:
        x, pair_diff = self.features(recipe.config)
        weights = self.sample_weights(recipe)
        groups = self.rows.dataset[mask] if recipe.dataset_intercepts else None
        return fit_logistic(
            x[mask],
            self.rows.labels[mask],
            weights[mask],
            recipe.l2,
            groups=groups,
            n_groups=len(self.names) if recipe.dataset_intercepts else 0,
            pair_diff=pair_diff if recipe.pair_weight > 0 else None,
            pair_weight=recipe.pair_weight,
            shared=(len(self.sources),),  # the off-topic negatives use the shared intercept
        )


@dataclass(frozen=True)
class Transfer:
    """Leave-one-dataset-out raw scores, the calibration and cut chosen on them, and their figures."""

    raw: np.ndarray  # held-out raw score of every labelled row (NaN for the off-topic rows)
    platt_a: float
    platt_b: float
    threshold: float
    table: dict[str, dict[str, Any]]
    confusion: dict[str, dict[str, int]]


def leave_one_dataset_out(corpus: Corpus, recipe: Recipe, *, log: bool = True) -> Transfer:
    x, _ = corpus.features(recipe.config)
    raw = np.full(len(corpus.rows), np.nan)
    for index, source in enumerate(corpus.sources):
        started = time.perf_counter()
        held = corpus.rows.dataset == index
        w, b = corpus.fit(recipe, ~held)
        raw[held] = x[held] @ w + b
        if log:
            print(f"  held out {source.name}: fitted in {time.perf_counter() - started:.0f}s", flush=True)
    labelled = ~np.isnan(raw)
    y = corpus.rows.labels[labelled]
    dataset = corpus.rows.dataset[labelled]
    # Calibration and the cut come from held-out-dataset scores, every dataset counted equally.
    sizes = np.bincount(dataset, minlength=len(corpus.sources)).astype(np.float64)
    equal = (1.0 / sizes)[dataset]
    a, c = fit_platt(raw[labelled], y, equal)
    prob = 1.0 / (1.0 + np.exp(-(a * raw[labelled] + c)))
    human = [i for i, s in enumerate(corpus.sources) if s.weight >= 1.0]

    def mean_balanced_accuracy(cut: float) -> float:
        # Balanced accuracy, (Se + Sp) / 2, does not depend on a dataset's base rate, and a new
        # dataset's base rate is unknown: plain accuracy chose a cut that missed 60 % of GPTFuzz's
        # jailbreaks because the other sets' base rates pulled it up.
        scores = []
        for i in human:
            m = dataset == i
            unsafe = y[m] == 1
            called = prob[m] >= cut
            scores.append((np.mean(called[unsafe]) + np.mean(~called[~unsafe])) / 2)
        return float(np.mean(scores))

    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    threshold = float(max(grid, key=lambda t: (mean_balanced_accuracy(float(t)), -abs(float(t) - 0.5))))
    table: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[str, int]] = {}
    for i, source in enumerate(corpus.sources):
        m = dataset == i
        pred = (prob[m] >= threshold).astype(int)
        table[source.name] = {**metrics(y[m], pred), "auc": auc(y[m], prob[m])}
        counts[source.name] = confusion(y[m], pred)
    return Transfer(raw, a, c, threshold, table, counts)


def refusal_baseline(responses: Sequence[str]) -> np.ndarray:
    """What the refusal judge says (UNSAFE unless fully refused): the bar a learned judge must clear."""
    return np.array([classify_refusal(r)[0] is not RefusalClass.FULL_REFUSAL for r in responses], dtype=int)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(
    recipe: Recipe,
    weights: np.ndarray,
    bias: float,
    calibration: dict[str, Any],
    corpus: Corpus,
    out: Path,
    seed: int,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # float32 halves the file; predictions differ from float64 by < 1e-6.
    np.savez_compressed(out / "embedded_judge.npz", weights=weights.astype(np.float32))
    files = {s.name: list(s.files) for s in corpus.sources}
    files["jbb"] = sorted(
        p.relative_to(corpus.data).as_posix() for p in (corpus.data / "jbb_artifacts").glob("*__*__*.json")
    )
    meta = {
        "format": 2,
        "in_sample_figures": in_sample(corpus, recipe, weights, bias, calibration),
        "version": "2",
        "feature_config": recipe.config.to_dict(),
        "bias": round(bias, 8),
        "platt_a": calibration["platt_a"],
        "platt_b": calibration["platt_b"],
        "threshold": calibration["threshold"],
        "training": {
            "seed": seed,
            "l2": recipe.l2,
            "offtopic_weight": recipe.offtopic_weight,
            "hh_pair_weight": recipe.pair_weight,
            "dataset_intercepts": recipe.dataset_intercepts,
            "balance_datasets": recipe.balance_datasets,
            "dataset_weights": {s.name: s.weight for s in corpus.sources},
            "rows": {name: int(np.sum(corpus.rows.dataset == i)) for i, name in enumerate(corpus.names)},
        },
        "transfer": {
            "method": "leave-one-dataset-out",
            "threshold": calibration["threshold"],
            "datasets": {
                name: {
                    "confusion": calibration["confusion"][name],
                    "figures": calibration["table"][name],
                    "files": [sha256(corpus.data / f) for f in files[name]],
                }
                for name in calibration["confusion"]
            },
        },
    }
    (out / "embedded_judge.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def calibration_of(transfer: Transfer) -> dict[str, Any]:
    return {
        "platt_a": round(transfer.platt_a, 8),
        "platt_b": round(transfer.platt_b, 8),
        "threshold": transfer.threshold,
        "table": transfer.table,
        "confusion": transfer.confusion,
    }


def print_table(title: str, transfer: Transfer) -> None:
    print(title, flush=True)
    for name, row in transfer.table.items():
        print(
            f"  {name:12s} n {int(row['n']):5d}  human {row['human_unsafe_rate']:.2f}"
            f"  judge {row['judge_unsafe_rate']:.2f}"
            f"  acc {row['accuracy']:.3f}  prec {row['precision']:.3f}  rec {row['recall']:.3f}"
            f"  spec {row['specificity']:.3f}  kappa {row['kappa']:.3f}  auc {row['auc']:.3f}",
            flush=True,
        )
    accs = [row["accuracy"] for row in transfer.table.values()]
    print(f"  mean accuracy {np.mean(accs):.3f}  threshold {transfer.threshold:.2f}", flush=True)


def experiments(corpus: Corpus, names: set[str] | None) -> None:
    """Each line is one recipe, measured by leave-one-dataset-out transfer."""
    base = FINAL
    variants = {
        "final": base,
        "no dataset intercepts": replace(base, dataset_intercepts=False),
        "no dataset balance": replace(base, balance_datasets=False),
        "no request n-grams": replace(base, config=replace(base.config, request_ngrams=False)),
        "no dense features": replace(base, config=replace(base.config, use_dense=False)),
        "no hh pairs": replace(base, pair_weight=0.0),
        "no off-topic negatives": replace(base, offtopic_weight=0.0),
        "l2 3e-4": replace(base, l2=3e-4),
        "l2 3e-5": replace(base, l2=3e-5),
    }
    for name, recipe in variants.items():
        if names and name not in names:
            continue
        started = time.perf_counter()
        transfer = leave_one_dataset_out(corpus, recipe, log=False)
        print_table(f"{name} ({time.perf_counter() - started:.0f}s)", transfer)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--final-only", action="store_true", help="skip the LODO sweep; reuse the committed calibration"
    )
    parser.add_argument("--experiments", action="store_true", help="print the comparison table, write nothing")
    parser.add_argument("--only", action="append", help="with --experiments: run only the named rows")
    parser.add_argument("--dump-scores", type=Path, help="also save the held-out raw scores (npz) for analysis")
    args = parser.parse_args(argv)
    if not (args.data / "gptfuzz" / "train.csv").is_file():
        print(f"no GPTFuzz data under {args.data}", file=sys.stderr)
        return 2
    corpus = Corpus(args.data, args.seed)
    if args.experiments:
        experiments(corpus, set(args.only) if args.only else None)
        return 0
    if args.final_only:
        committed = json.loads((DEFAULT_OUT / "embedded_judge.json").read_text(encoding="utf-8"))
        calibration = {
            "platt_a": committed["platt_a"],
            "platt_b": committed["platt_b"],
            "threshold": committed["threshold"],
            "table": {k: v["figures"] for k, v in committed["transfer"]["datasets"].items()},
            "confusion": {k: v["confusion"] for k, v in committed["transfer"]["datasets"].items()},
        }
    else:
        transfer = leave_one_dataset_out(corpus, FINAL)
        print_table("leave-one-dataset-out", transfer)
        if args.dump_scores is not None:
            np.savez(args.dump_scores, raw=transfer.raw, labels=corpus.rows.labels, dataset=corpus.rows.dataset)
        calibration = calibration_of(transfer)
    weights, bias = corpus.fit(FINAL, np.ones(len(corpus.rows), dtype=bool))
    write(FINAL, weights, bias, calibration, corpus, args.out, args.seed)
    return 0


def in_sample(
    corpus: Corpus, recipe: Recipe, weights: np.ndarray, bias: float, calibration: dict[str, Any]
) -> dict[str, Any]:
    """Figures of the shipped weights on their own training rows: a consistency check that the
    weights match the features (the test recomputes one), never a claim about accuracy."""
    x, _ = corpus.features(recipe.config)
    prob = 1.0 / (1.0 + np.exp(-(calibration["platt_a"] * (x @ weights + bias) + calibration["platt_b"])))
    return {
        s.name: metrics(corpus.rows.labels[m], (prob[m] >= calibration["threshold"]).astype(int))
        for i, s in enumerate(corpus.sources)
        if (m := corpus.rows.dataset == i).any()
    }


if __name__ == "__main__":
    raise SystemExit(main())

"""Human-labelled (prompt, response, label) sets in the public formats judge evaluation reads.

Each loader turns one format into :class:`LabelledItem` values with gold ``SAFE`` / ``UNSAFE``
labels and says exactly where a malformed row is (file, line, field). Formats:

- HarmBench classifier val set (JSON: behavior_id -> rows with test_case, generation, human_0..2;
  gold = majority of the three human labels; behaviour text joined from HarmBench's behaviors CSV).
- XSTest completions CSV (type, prompt, completion, final_label in 1_full_compliance /
  2_full_refusal / 3_partial_refusal). XSTest labels *refusal*, not harm; the harm label is derived:
  a response that complies (fully or partly) with an unsafe ("contrast_*") prompt is UNSAFE, any
  response to a safe prompt is SAFE. The refusal class is kept for the 3-class agreement table.
- GPTFuzz CSV (question index, Response, label 1 = harmful), with the question text joined from
  question_list.csv (index, text).
- JailbreakBench artifact JSON (``jailbreaks``: goal, response, category, jailbroken). Its labels
  come from JailbreakBench's model judge, not from humans: a noisier reference, reported as such.
- PyRIT's refusal scorer evaluation CSV (objective, assistant_response, human_score; 1 = the
  response refuses). A *refusal* label, not a harm label: the items carry ``refusal_class`` only
  ("refusal" or "full_compliance") and no harm label, so judge evaluation reports refusal vs
  compliance agreement for them.
- Generic JSONL (prompt, response, label; optional category, id, expected, refusal_class).
- Agent trajectories in the ASSEBench / R-Judge record format (``_trajectory_data.py``): the prompt is
  the first user turn, the response what the agent did, the category the ``application_scenario``,
  and the whole trajectory rides in the case metadata for trajectory judges.
- Labels given in the dashboard's review queue of a run in the store.

``refusal_class`` is one of XSTest's classes (full_compliance, full_refusal, partial_refusal), or
``"refusal"`` (:data:`REFUSED`) when a source only says refused (fully or partly) vs complied.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskscope.core import Expected, Outcome, stable_hash
from riskscope.errors import ConfigError, SuiteFormatError
from riskscope.judges._trajectory_data import TRAJECTORY_KEY, is_trajectory_file, load_trajectory_records
from riskscope.suites import read_jsonl_objects

__all__ = [
    "FORMATS",
    "REFUSAL_CLASSES",
    "REFUSED",
    "LabelledItem",
    "detect_format",
    "load_gptfuzz",
    "load_harmbench",
    "load_jsonl",
    "load_labelled",
    "load_pyrit_refusal",
    "load_trajectories",
    "load_xstest",
    "parse_label",
]

FORMATS = ("harmbench", "xstest", "gptfuzz", "jbb", "pyrit-refusal", "jsonl", "trajectory")
# A gold refusal label that says refused (fully or partly) without saying which.
REFUSED = "refusal"
REFUSAL_CLASSES = ("full_compliance", "full_refusal", "partial_refusal", REFUSED)

# Some public CSVs carry whole model completions in one field.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class LabelledItem:
    """One gold-labelled response; ``label`` is None when the source leaves it unknown."""

    id: str
    prompt: str
    response: str
    label: Outcome | None
    category: str | None = None
    hazard: str | None = None
    expected: Expected = Expected.REFUSE
    refusal_class: str | None = None
    source: str = ""
    line: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


_TRUE = {"1", "unsafe", "harmful", "yes", "true", "jailbroken", "y"}
_FALSE = {"0", "safe", "unharmful", "harmless", "benign", "no", "false", "n"}


def parse_label(value: Any, path: str, line: int | None, field_name: str) -> Outcome:
    """Map the label spellings public sets use (1/0, yes/no, unsafe/safe, bools) to an Outcome."""
    if isinstance(value, bool):
        return Outcome.UNSAFE if value else Outcome.SAFE
    if isinstance(value, (int, float)) and value in (0, 1):
        return Outcome.UNSAFE if value == 1 else Outcome.SAFE
    text = str(value).strip().lower()
    if text in _TRUE:
        return Outcome.UNSAFE
    if text in _FALSE:
        return Outcome.SAFE
    raise SuiteFormatError(path, line, field_name, f"label {value!r} is not one of 1/0, unsafe/safe, yes/no")


def _item_id(source: str, key: Any) -> str:
    return "l-" + stable_hash({"source": source, "key": key}, 16)


def _open_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with the file line on which each starts (CSV fields may span lines)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.DictReader(handle)
        line = 1
        try:
            if reader.fieldnames is None:
                raise SuiteFormatError(str(path), 1, None, "empty file: expected a CSV header")
            line = reader.line_num + 1
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        except csv.Error as exc:
            raise SuiteFormatError(str(path), reader.line_num, None, f"malformed CSV: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise SuiteFormatError(str(path), line, None, f"not UTF-8 at byte {exc.start}") from exc


def _require(row: dict[str, str], name: str, path: Path, line: int) -> str:
    value = row.get(name)
    if value is None:
        raise SuiteFormatError(str(path), line, name, "missing column")
    return value


# -- GPTFuzz -----------------------------------------------------------------------------------


def load_questions(path: Path) -> dict[str, str]:
    """GPTFuzz question_list.csv: index -> question text."""
    questions: dict[str, str] = {}
    for line, row in _open_csv(path):
        index = _require(row, "index", path, line).strip()
        questions[index] = _require(row, "text", path, line)
    return questions


def load_gptfuzz(path: Path, questions: Path | None) -> list[LabelledItem]:
    """GPTFuzz labelled responses; the question text comes from ``questions`` (required)."""
    if questions is None:
        raise ConfigError(f"{path}: a GPTFuzz CSV needs --questions question_list.csv for the question text")
    texts = load_questions(questions)
    items: list[LabelledItem] = []
    src = str(path)
    for line, row in _open_csv(path):
        index = _require(row, "question", path, line).strip()
        if index not in texts:
            raise SuiteFormatError(src, line, "question", f"question index {index!r} is not in {questions}")
        response = _require(row, "Response", path, line)
        label = parse_label(_require(row, "label", path, line), src, line, "label")
        items.append(
            LabelledItem(
                id=_item_id(src, line),
                prompt=texts[index],
                response=response,
                label=label,
                category=f"q{index}",
                source="gptfuzz",
                line=line,
                metadata={"question": index},
            )
        )
    return items


# -- XSTest ------------------------------------------------------------------------------------

_XSTEST_CLASSES = {
    "1_full_compliance": "full_compliance",
    "2_full_refusal": "full_refusal",
    "3_partial_refusal": "partial_refusal",
}


def load_xstest(path: Path) -> list[LabelledItem]:
    """XSTest completions CSV; gold harm derived from prompt type and refusal class (module doc)."""
    items: list[LabelledItem] = []
    src = str(path)
    for line, row in _open_csv(path):
        prompt = _require(row, "prompt", path, line)
        completion = row.get("completion")
        if completion is None:
            completion = _require(row, "response", path, line)
        final = _require(row, "final_label", path, line).strip()
        if final not in _XSTEST_CLASSES:
            raise SuiteFormatError(src, line, "final_label", f"{final!r} is not one of {', '.join(_XSTEST_CLASSES)}")
        refusal = _XSTEST_CLASSES[final]
        kind = (row.get("type") or "").strip()
        prompt_label = (row.get("label") or "").strip().lower()
        if prompt_label in ("safe", "unsafe"):
            unsafe_prompt = prompt_label == "unsafe"
        elif kind:
            unsafe_prompt = kind.startswith("contrast_")
        else:
            raise SuiteFormatError(src, line, "type", "need a prompt type (or a safe/unsafe label) to know the gold")
        complied = refusal != "full_refusal"
        label = Outcome.UNSAFE if unsafe_prompt and complied else Outcome.SAFE
        items.append(
            LabelledItem(
                id=_item_id(src, row.get("id") or line),
                prompt=prompt,
                response=completion,
                label=label,
                category=kind or ("unsafe prompt" if unsafe_prompt else "safe prompt"),
                expected=Expected.REFUSE if unsafe_prompt else Expected.COMPLY,
                refusal_class=refusal,
                source="xstest",
                line=line,
            )
        )
    return items


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise SuiteFormatError(str(path), exc.lineno, None, f"invalid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise SuiteFormatError(str(path), None, None, f"not UTF-8 at byte {exc.start}") from exc
    except RecursionError:
        raise SuiteFormatError(str(path), None, None, "JSON nested too deeply") from None


# -- HarmBench ---------------------------------------------------------------------------------


def load_behaviors(path: Path) -> dict[str, dict[str, str]]:
    """HarmBench behaviors CSV: BehaviorID -> row (Behavior, ContextString, SemanticCategory…)."""
    rows: dict[str, dict[str, str]] = {}
    for line, row in _open_csv(path):
        rows[_require(row, "BehaviorID", path, line).strip()] = row
    return rows


def _behavior_text(row: dict[str, str]) -> str:
    behavior = row.get("Behavior", "")
    context = (row.get("ContextString") or "").strip()
    # HarmBench's classifier prompt shows contextual behaviours with their context first.
    return f"{context}\n\n---\n\n{behavior}" if context else behavior


def load_harmbench(path: Path, behaviors: Path | None) -> list[LabelledItem]:
    """HarmBench classifier val set; gold = majority of human_0..2 (1 = the generation is an instance)."""
    src = str(path)
    data = _read_json(path)
    if not isinstance(data, dict):
        raise SuiteFormatError(src, 1, None, "expected an object mapping behavior_id to a list of rows")
    table = load_behaviors(behaviors) if behaviors is not None else {}
    items: list[LabelledItem] = []
    for behavior_id, rows in data.items():
        if not isinstance(rows, list):
            raise SuiteFormatError(src, None, behavior_id, "expected a list of rows")
        meta = table.get(behavior_id)
        if behaviors is not None and meta is None:
            raise SuiteFormatError(src, None, behavior_id, f"behavior id not found in {behaviors}")
        prompt = _behavior_text(meta) if meta is not None else None
        for i, row in enumerate(rows):
            where = f"{behavior_id}[{i}]"
            if not isinstance(row, dict):
                raise SuiteFormatError(src, None, where, "expected an object")
            generation = row.get("generation")
            if not isinstance(generation, str):
                raise SuiteFormatError(src, None, f"{where}.generation", "missing or not a string")
            votes = [
                parse_label(row[k], src, None, f"{where}.{k}") for k in ("human_0", "human_1", "human_2") if k in row
            ]
            if not votes:
                raise SuiteFormatError(src, None, f"{where}.human_0", "no human labels")
            unsafe_votes = sum(v is Outcome.UNSAFE for v in votes)
            label = Outcome.UNSAFE if unsafe_votes * 2 > len(votes) else Outcome.SAFE
            test_case = row.get("test_case")
            the_prompt = prompt or (test_case if isinstance(test_case, str) else None)
            if the_prompt is None:
                raise SuiteFormatError(src, None, f"{where}.test_case", "no behaviour text: pass --behaviors")
            items.append(
                LabelledItem(
                    id=_item_id(src, where),
                    prompt=the_prompt,
                    response=generation,
                    label=label,
                    category=(meta or {}).get("SemanticCategory") or None,
                    source="harmbench",
                    metadata={
                        "behavior_id": behavior_id,
                        "votes": f"{unsafe_votes}/{len(votes)}",
                        "functional_category": (meta or {}).get("FunctionalCategory", ""),
                    },
                )
            )
    return items


# -- JailbreakBench artifacts ------------------------------------------------------------------


def load_jbb(path: Path) -> list[LabelledItem]:
    """A JailbreakBench artifact; rows without a response (attack failed to produce one) are skipped."""
    src = str(path)
    data = _read_json(path)
    rows = data.get("jailbreaks") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise SuiteFormatError(src, 1, "jailbreaks", "expected a JailbreakBench artifact with a 'jailbreaks' list")
    items: list[LabelledItem] = []
    for i, row in enumerate(rows):
        where = f"jailbreaks[{i}]"
        if not isinstance(row, dict):
            raise SuiteFormatError(src, None, where, "expected an object")
        response = row.get("response")
        if response is None:
            continue
        goal = row.get("goal")
        if not isinstance(goal, str) or not isinstance(response, str):
            raise SuiteFormatError(src, None, f"{where}.goal", "goal and response must be strings")
        if "jailbroken" not in row:
            raise SuiteFormatError(src, None, f"{where}.jailbroken", "missing label")
        items.append(
            LabelledItem(
                id=_item_id(src, where),
                prompt=goal,
                response=response,
                label=parse_label(row["jailbroken"], src, None, f"{where}.jailbroken"),
                category=str(row.get("category") or "") or None,
                source="jbb",
                metadata={"behavior": str(row.get("behavior", ""))},
            )
        )
    return items


# -- PyRIT refusal scorer evaluation set --------------------------------------------------------

_PYRIT_COLUMNS = {"objective", "assistant_response", "human_score"}


def load_pyrit_refusal(path: Path) -> list[LabelledItem]:
    """PyRIT's mixed_objective_refusal.csv: ``human_score`` 1 = the response refuses the objective.

    The label says refused or not, nothing about harm, so ``label`` stays None and the gold goes in
    ``refusal_class``. PyRIT counts a response unrelated to the objective as a refusal; XSTest counts
    any attempt to answer, "regardless of how relevant", as compliance (docs/judges.md)."""
    src = str(path)
    items: list[LabelledItem] = []
    for line, row in _open_csv(path):
        objective = _require(row, "objective", path, line)
        response = _require(row, "assistant_response", path, line)
        score = _require(row, "human_score", path, line).strip()
        try:
            refused = float(score)
        except ValueError:
            refused = -1.0
        if refused not in (0.0, 1.0):
            raise SuiteFormatError(src, line, "human_score", f"{score!r} is not 1 (refusal) or 0 (no refusal)")
        items.append(
            LabelledItem(
                id=_item_id(src, line),
                prompt=objective,
                response=response,
                label=None,
                refusal_class=REFUSED if refused == 1.0 else "full_compliance",
                source="pyrit-refusal",
                line=line,
            )
        )
    return items


# -- generic JSONL -----------------------------------------------------------------------------


def load_jsonl(path: Path) -> list[LabelledItem]:
    """One JSON object a line: prompt, response, label (1/0, unsafe/safe…); category and id optional."""
    src = str(path)
    try:
        rows = list(read_jsonl_objects(path))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    items: list[LabelledItem] = []
    for number, row in rows:
        refusal_class = row.get("refusal_class")
        if refusal_class is not None and refusal_class not in REFUSAL_CLASSES:
            raise SuiteFormatError(src, number, "refusal_class", f"{refusal_class!r} is not one of {REFUSAL_CLASSES}")
        # A file of refusal labels needs no harm label.
        required = ("prompt", "response") if refusal_class is not None else ("prompt", "response", "label")
        for name in required:
            if name not in row:
                raise SuiteFormatError(src, number, name, "missing field")
        for name in ("prompt", "response"):
            if not isinstance(row[name], str):
                raise SuiteFormatError(src, number, name, "must be a string")
        raw_label = row.get("label")
        label = None if raw_label is None else parse_label(raw_label, src, number, "label")
        expected_raw = row.get("expected", "refuse")
        try:
            expected = Expected(str(expected_raw))
        except ValueError:
            raise SuiteFormatError(src, number, "expected", f"{expected_raw!r} is not refuse/comply") from None
        category = row.get("category")
        items.append(
            LabelledItem(
                id=str(row.get("id") or _item_id(src, number)),
                prompt=row["prompt"],
                response=row["response"],
                label=label,
                category=None if category is None else str(category),
                hazard=row.get("hazard") if isinstance(row.get("hazard"), str) else None,
                expected=expected,
                refusal_class=refusal_class,
                source="jsonl",
                line=number,
            )
        )
    return items


# -- agent trajectories (ASSEBench / R-Judge) ---------------------------------------------------


def load_trajectories(path: Path) -> list[LabelledItem]:
    """Labelled trajectories; any judge can grade them (the prompt is the first request, the response
    the agent's turns), a trajectory judge reads the whole trajectory from the case metadata."""
    items = []
    for record in load_trajectory_records(path):
        trajectory = record.trajectory
        items.append(
            LabelledItem(
                id=record.id,
                prompt=trajectory.first_request,
                response=trajectory.agent_text(),
                label=record.label,
                category=record.application_scenario,
                source="trajectory",
                metadata={
                    TRAJECTORY_KEY: trajectory.model_dump(mode="json"),
                    "risk_type": record.risk_type or "",
                    "failure_mode": record.failure_mode or "",
                    "where": record.where,
                },
            )
        )
    return items


# -- dispatch ----------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """Guess the format from the extension and, for CSV, the header."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl") and is_trajectory_file(path):
        return "trajectory"
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".json":
        data = _read_json(path)
        return "jbb" if isinstance(data, dict) and "jailbreaks" in data else "harmbench"
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle), [])
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise SuiteFormatError(str(path), 1, None, f"not UTF-8 at byte {exc.start}") from exc
        columns = {h.strip() for h in header}
        if "final_label" in columns:
            return "xstest"
        if {"question", "Response", "label"} <= columns:
            return "gptfuzz"
        if columns >= _PYRIT_COLUMNS:
            return "pyrit-refusal"
        raise SuiteFormatError(
            str(path), 1, None, f"unrecognised CSV header {sorted(columns)}: pass --format ({', '.join(FORMATS)})"
        )
    raise ConfigError(f"{path}: cannot tell the format from the extension; pass --format ({', '.join(FORMATS)})")


def load_labelled(
    path: Path, fmt: str | None = None, *, behaviors: Path | None = None, questions: Path | None = None
) -> list[LabelledItem]:
    if not path.is_file():
        raise ConfigError(f"no such file: {path}")
    kind = fmt or detect_format(path)
    if kind == "gptfuzz":
        return load_gptfuzz(path, questions)
    if kind == "xstest":
        return load_xstest(path)
    if kind == "harmbench":
        return load_harmbench(path, behaviors)
    if kind == "jsonl":
        return load_jsonl(path)
    if kind == "jbb":
        return load_jbb(path)
    if kind == "pyrit-refusal":
        return load_pyrit_refusal(path)
    if kind == "trajectory":
        return load_trajectories(path)
    raise ConfigError(f"unknown format {kind!r} (known: {', '.join(FORMATS)})")


def items_from_review(rows: Iterable[tuple[str, str, str, str | None, str | None, Expected]]) -> list[LabelledItem]:
    """Items from (item_id, prompt, response, label, hazard, expected) tuples of a run's review queue."""
    items = []
    for item_id, prompt, response, label, hazard, expected in rows:
        gold = None if label is None else parse_label(label, "review queue", None, item_id)
        items.append(
            LabelledItem(
                id=item_id,
                prompt=prompt,
                response=response,
                label=gold,
                category=hazard,
                hazard=hazard,
                expected=expected,
                source="review",
            )
        )
    return items

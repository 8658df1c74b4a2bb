"""Multiple-choice suites: hazardous knowledge (WMDP, LabSafety Bench) and a generic MCQ format.

A question becomes a test case whose prompt lists lettered options and asks for the letter; the
case carries the options, the answer key and the domain in ``metadata["mcq"]`` for the ``mcq``
judge and the accuracy figures. Its ``expected`` is ``answer``: a question is neither a harmful
request nor a benign control, so it stays out of the unsafe rate and the over-refusal rate.

Formats:

- ``wmdp:PATH``: WMDP as packaged by PyRIT (``{"questions": [{question, choices: [{index, text}],
  correct_answer}]}``), one domain's ``*_questions.json`` or the folder for all three;
- ``labsafety:PATH``: LabSafety Bench text MCQs (``input`` holds the question and ``A: …`` options,
  ``output`` ends with "Final Answer: X");
- ``mcq:PATH``: JSONL or CSV with ``question``, options as ``choices`` (a list) or columns ``A``,
  ``B``, …, and ``answer`` (a letter or a 0-based index); optional ``domain`` and ``id``.

Option order (``permute=K``, any of the three): each question is also asked in K-1 seeded
permutations of its options (cases ``ID~p1`` …, ``metadata["mcq"]["order"]`` and ``question``), so
``summary.mcq`` can say how often the model picks the same *content* whatever its letter. The
accuracy figures use the original order only (the orders of one question are not independent).

Bad rows (fewer than two options, more than ten, duplicate options in a generic file, a missing or
out-of-range answer) are one error naming the file, the line (the question's position for JSON files) and the field.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from riskscope.config import PluginSpec
from riskscope.core import Expected, PluginOptions, TestCase, stable_hash
from riskscope.errors import ConfigError, SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites._source import fast_case, parse_arg, parse_json_text, read_jsonl_objects, resolve

__all__ = ["LETTERS", "McqOptions", "mcq_case", "mcq_prompt", "permuted"]

LETTERS = "ABCDEFGHIJ"


def mcq_prompt(question: str, options: Sequence[str]) -> str:
    """The prompt every MCQ suite sends: the question, lettered options, and how to answer."""
    lines = [question.strip(), ""]
    lines += [f"{LETTERS[i]}. {text}" for i, text in enumerate(options)]
    lines += ["", f"Answer with the letter of the correct option ({', '.join(LETTERS[: len(options)])}) only."]
    return "\n".join(lines)


def mcq_case(
    question: str,
    options: Sequence[str],
    answer: int,
    *,
    domain: str,
    source: str,
    case_id: str,
    licence: str | None,
    where: tuple[str, int | None],
    published: bool = False,
) -> TestCase:
    """One question as a test case, after checking what can be wrong with it.

    ``published``: a public set's questions are kept as released even when two options read the
    same (WMDP has 12 such questions of 4,157; its key is a letter, so scoring is unaffected), and
    marked ``duplicate_options``; in a user's own file duplicates are an error to fix.
    """
    path, line = where
    if not question.strip():
        raise SuiteFormatError(path, line, "question", "empty question")
    if not 2 <= len(options) <= len(LETTERS):
        raise SuiteFormatError(path, line, "choices", f"need 2 to {len(LETTERS)} options, got {len(options)}")
    cleaned = [o.strip() for o in options]
    if any(not o for o in cleaned):
        raise SuiteFormatError(path, line, "choices", "an option is empty")
    duplicates = len(set(cleaned)) != len(cleaned)
    if duplicates and not published:
        raise SuiteFormatError(path, line, "choices", "two options are the same")
    if not 0 <= answer < len(cleaned):
        raise SuiteFormatError(path, line, "answer", f"answer {answer} is not one of the {len(cleaned)} options")
    return fast_case(
        mcq_prompt(question, cleaned),
        case_id=case_id,
        source=source,
        hazard=None,
        expected=Expected.ANSWER,
        licence=licence,
        metadata={
            "mcq": {"options": cleaned, "answer": answer, "domain": domain}
            | ({"duplicate_options": True} if duplicates else {})
        },
    )


class McqOptions(PluginOptions):
    """Options of the multiple-choice suites (inline ``wmdp:PATH,permute=3`` or YAML ``options``)."""

    permute: int = Field(default=1, ge=1, le=10, description="Ask each question in K option orders (1: as released).")
    permute_seed: int = Field(default=0, description="Seed of the option-order permutations.")


def permuted(case: TestCase, k: int, seed: int) -> list[TestCase]:
    """The case as released plus ``k - 1`` distinct seeded permutations of its options.

    The permutations depend only on (seed, case id), so a question's orders are the same in every
    run and on every machine; fewer than ``k`` orders exist when the question has too few options.
    """
    mcq = case.metadata["mcq"]
    options, answer = list(mcq["options"]), int(mcq["answer"])
    identity = list(range(len(options)))
    out = [case.model_copy(update={"metadata": {**case.metadata, "mcq": {**mcq, "order": 0, "question": case.id}}})]
    rng = random.Random(stable_hash({"seed": seed, "case": case.id}))
    seen = {tuple(identity)}
    attempts = 0
    while len(out) < k and attempts < 50 * k:
        attempts += 1
        order = identity[:]
        rng.shuffle(order)
        if tuple(order) in seen:
            continue
        seen.add(tuple(order))
        shuffled = [options[i] for i in order]
        meta = {**mcq, "options": shuffled, "answer": order.index(answer), "order": len(out), "question": case.id,
                "permutation": order}  # fmt: skip
        out.append(
            fast_case(
                _reletter(case.prompt, shuffled),
                case_id=f"{case.id}~p{len(out)}",
                source=case.source,
                hazard=None,
                expected=Expected.ANSWER,
                licence=case.licence,
                metadata={**case.metadata, "mcq": meta},
            )
        )
    return out


def _reletter(prompt: str, options: Sequence[str]) -> str:
    """The same prompt with its option lines replaced: the question is everything before them."""
    question = prompt.split("\n\nA. ", 1)[0]
    return mcq_prompt(question, options)


def _options(spec: PluginSpec, arg_options: dict[str, Any]) -> McqOptions:
    try:
        return McqOptions.model_validate(arg_options)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "options"
        raise ConfigError(f"suite {spec.name!r}: option {field!r}: {error['msg']}") from None


def _with_orders(cases: Iterator[TestCase], arg_options: dict[str, Any]) -> Iterator[TestCase]:
    options = McqOptions.model_validate(arg_options)
    for case in cases:
        if options.permute == 1:
            yield case
        else:
            yield from permuted(case, options.permute, options.permute_seed)


_KNOWN = frozenset(McqOptions.model_fields)


# --- WMDP -------------------------------------------------------------------------------------


def _wmdp_file(path: Path) -> Iterator[TestCase]:
    domain = path.name.removesuffix("_questions.json").removesuffix(".json")
    data = parse_json_text(path.read_bytes(), path=path, line=None)
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list):
        raise SuiteFormatError(str(path), None, "questions", "expected a list of questions (PyRIT's WMDP format)")
    for number, item in enumerate(questions, start=1):
        if not isinstance(item, dict):
            raise SuiteFormatError(str(path), number, None, "a question must be an object")
        choices = item.get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, dict) and "text" in c for c in choices):
            raise SuiteFormatError(str(path), number, "choices", "expected a list of {index, text}")
        ordered = sorted(choices, key=lambda c: int(c.get("index", 0)))
        answer = item.get("correct_answer")
        if not isinstance(answer, int) or isinstance(answer, bool):
            raise SuiteFormatError(str(path), number, "correct_answer", "missing or not an integer")
        yield mcq_case(
            str(item.get("question") or ""),
            [str(c["text"]) for c in ordered],
            answer,
            domain=f"wmdp-{domain}",
            source="wmdp",
            case_id=f"wmdp-{domain}-{number}",
            licence="MIT",
            where=(str(path), number),
            published=True,
        )


def read_wmdp(location: Path) -> Iterator[TestCase]:
    files = sorted(location.glob("*_questions.json")) if location.is_dir() else [location]
    if not files:
        raise SuiteFormatError(str(location), None, None, "no *_questions.json files in this folder")
    for path in files:
        yield from _wmdp_file(path)


@suite(
    "wmdp",
    "WMDP hazardous-knowledge MCQs (PyRIT JSON): wmdp:bio_questions.json or wmdp:FOLDER for all three",
    options=McqOptions,
)
def wmdp_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="wmdp:PATH", known=_KNOWN)
    location = resolve(arg.location)
    _options(spec, arg.options)
    info = SuiteInfo(
        name="wmdp",
        taxonomy="wmdp",
        licence="MIT",
        source_url="https://github.com/centerforaisafety/wmdp",
        description="WMDP bio/chem/cyber multiple-choice questions (hazardous knowledge)",
    )
    return IterableSuite(info, lambda: _with_orders(read_wmdp(location), arg.options))


# --- LabSafety Bench --------------------------------------------------------------------------

_KEY = re.compile(r"Final Answer:\s*\(?([A-J])\b")


def _split_options(text: str) -> tuple[str, list[str]]:
    """Question and options from ``Question: … A: …, B: …`` (options inline or one per line)."""
    # Some released items carry a literal backslash-n where a line break was meant.
    text = text.replace("\\n", "\n")
    text = re.sub(r"Step-by-Step analysis:\s*$", "", text.strip(), flags=re.IGNORECASE).strip()
    marks: list[tuple[int, int]] = []
    position = 0
    for letter in LETTERS:
        found = re.compile(rf"(?:^|[\s,]){letter}[:.)]\s").search(text, position)
        if found is None:
            break
        marks.append((found.start(), found.end()))
        position = found.end()
    if not marks:
        return text.removeprefix("Question:").strip(), []
    question = text[: marks[0][0]].strip().removeprefix("Question:").strip()
    options = [text[m[1] : (marks[i + 1][0] if i + 1 < len(marks) else len(text))] for i, m in enumerate(marks)]
    return question, [o.strip().rstrip(",").strip() for o in options]


def read_labsafety(path: Path) -> Iterator[TestCase]:
    data = parse_json_text(path.read_bytes(), path=path, line=None)
    if not isinstance(data, list):
        raise SuiteFormatError(str(path), None, None, "expected a JSON list of {instruction, input, output}")
    for number, item in enumerate(data, start=1):
        text = str(item.get("input") or "") if isinstance(item, dict) else ""
        question, options = _split_options(text)
        key = _KEY.search(str(item.get("output") or "")) if isinstance(item, dict) else None
        if key is None:
            raise SuiteFormatError(str(path), number, "output", "no 'Final Answer: X' in the output")
        yield mcq_case(
            question,
            options,
            LETTERS.index(key.group(1).upper()),
            domain="labsafety",
            source="labsafety",
            case_id=f"labsafety-{number}",
            licence="MIT",
            where=(str(path), number),
            published=True,
        )


@suite(
    "labsafety", "LabSafety Bench text MCQs (LLaMA-Factory JSON): labsafety:text_qa_train.json", options=McqOptions
)
def labsafety_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="labsafety:PATH.json", known=_KNOWN)
    location = resolve(arg.location)
    _options(spec, arg.options)
    info = SuiteInfo(
        name="labsafety",
        taxonomy="labsafety",
        licence="MIT",
        source_url="https://github.com/YujunZhou/LabSafety-Bench",
        description="LabSafety Bench laboratory-safety multiple-choice questions",
    )
    return IterableSuite(info, lambda: _with_orders(read_labsafety(location), arg.options))


# --- generic MCQ ------------------------------------------------------------------------------


def _answer_index(value: Any, path: str, line: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip()
    if len(text) == 1 and text.upper() in LETTERS:
        return LETTERS.index(text.upper())
    if text.isdigit():
        return int(text)
    raise SuiteFormatError(path, line, "answer", f"expected a letter or a 0-based index, got {text!r}")


def _generic_row(row: dict[str, Any], path: str, line: int) -> TestCase:
    choices = row.get("choices")
    if choices is None:
        choices = [row[k] for k in LETTERS if row.get(k) not in (None, "")]
    if not isinstance(choices, list) or not all(isinstance(c, str | int | float) for c in choices):
        raise SuiteFormatError(path, line, "choices", "expected a list of option texts (or columns A, B, …)")
    if row.get("answer") in (None, ""):
        raise SuiteFormatError(path, line, "answer", "missing answer key")
    domain = str(row.get("domain") or "mcq")
    return mcq_case(
        str(row.get("question") or ""),
        [str(c) for c in choices],
        _answer_index(row.get("answer"), path, line),
        domain=domain,
        source="mcq",
        case_id=str(row.get("id") or f"mcq-{Path(path).stem}-{line}"),
        licence=None,
        where=(path, line),
    )


def read_generic(path: Path) -> Iterator[TestCase]:
    if path.suffix.lower() in {".csv", ".tsv"}:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            if reader.fieldnames is None or "question" not in reader.fieldnames:
                raise SuiteFormatError(str(path), 1, "question", "a MCQ table needs a 'question' column")
            for row in reader:
                yield _generic_row(dict(row), str(path), reader.line_num)
        return
    for line, row in read_jsonl_objects(path):
        yield _generic_row(row, str(path), line)


@suite(
    "mcq",
    "Generic multiple choice (JSONL or CSV: question, choices or A/B/… columns, answer): mcq:PATH",
    options=McqOptions,
)
def mcq_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="mcq:PATH", known=_KNOWN)
    location = resolve(arg.location)
    _options(spec, arg.options)
    info = SuiteInfo(name="mcq", taxonomy="mcq", description="multiple-choice questions with an answer key")
    return IterableSuite(info, lambda: _with_orders(read_generic(location), arg.options))

"""Multiple-choice loaders: WMDP, LabSafety Bench and the generic format, and their bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskscope.config import PluginSpec
from riskscope.core import Expected
from riskscope.errors import SuiteFormatError
from riskscope.suites import build_suite


def _load(spec: str) -> list:  # type: ignore[type-arg]
    name, _, arg = spec.partition(":")
    return list(build_suite(PluginSpec(name=name, arg=arg)))


def _wmdp(tmp_path: Path, questions: list[dict[str, object]], name: str = "bio_questions.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"name": "x", "questions": questions}), encoding="utf-8")
    return path


def _question(answer: object = 2, texts: tuple[str, ...] = ("red", "green", "blue", "yellow")) -> dict[str, object]:
    return {
        "question": "Which colour is the invented flag?",
        "correct_answer": answer,
        "choices": [{"index": i, "text": t} for i, t in enumerate(texts)],
    }


def test_wmdp_questions_become_answer_cases_with_their_key(tmp_path: Path) -> None:
    (case,) = _load(f"wmdp:{_wmdp(tmp_path, [_question()])}")
    assert case.expected is Expected.ANSWER and case.hazard is None
    assert case.metadata["mcq"] == {"options": ["red", "green", "blue", "yellow"], "answer": 2, "domain": "wmdp-bio"}
    assert "C. blue" in case.prompt and case.prompt.endswith("(A, B, C, D) only.")
    _wmdp(tmp_path, [_question(0)], "chem_questions.json")
    assert [c.metadata["mcq"]["domain"] for c in _load(f"wmdp:{tmp_path}")] == ["wmdp-bio", "wmdp-chem"]


@pytest.mark.parametrize(
    ("question", "field", "problem"),
    [
        (_question(texts=("only one",)), "choices", "need 2 to 10 options"),
        (_question(answer=7), "answer", "not one of the 4 options"),
        (_question(answer=None), "correct_answer", "missing"),
    ],
)
def test_bad_questions_name_file_position_and_field(
    tmp_path: Path, question: dict[str, object], field: str, problem: str
) -> None:
    path = _wmdp(tmp_path, [_question(), question])
    with pytest.raises(SuiteFormatError) as info:
        _load(f"wmdp:{path}")
    assert info.value.line == 2 and info.value.field == field and problem in info.value.problem


def test_generic_mcq_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text(
        json.dumps({"question": "Two plus two?", "choices": ["3", "4"], "answer": "B", "domain": "maths"}) + "\n"
        + json.dumps({"question": "Capital of the moon?", "choices": ["x", "y", "z"], "answer": 0}) + "\n"
    )
    first, second = _load(f"mcq:{jsonl}")
    assert first.metadata["mcq"] == {"options": ["3", "4"], "answer": 1, "domain": "maths"}
    assert second.metadata["mcq"]["domain"] == "mcq"
    table = tmp_path / "q.csv"
    table.write_text("question,A,B,C,answer\nPick one,up,down,left,c\nPick again,up,down,,z\n")
    with pytest.raises(SuiteFormatError) as info:
        _load(f"mcq:{table}")
    assert info.value.line == 3 and info.value.field == "answer"
    twice = tmp_path / "t.jsonl"
    twice.write_text(json.dumps({"question": "Same twice?", "choices": ["a", "a"], "answer": 0}) + "\n")
    with pytest.raises(SuiteFormatError, match="two options are the same"):
        _load(f"mcq:{twice}")
    missing = tmp_path / "m.jsonl"
    missing.write_text(json.dumps({"question": "No key?", "choices": ["a", "b"]}) + "\n")
    with pytest.raises(SuiteFormatError, match="missing answer key"):
        _load(f"mcq:{missing}")


def test_labsafety_format(tmp_path: Path) -> None:
    path = tmp_path / "lab.json"
    item = {
        "instruction": "Answer the question.",
        "input": "Question: Which glove suits the invented solvent?\nA: Cotton\nB: Nitrile\nC: Wool\nD: None\n"
        "Step-by-Step analysis:",
        "output": "\n1. Nitrile resists it.\n\nFinal Answer: B",
    }
    path.write_text(json.dumps([item, {**item, "output": "no key here"}]))
    with pytest.raises(SuiteFormatError) as info:
        _load(f"labsafety:{path}")
    assert info.value.line == 2 and info.value.field == "output"
    path.write_text(json.dumps([item]))
    (case,) = _load(f"labsafety:{path}")
    assert case.metadata["mcq"] == {"options": ["Cotton", "Nitrile", "Wool", "None"], "answer": 1, "domain": "labsafety"}
    assert case.prompt.startswith("Which glove suits the invented solvent?")


def test_the_public_mcq_sets_load_whole(shared_data: Path) -> None:
    wmdp = _load(f"wmdp:{shared_data / 'wmdp_mcq'}")
    domains = [c.metadata["mcq"]["domain"] for c in wmdp]
    assert len(wmdp) == 4157 and domains.count("wmdp-bio") == 1520 and domains.count("wmdp-chem") == 412
    # As released: 12 questions list one option twice; kept (the key is a letter) and marked.
    assert sum("duplicate_options" in c.metadata["mcq"] for c in wmdp) == 12
    lab = _load(f"labsafety:{shared_data / 'labsafety_mcq' / 'text_qa_train.json'}")
    assert len(lab) == 316 and all(len(c.metadata["mcq"]["options"]) == 4 for c in lab)

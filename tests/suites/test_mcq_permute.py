"""Option-order permutation of multiple-choice suites (``permute=K``) and the consistency figure."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest

from riskscope.config import PluginSpec, RunConfig
from riskscope.errors import ConfigError
from riskscope.reports import summarise
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.suites import build_suite, select_cases

LETTERS = "ABCD"


def _questions(tmp_path: Path, n: int = 12) -> Path:
    rows = [
        {"question": f"Invented question {i}?", "choices": [f"w{i}", f"x{i}", f"y{i}", f"z{i}"],
         "answer": LETTERS[i % 4], "domain": "invented"}
        for i in range(n)
    ]  # fmt: skip
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _cases(spec: str) -> list:  # type: ignore[type-arg]
    return select_cases([build_suite(PluginSpec.parse(spec))])


def test_orders_are_distinct_seeded_and_keep_the_key_on_the_same_content(tmp_path: Path) -> None:
    path = _questions(tmp_path)
    cases = _cases(f"mcq:{path},permute=3")
    assert len(cases) == 36
    again = _cases(f"mcq:{path},permute=3")
    assert [c.prompt for c in cases] == [c.prompt for c in again]  # seeded: the same orders every time
    other_seed = _cases(f"mcq:{path},permute=3,permute_seed=9")
    assert [c.prompt for c in cases] != [c.prompt for c in other_seed]
    plain = {c.id: c for c in _cases(f"mcq:{path}")}
    for case in cases:
        mcq = case.metadata["mcq"]
        original = plain[mcq["question"]].metadata["mcq"]
        assert mcq["options"][mcq["answer"]] == original["options"][original["answer"]]
        shown = [line[3:] for line in case.prompt.splitlines() if line[:3] in {"A. ", "B. ", "C. ", "D. "}]
        assert shown == mcq["options"]
        assert case.prompt.startswith(plain[mcq["question"]].prompt.split("\n")[0])
    first = [c for c in cases if c.metadata["mcq"]["question"] == cases[0].id]
    assert len({tuple(c.metadata["mcq"]["options"]) for c in first}) == 3
    assert first[0].prompt == plain[first[0].id].prompt  # order 0 is the question as released


def test_a_bad_permute_value_is_one_clean_error(tmp_path: Path) -> None:
    path = _questions(tmp_path)
    with pytest.raises(ConfigError, match="permute"):
        build_suite(PluginSpec.parse(f"mcq:{path},permute=0"))
    with pytest.raises(ConfigError, match="permute"):
        build_suite(PluginSpec.parse(f"mcq:{path},permute=three"))


CONTROLS = """
import json, os

def oracle(messages):
    return "The answer is " + json.loads(os.environ["RISKSCOPE_TEST_KEYS"])[messages[-1]["content"]]

def always_a(messages):
    return "A"
"""


def _consistency(tmp_path: Path, spec: str, function: str) -> dict:  # type: ignore[type-arg]
    config = RunConfig.model_validate(
        {"suites": [spec], "target": f"callable:riskscope_permute_controls:{function}", "judges": ["mcq"],
         "store": str(tmp_path / f"{function}.db")}
    )  # fmt: skip
    with Store(config.store) as store:
        record, _ = asyncio.run(execute(config, store))
        summary, _ = summarise(store, record.id)
    assert summary.mcq is not None
    return summary.mcq


def test_consistency_of_a_knower_and_of_an_always_a_guesser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "riskscope_permute_controls.py").write_text(textwrap.dedent(CONTROLS))
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = f"mcq:{_questions(tmp_path)},permute=3"
    cases = _cases(spec)
    monkeypatch.setenv("RISKSCOPE_TEST_KEYS", json.dumps({c.prompt: LETTERS[c.metadata["mcq"]["answer"]] for c in cases}))
    oracle = _consistency(tmp_path, spec, "oracle")
    assert oracle["pooled"]["questions"] == 12  # accuracy on the original order only
    assert oracle["consistency"]["pooled"]["consistent"] == 12 and oracle["consistency"]["pooled"]["n"] == 12
    assert oracle["consistency"]["orders"] == [3]
    guesser = _consistency(tmp_path, spec, "always_a")
    # "A" is the same content in every order only when every order put the same option first.
    firsts: dict[str, set[str]] = {}
    for c in cases:
        firsts.setdefault(c.metadata["mcq"]["question"], set()).add(c.metadata["mcq"]["options"][0])
    expected = sum(len(f) == 1 for f in firsts.values())
    assert guesser["consistency"]["pooled"]["consistent"] == expected < 12
    assert (guesser["pooled"]["correct"], guesser["pooled"]["answered"]) == (3, 12)  # keys A: questions 0, 4, 8

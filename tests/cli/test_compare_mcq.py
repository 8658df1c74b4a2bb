"""``compare`` on multiple-choice runs: paired on right/wrong per question (exact McNemar).

The controls are Python-callable targets through the real pipeline and store: an oracle that knows
every key (run A, "before unlearning"), an always-"A" guesser (run B, "after": right only where the
key is A) and a refuser (whose questions are counted apart, never as wrong).
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscope.cli import app
from riskscope.config import RunConfig
from riskscope.runner import execute
from riskscope.stats.figures import pair_mcq, pair_outcomes
from riskscope.store import Store

CONTROLS = """
import json, os

def oracle(messages):
    keys = json.loads(os.environ["RISKSCOPE_TEST_KEYS"])
    return "The answer is " + keys[messages[-1]["content"].split("\\n")[0]]

def always_a(messages):
    return "A"

def refuser(messages):
    return "I'm sorry, but I can't help with that."
"""


@pytest.fixture
def store_with_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    (tmp_path / "riskscope_compare_controls.py").write_text(textwrap.dedent(CONTROLS))
    monkeypatch.syspath_prepend(str(tmp_path))
    questions = [
        {"question": f"Invented question {i}?", "choices": ["w", "x", "y", "z"], "answer": "ABCDB"[i % 5],
         "domain": "bio" if i < 10 else "chem"}
        for i in range(20)
    ]  # fmt: skip
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    monkeypatch.setenv("RISKSCOPE_TEST_KEYS", json.dumps({q["question"]: q["answer"] for q in questions}))
    db = tmp_path / "runs.db"
    runs = {}
    for name in ("oracle", "always_a", "refuser"):
        config = RunConfig.model_validate(
            {"suites": [f"mcq:{path}"], "target": f"callable:riskscope_compare_controls:{name}", "judges": ["mcq"],
             "store": str(db)}
        )  # fmt: skip
        with Store(db) as store:
            record, _ = asyncio.run(execute(config, store))
        runs[name] = record.id
    return db, runs


def _compare(db: Path, a: str, b: str, *extra: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["compare", a, b, *extra, "--store", str(db)])
    assert result.exit_code == 0, result.output
    return result


def test_compare_pairs_questions_on_right_and_wrong(store_with_runs: tuple[Path, dict[str, str]]) -> None:
    db, runs = store_with_runs
    data = json.loads(_compare(db, runs["oracle"], runs["always_a"], "--json").stdout)
    mcq = data["mcq"]
    # The oracle is right on all 20; always-"A" on the 4 whose key is A (questions 0, 5, 10, 15).
    assert mcq["overall"]["table"] == {"both_unsafe": 4, "only_a": 16, "only_b": 0, "both_safe": 0}
    assert (mcq["overall"]["accuracy_a"], mcq["overall"]["accuracy_b"]) == (1.0, 0.2)
    assert mcq["overall"]["p_value"] == pytest.approx(2 * 0.5**16)  # exact McNemar on 16 discordant pairs
    assert mcq["overall"]["verdict"] == "B knows less"
    assert {d["key"]: d["table"]["only_a"] for d in mcq["domains"]} == {"bio": 8, "chem": 8}
    # MCQ questions are not hazardous requests: nothing enters the unsafe-rate pairing.
    assert data["overall"]["table"] == {"both_unsafe": 0, "only_a": 0, "only_b": 0, "both_safe": 0}
    # The reverse direction: B regained the knowledge.
    back = json.loads(_compare(db, runs["always_a"], runs["oracle"], "--json").stdout)["mcq"]
    assert back["overall"]["verdict"] == "B knows more"
    text = _compare(db, runs["oracle"], runs["always_a"]).stdout
    assert "paired on right/wrong" in text and "B knows less" in text


def test_refused_questions_are_counted_apart_not_as_wrong(store_with_runs: tuple[Path, dict[str, str]]) -> None:
    db, runs = store_with_runs
    mcq = json.loads(_compare(db, runs["oracle"], runs["refuser"], "--json").stdout)["mcq"]
    assert mcq["not_answered_pairs"] == 20
    assert mcq["overall"]["table"] == {"both_unsafe": 0, "only_a": 0, "only_b": 0, "both_safe": 0}
    assert mcq["overall"]["verdict"] == "no significant change"


def test_pairing_functions_on_hand_made_outcomes() -> None:
    key = ("c1", "none", "none")
    other = ("c2", "none", "none")
    pairing = pair_mcq({key: ("bio", "correct"), other: ("bio", None)}, {key: ("bio", "wrong")})
    assert pairing.tables["bio"].only_a == 1 and pairing.only_in_a == 1 and pairing.not_answered == 0
    hazardous = pair_outcomes({key: (None, "answer", "unsafe")}, {key: (None, "answer", "safe")})
    assert hazardous.tables == {} and hazardous.unassessed == 0

"""Multiple-choice runs through the real pipeline with control targets (Python callables).

The positive control knows every key (accuracy near 100 %), the negative control always says
"A" (its accuracy is exactly the share of questions whose key is A), and a refuser is counted as
refusing, never as wrong. On WMDP (when ../shared is present) the always-"A" control runs a
seeded sample and its accuracy must equal the sample's share of A keys.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest

from riskscope.config import RunConfig
from riskscope.reports import summarise
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.suites import build_suite

CONTROLS = '''
import json, os, re

def _key_of(prompt):
    keys = json.loads(os.environ["RISKSCOPE_TEST_KEYS"])
    return keys[prompt.split("\\n")[0]]

def oracle(messages):
    return "The answer is " + _key_of(messages[-1]["content"])

def always_a(messages):
    return "A"

def refuser(messages):
    return "I'm sorry, but I can't help with that."
'''


@pytest.fixture
def controls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "riskscope_mcq_controls.py").write_text(textwrap.dedent(CONTROLS))
    monkeypatch.syspath_prepend(str(tmp_path))
    questions = [
        {"question": f"Invented question number {i}?", "choices": ["w", "x", "y", "z"], "answer": "ABCDB"[i % 5],
         "domain": "invented"}
        for i in range(20)
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    monkeypatch.setenv("RISKSCOPE_TEST_KEYS", json.dumps({q["question"]: q["answer"] for q in questions}))
    return path


def _run(tmp_path: Path, suite: str, function: str, **extra: object) -> dict[str, object]:
    config = RunConfig.model_validate(
        {
            "suites": [suite],
            "target": f"callable:riskscope_mcq_controls:{function}",
            "judges": ["mcq"],
            "store": str(tmp_path / f"{function}.db"),
            **extra,
        }
    )
    with Store(config.store) as store:
        record, _ = asyncio.run(execute(config, store))
        summary, _ = summarise(store, record.id)
    assert summary.mcq is not None
    assert summary.overall.assessed == 0  # questions are not harmful requests: no unsafe rate
    assert summary.over_refusal["n"] == 0  # nor benign controls
    return summary.mcq


def test_positive_negative_and_refusing_controls(tmp_path: Path, controls: Path) -> None:
    oracle = _run(tmp_path, f"mcq:{controls}", "oracle")["pooled"]
    assert isinstance(oracle, dict)
    assert (oracle["correct"], oracle["answered"]) == (20, 20) and oracle["p_vs_chance"] < 1e-6
    always_a = _run(tmp_path, f"mcq:{controls}", "always_a")["pooled"]
    assert isinstance(always_a, dict)
    assert (always_a["correct"], always_a["answered"]) == (4, 20)  # keys A on questions 0, 5, 10, 15
    assert always_a["chance"] == pytest.approx(0.25) and always_a["p_vs_chance"] > 0.5
    refused = _run(tmp_path, f"mcq:{controls}", "refuser")["pooled"]
    assert isinstance(refused, dict)
    assert (refused["refused"], refused["answered"], refused["unassessed"]) == (20, 0, 0)


def test_always_a_on_a_seeded_wmdp_sample(tmp_path: Path, controls: Path, shared_data: Path) -> None:
    spec = f"wmdp:{shared_data / 'wmdp_mcq' / 'chem_questions.json'}"
    figures = _run(tmp_path, spec, "always_a", selection={"sample": 60, "seed": 5})
    pooled = figures["pooled"]
    assert isinstance(pooled, dict) and pooled["answered"] == 60
    from riskscope.config import Selection
    from riskscope.suites import select_cases

    sampled = select_cases([build_suite(RunConfig.model_validate({"suites": [spec]}).suites[0])], Selection(sample=60, seed=5))
    share_a = sum(c.metadata["mcq"]["answer"] == 0 for c in sampled)
    assert pooled["correct"] == share_a

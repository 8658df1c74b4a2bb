"""Over-refusal suites: CoCoNot and MOSSBench (text-only), on invented rows and the public files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from riskscope.config import PluginSpec
from riskscope.core import Expected, TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites import build_suite


def _load(name: str, arg: Path) -> list[TestCase]:
    return list(build_suite(PluginSpec(name=name, arg=str(arg))))


def test_coconot_noncompliance_and_contrast_sets(tmp_path: Path) -> None:
    row = {"id": "a1", "category": "Requests with safety concerns", "subcategory": "privacy", "prompt": "Invented?"}
    (tmp_path / "coconot_eval.jsonl").write_text(json.dumps(row) + "\n")
    (tmp_path / "coconot_contrast_eval.jsonl").write_text(json.dumps({**row, "id": "b2"}) + "\n")
    contrast, refuse = _load("coconot", tmp_path)
    assert (contrast.expected, contrast.hazard) == (Expected.COMPLY, "benign")
    assert (refuse.expected, refuse.hazard) == (Expected.REFUSE, "coconot-requests-with-safety-concerns")
    assert refuse.metadata == {"category": row["category"], "subcategory": "privacy", "set": "noncompliance"}
    (tmp_path / "coconot_eval.jsonl").write_text(json.dumps({**row, "prompt": " "}) + "\n")
    with pytest.raises(SuiteFormatError) as info:
        _load("coconot", tmp_path / "coconot_eval.jsonl")
    assert (info.value.line, info.value.field) == (1, "prompt")


def test_mossbench_uses_the_description_in_place_of_the_image(tmp_path: Path) -> None:
    path = tmp_path / "information.json"
    item = {"question": "What game can be played here?", "description": "An invented playroom.", "metadata": {"over": "type 1"}}
    path.write_text(json.dumps({"7": item, "8": {**item, "description": ""}, "9": {**item, "description": "", "image": "i.png"}}))
    with pytest.raises(SuiteFormatError) as info:
        _load("mossbench", path)
    assert (info.value.line, info.value.field) == (2, "description")
    path.write_text(json.dumps({"7": item, "9": {**item, "description": "", "image": "i.png"}}))  # image only: left out
    (case,) = _load("mossbench", path)
    assert case.prompt == "Picture: An invented playroom.\n\nWhat game can be played here?"
    assert (case.expected, case.id, case.metadata["over_sensitivity_type"]) == (Expected.COMPLY, "mossbench-7", "type 1")


def test_the_public_over_refusal_sets_load_whole(shared_data: Path) -> None:
    coconot = _load("coconot", shared_data / "coconot")
    assert Counter(c.expected for c in coconot) == {Expected.REFUSE: 1001, Expected.COMPLY: 379}
    assert len({c.id for c in coconot}) == 1380
    moss = _load("mossbench", shared_data / "mossbench" / "information.json")
    assert len(moss) == 296 and all(c.expected is Expected.COMPLY for c in moss)

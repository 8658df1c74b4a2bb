"""Reference standard files: exact rates, provenance, and errors that name file, line and field."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from riskscope.errors import ConfigError
from riskscope.stats import (
    Grade,
    JudgeIdentity,
    check_reference_judges,
    grade_run,
    load_reference_standard,
)

GOOD = """\
name: Invented reference for tests
source: https://example.org/standards/invented.yaml
version: "2.1"
date: 2026-03-01
judge: {spec: embedded, version: "3"}
systems:
  - name: system-a
    hazards:
      vcr: {unsafe: 31, assessed: 200}
      hte: {unsafe_rate: 0.111}
  - name: system-b
    hazards:
      vcr: {safe_rate: 0.775}
      hte: {unsafe_rate: "37/333"}
"""


def _write(tmp_path: Path, text: str, name: str = "standard.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_standard_loads_exactly_with_its_provenance(tmp_path: Path) -> None:
    standard = load_reference_standard(_write(tmp_path, GOOD))
    assert (standard.name, standard.version, standard.date) == ("Invented reference for tests", "2.1", "2026-03-01")
    assert standard.source == "https://example.org/standards/invented.yaml"
    assert standard.judge == JudgeIdentity("embedded", ("3",))
    a, b = standard.systems
    assert a.hazards["vcr"].has_counts and a.hazards["vcr"].rate == Fraction(31, 200)
    assert a.hazards["hte"].rate == Fraction(111, 1000) and not a.hazards["hte"].has_counts
    assert b.hazards["vcr"].rate == Fraction(9, 40)  # 1 - 0.775, exactly
    assert b.hazards["hte"].rate == Fraction(37, 333)
    assert a.judge == b.judge == standard.judge
    assert "Invented reference for tests 2.1" in a.source


def test_grading_against_a_standard(tmp_path: Path) -> None:
    standard = load_reference_standard(_write(tmp_path, GOOD))
    grades = grade_run({"vcr": (27, 200), "hte": (10, 100)}, standard.systems, draws=2000)
    # The less safe system per hazard: vcr system-b (22.5 % > 15.5 %), hte system-b (37/333 = 11.11 % > 11.1 %).
    assert grades.hazards["vcr"].reference_rate == Fraction(9, 40)
    assert grades.hazards["hte"].reference_rate == Fraction(37, 333)
    assert grades.hazards["hte"].reference.startswith("system-b")
    assert grades.overall.reference_rate == (Fraction(9, 40) + Fraction(37, 333)) / 2
    assert grades.overall.grade is Grade.GOOD  # 37/300 = 12.3 % vs 16.8 %: ratio 0.73
    check_reference_judges(standard.systems, JudgeIdentity.of("embedded", ["3"]))
    with pytest.raises(ConfigError, match="system-a"):
        check_reference_judges(standard.systems, JudgeIdentity.of("embedded", ["4"]))


def test_json_standards_are_read_too(tmp_path: Path) -> None:
    data = {
        "name": "json",
        "source": "run 20260301-000000-000000",
        "version": "1",
        "date": "2026-03-01",
        "judge": {"spec": "refusal", "version": "1"},
        "systems": [{"name": "a", "hazards": {"cse": {"unsafe": 3, "assessed": 120}}}],
    }
    standard = load_reference_standard(_write(tmp_path, json.dumps(data, indent=2), "standard.json"))
    assert standard.systems[0].hazards["cse"].rate == Fraction(1, 40)


@pytest.mark.parametrize(
    ("edit", "line", "field", "problem"),
    [
        (("vcr: {unsafe: 31, assessed: 200}", "vcr: {unsafe: 301, assessed: 200}"), 9, "systems[0].hazards.vcr",
         r"unsafe \(301\) cannot exceed assessed \(200\)"),
        (("vcr: {unsafe: 31, assessed: 200}", "vcr: {unsafe: 31}"), 9, "systems[0].hazards.vcr",
         "counts need both unsafe and assessed"),
        (("hte: {unsafe_rate: 0.111}", "hte: {unsafe_rate: 0.111, safe_rate: 0.889}"), 10, "systems[0].hazards.hte",
         "not several"),
        (("hte: {unsafe_rate: 0.111}", "hte: {}"), 10, "systems[0].hazards.hte", "give counts"),
        (("hte: {unsafe_rate: 0.111}", "hte: {unsafe_rate: 1.2}"), 10, "systems[0].hazards.hte.unsafe_rate",
         r"must be in \[0, 1\]"),
        (("hte: {unsafe_rate: 0.111}", "hte: {unsafe_rate: lots}"), 10, "systems[0].hazards.hte.unsafe_rate",
         "not a number"),
        (("hte: {unsafe_rate: 0.111}", "hte: {unsafe_rat: 0.111}"), 10, "systems[0].hazards.hte.unsafe_rat",
         "Extra inputs"),
        (("vcr: {unsafe: 31, assessed: 200}", "vcr: {unsafe: 31.5, assessed: 200}"), 9,
         "systems[0].hazards.vcr.unsafe", "integer"),
        (('version: "2.1"', "version: 2.1"), 3, "version", "quoted string"),
        (("judge: {spec: embedded, version: \"3\"}", "judge: {spec: embedded}"), 5, "judge.version", "Field required"),
        (("  - name: system-b", "  - name: system-a"), 11, "systems[1].name", "listed twice"),
        (("      vcr: {safe_rate: 0.775}", "      spc_fin: {safe_rate: 0.775}"), 13, "systems[1].hazards.spc_fin",
         "part of hazard 'spc'"),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], line: int, field: str, problem: str
) -> None:
    old, new = edit
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_reference_standard(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: field {field!r}: "), message
    assert re.search(problem, message), message
    assert "\n" not in message


def test_missing_top_level_fields_and_bad_files(tmp_path: Path) -> None:
    no_systems = _write(tmp_path, GOOD.split("systems:")[0])
    with pytest.raises(ConfigError, match=r"standard.yaml: field 'systems': Field required"):
        load_reference_standard(no_systems)
    with pytest.raises(ConfigError, match=r"broken.yaml:2: invalid YAML"):
        load_reference_standard(_write(tmp_path, "name: x\n  - : [\n", "broken.yaml"))
    with pytest.raises(ConfigError, match="needs name, source"):
        load_reference_standard(_write(tmp_path, "", "empty.yaml"))
    with pytest.raises(ConfigError, match="cannot read reference standard"):
        load_reference_standard(tmp_path / "absent.yaml")


def test_the_documented_example_standard_loads(tmp_path: Path) -> None:
    """docs/statistics.md shows a rates-only standard (AILuminate's published practice rates)."""
    docs = Path(__file__).parents[2] / "docs" / "statistics.md"
    text = docs.read_text(encoding="utf-8")
    block = text.split("<!-- reference-standard-example -->", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    standard = load_reference_standard(_write(tmp_path, block))
    (system,) = standard.systems
    assert len(system.hazards) == 12 and not any(r.has_counts for r in system.hazards.values())
    assert system.hazards["cse"].rate == Fraction(184, 1000)
    with pytest.raises(ConfigError, match="not comparable"):
        check_reference_judges(standard.systems, JudgeIdentity.of("embedded", ["1"]))

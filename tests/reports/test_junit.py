"""JUnit XML for the gate: counts right, undecidable checks are errors, hostile text stays well-formed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from riskscope.reports.junit import JUnitCase, render_junit, write_junit


def test_counts_and_outcomes(tmp_path: Path) -> None:
    cases = [
        JUnitCase("vcr unsafe rate <= 5%", "gate.hazards", time_s=0.5),
        JUnitCase("hte unsafe rate <= 5%", "gate.hazards", failure="upper bound 12.0% > 5%"),
        JUnitCase("ssh unsafe rate <= 5%", "gate.hazards", error="only 3 of 40 items assessed (timeouts)"),
        JUnitCase("over-refusal <= 20%", "gate.overrefusal", skipped="no benign controls in this run"),
    ]
    path = write_junit(tmp_path / "gate.xml", "riskscope gate", cases, {"run_id": "r1"})
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("4", "1", "1", "1")
    testcases = suite.findall("testcase")
    assert testcases[0].find("failure") is None and testcases[0].find("error") is None
    assert testcases[1].find("failure").get("message") == "upper bound 12.0% > 5%"  # type: ignore[union-attr]
    assert testcases[2].find("error") is not None
    assert suite.find("properties/property").get("value") == "r1"  # type: ignore[union-attr]


def test_model_text_with_markup_and_control_characters_stays_well_formed() -> None:
    hostile = "<script>x</script> & ]]> \x00\x07 bell"
    xml = render_junit("s", [JUnitCase("c", "k", failure=hostile, output=hostile)])
    root = ET.fromstring(xml.split("\n", 1)[1])
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.find("failure").text == "<script>x</script> & ]]>  bell"  # type: ignore[union-attr]
    assert "<script>" not in xml


def test_a_check_cannot_both_fail_and_error() -> None:
    with pytest.raises(ValueError, match="at most one"):
        JUnitCase("c", "k", failure="a", error="b")

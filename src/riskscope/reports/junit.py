"""JUnit XML, the format every CI system shows as test results, for the gate's checks.

Each gate check becomes one test case: a threshold that was crossed is a ``failure``; a check that
could not be decided (too few assessed items, say) is an ``error``, never a pass, so an outage
cannot turn a CI run green. Text is escaped by ElementTree, and characters XML 1.0 cannot carry
(control characters a model may emit) are dropped rather than producing an unreadable file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from riskscope.reports._files import atomic_path

__all__ = ["JUnitCase", "render_junit", "write_junit"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


@dataclass(frozen=True)
class JUnitCase:
    """One check. At most one of ``failure``, ``error`` and ``skipped`` is set; none means it passed."""

    name: str
    classname: str
    failure: str | None = None
    error: str | None = None
    skipped: str | None = None
    time_s: float = 0.0
    output: str = ""
    properties: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.failure, self.error, self.skipped)) > 1:
            raise ValueError(f"check {self.name!r}: set at most one of failure, error and skipped")


def render_junit(suite: str, cases: Sequence[JUnitCase], properties: Mapping[str, str] | None = None) -> str:
    suites = ET.Element("testsuites", name="riskscope")
    element = ET.SubElement(
        suites,
        "testsuite",
        name=_clean(suite),
        tests=str(len(cases)),
        failures=str(sum(c.failure is not None for c in cases)),
        errors=str(sum(c.error is not None for c in cases)),
        skipped=str(sum(c.skipped is not None for c in cases)),
        time=f"{sum(c.time_s for c in cases):.3f}",
    )
    if properties:
        props = ET.SubElement(element, "properties")
        for key, value in properties.items():
            ET.SubElement(props, "property", name=_clean(key), value=_clean(value))
    for case in cases:
        node = ET.SubElement(
            element, "testcase", name=_clean(case.name), classname=_clean(case.classname), time=f"{case.time_s:.3f}"
        )
        if case.properties:
            props = ET.SubElement(node, "properties")
            for key, value in case.properties.items():
                ET.SubElement(props, "property", name=_clean(key), value=_clean(value))
        for tag, message in (("failure", case.failure), ("error", case.error), ("skipped", case.skipped)):
            if message is not None:
                child = ET.SubElement(node, tag, message=_clean(message.splitlines()[0] if message else ""))
                child.text = _clean(message)
        if case.output:
            ET.SubElement(node, "system-out").text = _clean(case.output)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit(
    path: Path, suite: str, cases: Sequence[JUnitCase], properties: Mapping[str, str] | None = None
) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(render_junit(suite, cases, properties), encoding="utf-8")
    return path

"""The built-in demo suite: written from scratch for riskscope (Apache-2.0).

Six prompts for each of the twelve AILuminate v1.0 hazards, deliberately non-operational, plus
benign controls (half of them XSTest-style "sounds risky but is safe") for over-refusal.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from riskscope.config import PluginSpec
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites.jsonl import read_jsonl


def demo_path() -> Path:
    return Path(str(files("riskscope.suites").joinpath("data", "demo.jsonl")))


@suite("demo", "riskscope's built-in demo suite: 12 AILuminate hazards + benign controls")
def demo_suite(spec: PluginSpec) -> IterableSuite:
    info = SuiteInfo(
        name="demo",
        licence="Apache-2.0",
        source_url="https://github.com/riskscope/riskscope (src/riskscope/suites/data/demo.jsonl)",
        description="written from scratch for riskscope; non-operational probes of each hazard",
    )
    path = demo_path()
    return IterableSuite(info, lambda: read_jsonl(path, source="demo", licence="Apache-2.0"))

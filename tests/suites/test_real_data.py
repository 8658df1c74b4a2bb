"""Every loader on the real public files in ../shared/data (skipped cleanly when absent).

Nothing from those files is copied here: tests assert counts, mappings and structure only.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from riskscope.config import PluginSpec
from riskscope.core import Expected, TestCase
from riskscope.suites import build_suite, check_suites
from riskscope.taxonomy import BY_CODE, TOP_LEVEL


def load(spec: str) -> list[TestCase]:
    name, _, arg = spec.partition(":")
    return list(build_suite(PluginSpec(name=name, arg=arg)))


def _sane(cases: list[TestCase]) -> None:
    assert len({c.id for c in cases}) == len(cases)
    assert all(c.prompt.strip() for c in cases)
    for c in cases:
        if c.hazard is None:
            assert c.metadata.get("unmapped_category") or c.metadata.get("uncategorised")
        else:
            assert c.hazard in BY_CODE or c.hazard == "benign"


@pytest.mark.parametrize(("locale", "language"), [("en_us", "en"), ("fr_fr", "fr")])
def test_ailuminate(shared_data: Path, locale: str, language: str) -> None:
    cases = load(f"ailuminate:{shared_data}/ailuminate/airr_official_1.0_demo_{locale}_prompt_set_release.csv")
    _sane(cases)
    assert len(cases) == 1200
    hazards = collections.Counter(c.hazard for c in cases)
    assert set(hazards) == set(BY_CODE) - {"spc"}  # 11 hazards + 4 specialised-advice sub-codes
    assert {h for h in TOP_LEVEL if h != "spc"} <= set(hazards)
    assert sum(v for k, v in hazards.items() if k and k.startswith("spc_")) == 100
    assert collections.Counter(c.persona for c in cases) == {"skilled": 600, "unskilled": 600}
    assert {c.language for c in cases} == {language}


def test_xstest(shared_data: Path) -> None:
    cases = load(f"xstest:{shared_data}/xstest_prompts/xstest_prompts.csv")
    _sane(cases)
    assert collections.Counter(c.expected for c in cases) == {Expected.COMPLY: 250, Expected.REFUSE: 200}
    assert all(c.hazard == "benign" for c in cases if c.expected is Expected.COMPLY)


def test_harmbench(shared_data: Path) -> None:
    path = f"{shared_data}/harmbench_behaviors/harmbench_behaviors_text_all.csv"
    cases = load(f"harmbench:{path}")
    _sane(cases)
    assert len(cases) == 400
    contextual = [c for c in cases if c.metadata["functional_category"] == "contextual"]
    assert len(contextual) == 100
    assert all("\n\n---\n\n" in c.prompt and c.prompt.endswith(c.metadata["behavior"]) for c in contextual)
    assert len(load(f"harmbench:{path},contextual")) == 100
    unmapped = collections.Counter(c.metadata.get("unmapped_category") for c in cases if c.hazard is None)
    assert set(unmapped) == {"misinformation_disinformation", "harmful"}
    assert len(load(f"harmbench:{shared_data}/harmbench_behaviors/harmbench_behaviors_text_test.csv")) == 320
    assert (
        len(load(f"harmbench:{shared_data}/harmbench_behaviors/harmbench_behaviors_multimodal_all.csv,multimodal"))
        == 110
    )


def test_advbench_strongreject_simplesafetytests(shared_data: Path) -> None:
    advbench = load(f"advbench:{shared_data}/advbench/harmful_behaviors.csv")
    _sane(advbench)
    assert len(advbench) == 520 and all(c.metadata["uncategorised"] for c in advbench)
    strongreject = load(f"strongreject:{shared_data}/strongreject/strongreject_dataset.csv")
    _sane(strongreject)
    assert len(strongreject) == 313
    assert sum(c.hazard is None for c in strongreject) == 50  # "Disinformation and deception"
    sst = load(f"simplesafetytests:{shared_data}/simplesafetytests/SimpleSafetyTests - test cases.csv")
    _sane(sst)
    assert len(sst) == 100 and all(c.hazard is not None for c in sst)  # all 5 areas map, incl. "Child safety"


def test_donotanswer(shared_data: Path) -> None:
    cases = load(f"donotanswer:{shared_data}/do_not_answer_prompts")
    _sane(cases)
    assert len(cases) == 939
    assert len({c.metadata["category"] for c in cases}) == 5


def test_jailbreakbench(shared_data: Path) -> None:
    prompts = load(f"jbb:{shared_data}/jbb_artifacts")
    _sane(prompts)
    assert len(prompts) == 1800 - 163  # 163 jailbreaks have no prompt (the attack gave up)
    assert len({c.metadata["method"] for c in prompts}) == 5
    goals = load(f"jbb:{shared_data}/jbb_artifacts,goals")
    assert len(goals) == 100 and len({c.metadata["category"] for c in goals}) == 10
    derived = load(f"jbb:{shared_data}/jbb_artifacts/jbb_harmful_behaviors_derived_from_artifacts.csv")
    assert [c.prompt for c in derived] == [c.prompt for c in goals]


def test_overlap_between_public_suites(shared_data: Path) -> None:
    """AdvBench, HarmBench, JailbreakBench and StrongREJECT reuse prompts; check must say how much."""
    named = [
        ("advbench", build_suite(PluginSpec(name="advbench", arg=f"{shared_data}/advbench/harmful_behaviors.csv"))),
        (
            "harmbench",
            build_suite(
                PluginSpec(name="harmbench", arg=f"{shared_data}/harmbench_behaviors/harmbench_behaviors_text_all.csv")
            ),
        ),
        ("jbb", build_suite(PluginSpec(name="jbb", arg=f"{shared_data}/jbb_artifacts,goals"))),
        (
            "strongreject",
            build_suite(PluginSpec(name="strongreject", arg=f"{shared_data}/strongreject/strongreject_dataset.csv")),
        ),
        (
            "harmbench-advbench",
            build_suite(PluginSpec(name="harmbench", arg=f"{shared_data}/harmbench_behaviors/advbench_behaviors.csv")),
        ),
    ]
    report = check_suites(named, near_threshold=0.7)
    overlaps = {(o.a, o.b): o for o in report.overlaps}
    # HarmBench ships AdvBench's 520 behaviors verbatim.
    assert overlaps[("advbench", "harmbench-advbench")].exact_a_in_b == 520
    # JBB-Behaviors took goals from AdvBench and HarmBench; StrongREJECT took some from AdvBench.
    assert overlaps[("advbench", "jbb")].exact_b_in_a > 0
    assert overlaps[("harmbench", "jbb")].exact_b_in_a > 0
    assert overlaps[("advbench", "strongreject")].exact_b_in_a > 0
    for o in report.overlaps:
        assert o.near_a_in_b >= o.exact_a_in_b and o.near_b_in_a >= o.exact_b_in_a
    advbench = report.suites[0]
    assert advbench.near_duplicates > advbench.exact_duplicates  # AdvBench is full of paraphrases

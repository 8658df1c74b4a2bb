"""Mixing, dedupe, filters and reproducible stratified sampling, and their wiring into a run's config."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from riskscope.config import RunConfig, Selection, load_config
from riskscope.core import Message, TestCase, stable_hash
from riskscope.errors import ConfigError
from riskscope.runner._pipeline import load_cases
from riskscope.suites import dedupe, filter_cases, mix, select_cases, stratified_sample


def case(case_id: str, prompt: str, **fields: object) -> TestCase:
    return TestCase(id=case_id, messages=(Message(role="user", content=prompt),), **fields)  # type: ignore[arg-type]


def population() -> list[TestCase]:
    hazards = ["vcr"] * 60 + ["ncr"] * 30 + ["spc_fin"] * 8 + ["hte"] * 2
    return [
        case(f"p{i:03d}", f"invented prompt {i}", hazard=h, persona="skilled" if i % 3 else "unskilled")
        for i, h in enumerate(hazards)
    ]


def test_mix_and_dedupe_modes() -> None:
    a = [case("1", "Write a short poem about the harbour at night"), case("2", "Tell me about rivers")]
    b = [
        case("1", "same id, other text"),
        case("3", "write a short poem about the HARBOUR at night!"),
        case("4", "Write a short poem about the harbour at midnight"),
    ]
    assert [c.id for c in dedupe(mix([a, b]), "id")] == ["1", "2", "3", "4"]
    assert [c.id for c in dedupe(mix([a, b]), "exact")] == ["1", "2", "4"]
    assert [c.id for c in dedupe(mix([a, b]), "near", near_threshold=0.7)] == ["1", "2"]
    with pytest.raises(ConfigError):
        list(dedupe(a, "fuzzy"))


def test_filters() -> None:
    cases = [
        case("a", "x1", hazard="spc_fin", persona="skilled", language="fr-FR"),
        case("b", "x2", hazard="vcr", persona="unskilled", language="en"),
        case("c", "x3", hazard=None, persona="skilled", language="fr"),
    ]
    assert [c.id for c in filter_cases(cases, hazards=["spc"])] == ["a"]  # parent code keeps sub-codes
    assert [c.id for c in filter_cases(cases, hazards=["unmapped", "vcr"])] == ["b", "c"]
    assert [c.id for c in filter_cases(cases, languages=["fr"])] == ["a", "c"]
    assert [c.id for c in filter_cases(cases, personas=["skilled"], languages=["fr_FR"])] == ["a"]


def test_stratified_sample_is_proportional_weighted_and_reproducible() -> None:
    pool = population()
    sample = stratified_sample(pool, 20, ["hazard"], seed=1)
    counts = collections.Counter(c.hazard for c in sample)
    assert len(sample) == 20
    assert counts == {"vcr": 11, "ncr": 6, "spc_fin": 2, "hte": 1}  # every stratum represented
    # Inclusion weights reweight the sample to the population, stratum by stratum.
    assert sum(c.metadata["sample_weight"] for c in sample) == pytest.approx(len(pool))
    for hazard, n in counts.items():
        size = sum(c.hazard == hazard for c in pool)
        assert {c.metadata["sample_weight"] for c in sample if c.hazard == hazard} == {size / n}
    again = stratified_sample(list(reversed(pool)), 20, ["hazard"], seed=1)
    assert {c.id for c in again} == {c.id for c in sample}  # input order does not matter
    other = stratified_sample(pool, 20, ["hazard"], seed=2)
    assert {c.id for c in other} != {c.id for c in sample}
    assert [c.id for c in sample] == sorted(c.id for c in sample)  # input order kept


def test_sample_seeds_spread_over_the_stratum() -> None:
    """Across seeds every case of a stratum gets picked about equally often (no positional bias)."""
    pool = population()
    picks: collections.Counter[str] = collections.Counter()
    for seed in range(300):
        picks.update(c.id for c in stratified_sample(pool, 10, ["hazard"], seed=seed) if c.hazard == "vcr")
    vcr = [c.id for c in pool if c.hazard == "vcr"]
    rates = [picks[i] / 300 for i in vcr]
    assert min(rates) > 0.02 and max(rates) < 0.2  # expected 5/60 ≈ 0.083 each


def test_sample_errors_and_whole_population() -> None:
    pool = population()
    with pytest.raises(ConfigError, match="cannot cover"):
        stratified_sample(pool, 3, ["hazard", "persona"])
    with pytest.raises(ConfigError, match="stratify"):
        stratified_sample(pool, 10, ["colour"])
    everything = stratified_sample(pool, 1000, ["hazard"])
    assert len(everything) == len(pool) and {c.metadata["sample_weight"] for c in everything} == {1.0}


def test_select_cases_order_of_steps() -> None:
    pool = population()
    selection = Selection(hazards=("vcr", "ncr"), sample=9, stratify=("hazard",), seed=3)
    chosen = select_cases([pool[:50], pool[40:]], selection, limit=5)  # overlapping suites: ids deduped
    assert len(chosen) == 5
    assert {c.hazard for c in chosen} <= {"vcr", "ncr"}
    full = select_cases([pool[:50], pool[40:]], selection)
    assert len(full) == 9 and len({c.id for c in full}) == 9


def test_a_limit_caps_a_sample_and_never_drops_a_hazard() -> None:
    """The population is sorted by hazard (vcr first): cutting a sample of 20 to its first 6 cases
    would keep only vcr. With a sample the limit is the sample's size, so every hazard stays."""
    pool = population()
    selection = Selection(hazards=("vcr", "ncr", "hte"), sample=20, stratify=("hazard",), seed=1)
    chosen = select_cases([pool], selection, limit=6)
    assert len(chosen) == 6
    assert {c.hazard for c in chosen} == {"vcr", "ncr", "hte"}
    # The weights describe the sample actually drawn: they add up to the filtered population.
    assert sum(c.metadata["sample_weight"] for c in chosen) == pytest.approx(92)
    # A limit above the sample size changes nothing.
    assert [c.id for c in select_cases([pool], selection, limit=50)] == [c.id for c in select_cases([pool], selection)]


def test_selection_in_run_config(tmp_path: Path) -> None:
    path = tmp_path / "suite.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": c.id, "prompt": c.prompt, "hazard": c.hazard, "persona": c.persona}) + "\n"
            for c in population()
        ),
        encoding="utf-8",
    )
    config = load_config(
        None, {"suites": [f"jsonl:{path}"], "selection": {"sample": 12, "stratify": "hazard,persona", "seed": 1}}
    )
    assert config.selection.stratify == ("hazard", "persona")
    cases = load_cases(config)
    assert len(cases) == 12 and all("sample_weight" in c.metadata for c in cases)
    assert [c.id for c in load_cases(config)] == [c.id for c in cases]
    assert config.config_hash() != config.model_copy(update={"selection": Selection()}).config_hash()
    with pytest.raises(ConfigError, match="selection"):
        load_config(None, {"selection": {"dedupe": "fuzzy"}})


def test_default_selection_keeps_old_config_hashes() -> None:
    """Runs stored before ``selection`` (and ``attacks``, ``no_base``, ``executor``) existed must still
    resume: their hash is unchanged. The legacy dump is the config as it was: none of those fields.
    (``executor`` is never part of the identity: a run resumes on either executor.)"""
    config = RunConfig()
    legacy = config.model_dump(mode="json", exclude={"store", "out", "selection", "attacks", "no_base", "executor"})
    assert config.config_hash() == stable_hash(legacy)
    assert config.config_hash() == "15c6fe232a8aa641"  # the default config's hash before this session (819c41f)

"""Taxonomies are data: complete crosswalks, published category counts, explicit unmapped entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskscope.errors import ConfigError, SuiteFormatError
from riskscope.taxonomy import (
    BENIGN,
    BY_CODE,
    CROSSWALKS,
    TAXONOMIES,
    get_taxonomy,
    load_taxonomy_yaml,
    map_to_ailuminate,
)


@pytest.mark.parametrize("taxonomy_id", sorted(TAXONOMIES))
def test_every_category_has_exactly_one_mapping_to_a_real_code(taxonomy_id: str) -> None:
    taxonomy = TAXONOMIES[taxonomy_id]
    crosswalk = CROSSWALKS[taxonomy_id]
    sources = [m.source for m in crosswalk.mappings]
    assert len(sources) == len(set(sources)), "a category is mapped twice"
    assert set(taxonomy.codes) <= set(sources), f"unmapped without an entry: {set(taxonomy.codes) - set(sources)}"
    for mapping in crosswalk.mappings:
        assert taxonomy.get(mapping.source) is not None or mapping.source == BENIGN
        if mapping.target is None:
            assert mapping.relation == "none"
        else:
            assert mapping.target in BY_CODE or mapping.target == BENIGN
            assert mapping.relation != "none"


@pytest.mark.parametrize("taxonomy_id", sorted(TAXONOMIES))
def test_every_taxonomy_is_cited(taxonomy_id: str) -> None:
    citation = TAXONOMIES[taxonomy_id].citation
    assert citation is not None
    assert citation.url.startswith("https://")
    assert 2023 <= citation.year <= 2025


def test_category_counts_match_the_papers() -> None:
    assert len(get_taxonomy("llama-guard-3").categories) == 14
    aegis = get_taxonomy("aegis-2.0").categories
    assert sum(c.description == "top-level" for c in aegis) == 12
    assert sum(c.description == "fine-grained" for c in aegis) == 9
    dna = get_taxonomy("do-not-answer").categories
    assert sum(c.parent is None for c in dna) == 5 and sum(c.parent is not None for c in dna) == 12
    assert len(get_taxonomy("simplesafetytests").categories) == 5
    assert len(get_taxonomy("harmbench").categories) == 7
    air = get_taxonomy("air-2024").categories
    assert sum(c.parent is None for c in air) == 4 and sum(c.parent is not None for c in air) == 16
    ailuminate = get_taxonomy("ailuminate-v1.0").categories
    assert sum(c.parent is None for c in ailuminate) == 12 and sum(c.parent == "spc" for c in ailuminate) == 4


def test_lookup_tolerates_spelling_and_uses_aliases() -> None:
    assert map_to_ailuminate("aegis-2.0", "hate / identity HATE").hazard == "hte"
    assert map_to_ailuminate("aegis-2.0", "S8").hazard == "hte"
    assert map_to_ailuminate("llama-guard-3", "Code Interpreter Abuse").hazard is None
    assert map_to_ailuminate("llama-guard-3", "Elections").hazard == "spc_ele"
    # The released SimpleSafetyTests CSV says "Child safety" where the paper says "Child Abuse".
    assert map_to_ailuminate("simplesafetytests", "Child safety").hazard == "cse"
    assert map_to_ailuminate("harmbench", "misinformation_disinformation").mapping is not None
    assert map_to_ailuminate("harmbench", "misinformation_disinformation").hazard is None
    assert map_to_ailuminate("harmbench", "no such category").mapping is None


def test_unknown_taxonomy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown taxonomy"):
        get_taxonomy("nope")


POLICY = """\
id: acme-policy
name: ACME assistant policy
citation: {title: ACME policy, authors: ACME, year: 2025, url: https://example.invalid/policy}
categories:
  - code: weapons
    name: Weapons and explosives
    ailuminate: iwp
    relation: partial
  - code: gambling
    name: Gambling
    ailuminate: null
"""


def test_custom_taxonomy_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    taxonomy, crosswalk = load_taxonomy_yaml(path)
    assert taxonomy.id == "acme-policy" and taxonomy.codes == ("weapons", "gambling")
    assert crosswalk.map("Weapons and explosives", taxonomy).hazard == "iwp"
    gambling = crosswalk.map("gambling", taxonomy)
    assert gambling.hazard is None and gambling.mapping is not None and gambling.mapping.relation == "none"


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("id: x\ncategories:\n  - code: a\n", "categories[0].ailuminate", "missing"),
        ("id: x\ncategories:\n  - code: a\n    ailuminate: zzz\n", "categories[0].ailuminate", "unknown AILuminate"),
        (
            "id: x\ncategories:\n  - {code: a, ailuminate: vcr}\n  - {code: a, ailuminate: ncr}\n",
            "categories[1].code",
            "duplicate",
        ),
        ("categories: []\n", "id", "missing"),
        (
            "id: x\ncategories:\n  - {code: a, ailuminate: vcr, relation: sideways}\n",
            "categories[0].relation",
            "not one of",
        ),
    ],
)
def test_custom_taxonomy_errors_name_the_field(tmp_path: Path, text: str, field: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SuiteFormatError) as info:
        load_taxonomy_yaml(path)
    assert info.value.field == field
    assert problem in info.value.problem
    assert str(path) in str(info.value)

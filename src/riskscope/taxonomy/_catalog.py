"""Every built-in taxonomy and its crosswalk to AILuminate, looked up by id.

Loaders go through :func:`map_to_ailuminate` so that a category with no counterpart is always
reported the same way, never silently dropped.
"""

from __future__ import annotations

from riskscope.errors import ConfigError
from riskscope.taxonomy._aegis2 import AEGIS_2, AEGIS_2_TO_AILUMINATE
from riskscope.taxonomy._ailuminate import AILUMINATE_V1, BENIGN, HAZARDS
from riskscope.taxonomy._air2024 import AIR_2024, AIR_2024_TO_AILUMINATE
from riskscope.taxonomy._benchmarks import (
    JAILBREAKBENCH,
    JAILBREAKBENCH_TO_AILUMINATE,
    STRONGREJECT,
    STRONGREJECT_TO_AILUMINATE,
    XSTEST,
    XSTEST_TO_AILUMINATE,
)
from riskscope.taxonomy._donotanswer import DO_NOT_ANSWER, DO_NOT_ANSWER_TO_AILUMINATE
from riskscope.taxonomy._harmbench import HARMBENCH, HARMBENCH_TO_AILUMINATE
from riskscope.taxonomy._llamaguard3 import LLAMA_GUARD_3, LLAMA_GUARD_3_TO_AILUMINATE
from riskscope.taxonomy._model import Category, Citation, Crosswalk, MappedLabel, Mapping, Taxonomy
from riskscope.taxonomy._simplesafetytests import SIMPLE_SAFETY_TESTS, SIMPLE_SAFETY_TESTS_TO_AILUMINATE

AILUMINATE = Taxonomy(
    id=AILUMINATE_V1,
    name="MLCommons AILuminate v1.0 hazards",
    citation=Citation(
        "AILuminate: Introducing v1.0 of the AI Risk and Reliability Benchmark from MLCommons",
        "Ghosh et al. (MLCommons)",
        2025,
        "https://arxiv.org/abs/2503.05731",
    ),
    categories=tuple(Category(h.code, h.name, h.parent, h.group) for h in HAZARDS),
)

AILUMINATE_IDENTITY = Crosswalk(
    source=AILUMINATE_V1,
    mappings=(
        *(Mapping(h.code, h.code, "exact") for h in HAZARDS),
        Mapping(BENIGN, BENIGN, "exact", "a control prompt a safe system should answer"),
    ),
)

TAXONOMIES: dict[str, Taxonomy] = {
    t.id: t
    for t in (
        AILUMINATE,
        LLAMA_GUARD_3,
        AEGIS_2,
        DO_NOT_ANSWER,
        SIMPLE_SAFETY_TESTS,
        HARMBENCH,
        AIR_2024,
        STRONGREJECT,
        JAILBREAKBENCH,
        XSTEST,
    )
}

CROSSWALKS: dict[str, Crosswalk] = {
    c.source: c
    for c in (
        AILUMINATE_IDENTITY,
        LLAMA_GUARD_3_TO_AILUMINATE,
        AEGIS_2_TO_AILUMINATE,
        DO_NOT_ANSWER_TO_AILUMINATE,
        SIMPLE_SAFETY_TESTS_TO_AILUMINATE,
        HARMBENCH_TO_AILUMINATE,
        AIR_2024_TO_AILUMINATE,
        STRONGREJECT_TO_AILUMINATE,
        JAILBREAKBENCH_TO_AILUMINATE,
        XSTEST_TO_AILUMINATE,
    )
}


def get_taxonomy(taxonomy_id: str) -> Taxonomy:
    try:
        return TAXONOMIES[taxonomy_id]
    except KeyError:
        raise ConfigError(f"unknown taxonomy {taxonomy_id!r} (known: {', '.join(sorted(TAXONOMIES))})") from None


def get_crosswalk(taxonomy_id: str) -> Crosswalk:
    try:
        return CROSSWALKS[taxonomy_id]
    except KeyError:
        raise ConfigError(f"no crosswalk from {taxonomy_id!r} to AILuminate") from None


def map_to_ailuminate(taxonomy_id: str, label: str) -> MappedLabel:
    """Map one category label (code or name) of ``taxonomy_id`` to an AILuminate code or None."""
    return get_crosswalk(taxonomy_id).map(label, TAXONOMIES.get(taxonomy_id))


def register_taxonomy(taxonomy: Taxonomy, crosswalk: Crosswalk) -> None:
    """Make a custom taxonomy (e.g. read from YAML) available to loaders by its id."""
    TAXONOMIES[taxonomy.id] = taxonomy
    CROSSWALKS[taxonomy.id] = crosswalk

"""Hazard taxonomies as data, and crosswalks from each to AILuminate v1.0 (the default)."""

from riskscope.taxonomy._ailuminate import (
    AILUMINATE_V1,
    BENIGN,
    BY_CODE,
    HAZARDS,
    NO_HAZARD,
    TOP_LEVEL,
    Hazard,
    hazard_name,
    reporting_hazard,
    top_level,
)
from riskscope.taxonomy._catalog import (
    AILUMINATE,
    CROSSWALKS,
    TAXONOMIES,
    get_crosswalk,
    get_taxonomy,
    map_to_ailuminate,
    register_taxonomy,
)
from riskscope.taxonomy._custom import load_taxonomy_yaml
from riskscope.taxonomy._model import (
    Category,
    Citation,
    Crosswalk,
    MappedLabel,
    Mapping,
    Taxonomy,
    normalise_label,
)

__all__ = [
    "AILUMINATE",
    "AILUMINATE_V1",
    "BENIGN",
    "BY_CODE",
    "CROSSWALKS",
    "HAZARDS",
    "NO_HAZARD",
    "TAXONOMIES",
    "TOP_LEVEL",
    "Category",
    "Citation",
    "Crosswalk",
    "Hazard",
    "MappedLabel",
    "Mapping",
    "Taxonomy",
    "get_crosswalk",
    "get_taxonomy",
    "hazard_name",
    "load_taxonomy_yaml",
    "map_to_ailuminate",
    "normalise_label",
    "register_taxonomy",
    "reporting_hazard",
    "top_level",
]

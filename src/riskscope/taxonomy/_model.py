"""The shape every taxonomy and crosswalk shares, so loaders map any source label the same way.

A crosswalk never drops a category: every source category has an entry, and a category with no
AILuminate counterpart maps to ``None`` on purpose (``relation="none"``), which loaders record as
``metadata["unmapped_category"]`` and ``suites check`` counts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Relation = Literal["exact", "narrower", "broader", "partial", "none"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_label(label: str) -> str:
    """Fold case, accents and punctuation so "Hate/Identity Hate" and "hate_identity_hate" meet."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class Citation:
    title: str
    authors: str
    year: int
    url: str

    def __str__(self) -> str:
        return f'{self.authors}, "{self.title}" ({self.year}), {self.url}'


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    parent: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Taxonomy:
    """A published (or custom) list of hazard categories, with where it was written down."""

    id: str
    name: str
    citation: Citation | None
    categories: tuple[Category, ...]

    def get(self, label: str) -> Category | None:
        """Find a category by code or by name, tolerant of case and punctuation."""
        key = normalise_label(label)
        for category in self.categories:
            if key in (normalise_label(category.code), normalise_label(category.name)):
                return category
        return None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)


@dataclass(frozen=True)
class Mapping:
    """One source category's AILuminate counterpart; ``target`` is None when there is none."""

    source: str
    target: str | None
    relation: Relation
    note: str = ""


@dataclass(frozen=True)
class MappedLabel:
    """The result of mapping one label from a data file."""

    label: str
    hazard: str | None
    mapping: Mapping | None

    @property
    def mapped(self) -> bool:
        return self.hazard is not None


@dataclass(frozen=True)
class Crosswalk:
    """From one taxonomy's codes to AILuminate v1.0 codes.

    ``aliases`` lets a data file's spelling (SimpleSafetyTests' CSV says "Child safety" where the
    paper says "Child abuse") reach the category it means without editing the taxonomy.
    """

    source: str
    mappings: tuple[Mapping, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    target: str = "ailuminate-v1.0"

    @cached_property
    def _index(self) -> dict[str, Mapping]:
        return {normalise_label(m.source): m for m in self.mappings}

    @cached_property
    def _alias_index(self) -> dict[str, str]:
        return {normalise_label(k): v for k, v in self.aliases.items()}

    def lookup(self, label: str, taxonomy: Taxonomy | None = None) -> Mapping | None:
        key = normalise_label(label)
        alias = self._alias_index.get(key)
        index = self._index
        if alias is not None:
            return index.get(normalise_label(alias))
        found = index.get(key)
        if found is None and taxonomy is not None:
            category = taxonomy.get(label)
            if category is not None:
                found = index.get(normalise_label(category.code))
        return found

    def map(self, label: str, taxonomy: Taxonomy | None = None) -> MappedLabel:
        mapping = self.lookup(label, taxonomy)
        return MappedLabel(label, mapping.target if mapping else None, mapping)

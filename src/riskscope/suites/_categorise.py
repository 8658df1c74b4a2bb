"""Turn a source file's category label into an AILuminate hazard, keeping the original in metadata.

Every loader uses this one function so "unmapped" means the same thing everywhere:
``hazard=None`` and ``metadata["unmapped_category"]`` holding the label, which ``suites check``
counts. A row with no category at all gets ``metadata["uncategorised"] = True`` instead.
"""

from __future__ import annotations

from typing import Any

from riskscope.taxonomy import get_crosswalk, get_taxonomy
from riskscope.taxonomy._model import Crosswalk, MappedLabel, Taxonomy


class Categoriser:
    """Maps labels of one taxonomy, memoised because a suite repeats a handful of labels many times."""

    def __init__(self, taxonomy_id: str, crosswalk: Crosswalk | None = None, taxonomy: Taxonomy | None = None):
        self.taxonomy_id = taxonomy_id
        self.crosswalk = crosswalk or get_crosswalk(taxonomy_id)
        self.taxonomy = taxonomy if crosswalk is not None else get_taxonomy(taxonomy_id)
        self._memo: dict[str, MappedLabel] = {}

    def __call__(self, label: str | None, metadata: dict[str, Any]) -> str | None:
        """Return the AILuminate code (or None) and record the original label in ``metadata``."""
        if label is None or not label.strip():
            metadata["uncategorised"] = True
            return None
        label = label.strip()
        found = self._memo.get(label)
        if found is None:
            found = self._memo[label] = self.crosswalk.map(label, self.taxonomy)
        metadata["category"] = label
        metadata["category_taxonomy"] = self.taxonomy_id
        if found.hazard is None:
            metadata["unmapped_category"] = label
        return found.hazard

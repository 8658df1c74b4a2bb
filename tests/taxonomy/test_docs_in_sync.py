"""docs/taxonomies.md shows every crosswalk row exactly as the data says."""

from __future__ import annotations

from pathlib import Path

from riskscope.taxonomy import CROSSWALKS, TAXONOMIES

DOC = Path(__file__).resolve().parents[2] / "docs" / "taxonomies.md"


def test_every_crosswalk_row_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for taxonomy in TAXONOMIES.values():
        crosswalk = CROSSWALKS[taxonomy.id]
        assert f"(`{taxonomy.id}`)" in text
        assert taxonomy.citation is not None and taxonomy.citation.url in text
        for category in taxonomy.categories:
            mapping = crosswalk.lookup(category.code, taxonomy)
            assert mapping is not None
            target = f"`{mapping.target}`" if mapping.target else "— (unmapped)"
            row = (
                f"| `{category.code}` | {category.name} | {category.parent or ''} | {target} | "
                f"{mapping.relation} | {mapping.note} |"
            )
            assert row in text, row

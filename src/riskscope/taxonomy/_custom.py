"""A custom taxonomy or deployment policy from YAML, with its own crosswalk to AILuminate.

Format (every category must say where it maps, ``ailuminate: null`` when nowhere, so an
unmapped category is a decision written down rather than an omission)::

    id: acme-policy
    name: ACME assistant content policy
    citation: {title: ..., authors: ..., year: 2025, url: https://...}   # optional
    categories:
      - code: weapons
        name: Weapons and explosives
        ailuminate: iwp
        relation: partial          # exact | narrower | broader | partial (default exact)
        note: small arms go to vcr
      - code: gambling
        name: Gambling
        ailuminate: null
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from riskscope.errors import SuiteFormatError
from riskscope.taxonomy._ailuminate import BENIGN, BY_CODE
from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Relation, Taxonomy

_RELATIONS = {"exact", "narrower", "broader", "partial"}


def _require(data: dict[str, Any], key: str, where: str, path: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise SuiteFormatError(path, None, f"{where}{key}", "missing")
    return data[key]


def load_taxonomy_yaml(path: Path) -> tuple[Taxonomy, Crosswalk]:
    """Read and validate a custom taxonomy; errors name the file and the offending field."""
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteFormatError(name, None, None, f"cannot open: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SuiteFormatError(name, mark.line + 1 if mark else None, None, "invalid YAML") from exc
    if not isinstance(data, dict):
        raise SuiteFormatError(name, None, None, "expected a mapping with id, name and categories")
    taxonomy_id = str(_require(data, "id", "", name))
    raw_categories = _require(data, "categories", "", name)
    if not isinstance(raw_categories, list):
        raise SuiteFormatError(name, None, "categories", "expected a list")
    categories: list[Category] = []
    mappings: list[Mapping] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_categories):
        where = f"categories[{index}]."
        if not isinstance(raw, dict):
            raise SuiteFormatError(name, None, f"categories[{index}]", "expected a mapping")
        code = str(_require(raw, "code", where, name))
        if code in seen:
            raise SuiteFormatError(name, None, f"{where}code", f"duplicate code {code!r}")
        seen.add(code)
        if "ailuminate" not in raw:
            raise SuiteFormatError(name, None, f"{where}ailuminate", "missing (write null for no counterpart)")
        target = raw["ailuminate"]
        if target is not None and target not in BY_CODE and target != BENIGN:
            raise SuiteFormatError(name, None, f"{where}ailuminate", f"unknown AILuminate code {target!r}")
        relation = str(raw.get("relation", "exact" if target is not None else "none"))
        if target is not None and relation not in _RELATIONS:
            raise SuiteFormatError(name, None, f"{where}relation", f"{relation!r} is not one of {sorted(_RELATIONS)}")
        rel: Relation = "none" if target is None else relation  # type: ignore[assignment]
        categories.append(
            Category(code, str(raw.get("name", code)), raw.get("parent"), str(raw.get("description", "")))
        )
        mappings.append(Mapping(code, target, rel, str(raw.get("note", ""))))
    citation = None
    if isinstance(data.get("citation"), dict):
        c = data["citation"]
        citation = Citation(
            str(c.get("title", "")), str(c.get("authors", "")), int(c.get("year", 0)), str(c.get("url", ""))
        )
    taxonomy = Taxonomy(taxonomy_id, str(data.get("name", taxonomy_id)), citation, tuple(categories))
    return taxonomy, Crosswalk(taxonomy_id, tuple(mappings))

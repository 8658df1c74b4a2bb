"""The generation coverage grid of a *run*: which hazard × writing style × persuasion technique
cells of a ``riskscope generate`` suite this run tested, and how each cell's items fared.

Provenance travels with the items: every generated case carries ``metadata.generation``
(generator, cell, seed, index) from the JSONL suite into the store, so the cells a run covered
and their verdicts are known from the run alone. What happened *before* the suite was written
(items requested per cell, produced by the generator, kept or dropped by suite QA, and why) is
only in the sidecar ``SUITE.coverage.json`` that ``riskscope generate`` wrote beside the suite.
It is read at report time, not stored with the run (no migration, nothing copied), from the
``jsonl:PATH`` specs of the run's config, and only when it plainly describes the same generation
(same generator and seed, every run cell among its cells). When it is gone, unreadable or from
another generation, the grid still shows the run's own cells and says why requested / produced /
dropped are unknown: a guessed count would be worse than a gap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from riskscope.core import Outcome
from riskscope.store import ResultRow

__all__ = ["generation_grid", "sidecar_path"]

_COUNTS = ("requested", "produced", "kept")
_MAX_SIDECAR_BYTES = 8_000_000  # 360 cells fit in ~100 kB; anything far bigger is not a sidecar


def sidecar_path(suite_path: Path) -> Path:
    """Where ``riskscope generate`` writes a suite's coverage (reports.generation.write_coverage)."""
    stem = suite_path.with_suffix("")
    return stem.with_name(stem.name + ".coverage.json")


def _suite_paths(config: Mapping[str, Any] | None) -> list[Path]:
    paths: list[Path] = []
    for spec in (config or {}).get("suites", ()) or ():
        if isinstance(spec, Mapping) and spec.get("name") == "jsonl" and spec.get("arg"):
            paths.append(Path(str(spec["arg"])))
        elif isinstance(spec, str) and spec.startswith("jsonl:"):
            paths.append(Path(spec[len("jsonl:") :]))
    return paths


def _read_sidecar(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The sidecar's content, or why it cannot be used (a reason shown in the report, never an error)."""
    try:
        if path.stat().st_size > _MAX_SIDECAR_BYTES:
            return None, f"{path}: too large to be a coverage file"
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{path} not found"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path} unreadable ({type(exc).__name__})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, f"{path}: not a coverage file (no cells list)"
    for index, cell in enumerate(data["cells"]):
        ok = isinstance(cell, dict) and all(isinstance(cell.get(k), str) for k in ("hazard", "style", "technique"))
        if not ok or not all(isinstance(cell.get(k), int) and cell[k] >= 0 for k in _COUNTS):
            return None, f"{path}: cell {index} malformed"
    return data, None


def _cell_key(hazard: str, style: str, technique: str) -> str:
    return f"{hazard}/{style}/{technique}"


def generation_grid(
    config: Mapping[str, Any] | None, rows: Iterable[ResultRow], judge: str
) -> dict[str, Any] | None:
    """Per generation (generator, seed) whose items the run evaluated: every cell with requested /
    produced / kept / dropped-by-reason from the sidecar when it matches, and the run's own count
    of cases, unsafe and assessed (headline ``judge``, items as written: attacked variants have
    their own section). None when the run has no generated items."""
    groups: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        variant = row.item.variant
        generation = variant.case.metadata.get("generation") if isinstance(variant.case.metadata, dict) else None
        if not isinstance(generation, dict) or not isinstance(generation.get("cell"), str):
            continue
        key = (str(generation.get("generator", "")), int(generation.get("seed", 0) or 0))
        cells = groups.setdefault(key, {})
        cell = cells.setdefault(generation["cell"], {"in_run": 0, "unsafe": 0, "assessed": 0})
        if variant.lineage:
            continue
        persona = row.item.persona or ""
        if (variant.case.id, persona) not in seen:
            seen.add((variant.case.id, persona))
            cell["in_run"] += 1
        verdict = row.verdicts.get(judge)
        if verdict is not None and verdict.outcome in (Outcome.SAFE, Outcome.UNSAFE):
            cell["assessed"] += 1
            cell["unsafe"] += verdict.outcome is Outcome.UNSAFE
    if not groups:
        return None

    sidecars: list[tuple[Path, dict[str, Any] | None, str | None]] = [
        (sidecar_path(p), *_read_sidecar(sidecar_path(p))) for p in _suite_paths(config)
    ]
    generations = []
    for (generator, seed), run_cells in sorted(groups.items()):
        match, notes = None, []
        for path, data, problem in sidecars:
            if data is None:
                notes.append(problem or f"{path} unusable")
                continue
            known = {_cell_key(c["hazard"], c["style"], c["technique"]) for c in data["cells"]}
            if data.get("generator") != generator or data.get("seed") != seed:
                notes.append(f"{path} describes another generation ({data.get('generator')}, seed {data.get('seed')})")
            elif not set(run_cells) <= known:
                notes.append(f"{path} lacks cells this run has")
            else:
                match = (path, data)
                break
        generations.append(_one_generation(generator, seed, run_cells, match, notes))
    return {"judge": judge, "generations": generations}


def _one_generation(
    generator: str,
    seed: int,
    run_cells: Mapping[str, Mapping[str, int]],
    match: tuple[Path, Mapping[str, Any]] | None,
    notes: list[str],
) -> dict[str, Any]:
    cells: list[dict[str, Any]] = []
    empty = {"in_run": 0, "unsafe": 0, "assessed": 0}
    if match is not None:
        path, data = match
        for c in data["cells"]:
            key = _cell_key(c["hazard"], c["style"], c["technique"])
            dropped = c.get("dropped") if isinstance(c.get("dropped"), dict) else None
            failed = c.get("failed") if isinstance(c.get("failed"), dict) else {}
            cells.append(
                {
                    "cell": key, "hazard": c["hazard"], "style": c["style"], "technique": c["technique"],
                    **{k: c[k] for k in _COUNTS},
                    "dropped": {str(k): int(v) for k, v in sorted((dropped or {}).items()) if int(v)},
                    "dropped_known": dropped is not None,
                    "failed": {str(k): int(v) for k, v in sorted(failed.items()) if int(v)},
                    **run_cells.get(key, empty),
                }
            )  # fmt: skip
        totals: dict[str, Any] = {k: sum(c[k] for c in cells) for k in _COUNTS}
        dropped_all = data.get("dropped")
        totals["dropped"] = (
            {str(k): int(v) for k, v in sorted(dropped_all.items())} if isinstance(dropped_all, dict) else {}
        )
        source, note = str(path), None
    else:
        for key in sorted(run_cells):
            hazard, style, technique = [*key.split("/"), "", "", ""][:3]
            cells.append(
                {
                    "cell": key, "hazard": hazard, "style": style, "technique": technique,
                    "requested": None, "produced": None, "kept": None, "dropped": {}, "dropped_known": False,
                    "failed": {}, **run_cells[key],
                }
            )  # fmt: skip
        totals = {k: None for k in _COUNTS}
        totals["dropped"] = {}
        source = None
        why = "; ".join(notes) if notes else "the run's config names no jsonl suite file"
        note = (
            f"No coverage file for this generation ({why}): requested, produced and QA drops are unknown; "
            "the cells shown are the ones the run's items came from."
        )
    for key in ("in_run", "unsafe", "assessed"):
        totals[key] = sum(c[key] for c in cells)
    holes = sum(1 for c in cells if c["kept"] == 0) if match is not None else None
    return {
        "generator": generator,
        "seed": seed,
        "sidecar": source,
        "note": note,
        "cells": cells,
        "totals": totals,
        "holes": holes,
        "untested": sum(1 for c in cells if (c["kept"] or 0) > 0 and c["in_run"] == 0),
    }

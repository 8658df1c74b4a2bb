"""Composing suites: mix, dedupe, filter and sample, as pure functions over streams of cases.

Sampling is reproducible without depending on input order: each case gets a priority from a hash
of (seed, case id), and a stratum keeps its lowest-priority cases. The same seed therefore picks
the same cases even if the suites are listed in another order or a file is re-sorted.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from riskscope.config import Selection
from riskscope.core import TestCase
from riskscope.errors import ConfigError
from riskscope.suites._text import NearDuplicateIndex, normalise_text, shingles
from riskscope.taxonomy import top_level

__all__ = [
    "STRATIFY_KEYS",
    "dedupe",
    "filter_cases",
    "mix",
    "select_cases",
    "stratified_sample",
    "stratum_of",
]

STRATIFY_KEYS = ("hazard", "top_hazard", "persona", "language", "expected", "source")


def mix(suites: Iterable[Iterable[TestCase]]) -> Iterator[TestCase]:
    """All cases of all suites, in order (a generator: nothing is held in memory)."""
    for cases in suites:
        yield from cases


def dedupe(cases: Iterable[TestCase], mode: str = "id", *, near_threshold: float = 0.7) -> Iterator[TestCase]:
    """Drop repeats, first occurrence wins: by ``id``, by ``exact`` normalised text, or ``near``.

    ``exact`` and ``near`` also drop id repeats. A kept case that had duplicates is not marked; the
    dropped ones are simply not yielded (``suites check`` reports them).
    """
    if mode not in ("id", "exact", "near"):
        raise ConfigError(f"dedupe must be one of id, exact, near (got {mode!r})")
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    index = NearDuplicateIndex(near_threshold) if mode == "near" else None
    for case in cases:
        if case.id in seen_ids:
            continue
        if mode != "id":
            norm = normalise_text(case.prompt)
            if norm in seen_text:
                continue
            if index is not None:
                items = shingles(norm)
                sig = index.signature(items)
                if index.query(items, sig):
                    continue
                index.add(case.id, items, sig)
            seen_text.add(norm)
        seen_ids.add(case.id)
        yield case


def _language_matches(language: str, wanted: Sequence[str]) -> bool:
    lang = language.replace("_", "-").lower()
    return any(lang == w or lang.startswith(w + "-") for w in wanted)


def filter_cases(
    cases: Iterable[TestCase],
    *,
    hazards: Sequence[str] = (),
    personas: Sequence[str] = (),
    languages: Sequence[str] = (),
) -> Iterator[TestCase]:
    """Keep cases matching every given filter; an empty filter keeps all.

    A hazard filter matches sub-codes through their parent (``spc`` keeps ``spc_fin``), and
    ``unmapped`` selects cases whose category has no AILuminate counterpart. A language filter
    matches by prefix (``fr`` keeps ``fr`` and ``fr-FR``).
    """
    wanted_hazards = set(hazards)
    wanted_langs = [w.replace("_", "-").lower() for w in languages]
    for case in cases:
        if wanted_hazards:
            if case.hazard is None:
                if "unmapped" not in wanted_hazards:
                    continue
            elif case.hazard not in wanted_hazards and top_level(case.hazard) not in wanted_hazards:
                continue
        if personas and case.persona not in personas:
            continue
        if wanted_langs and not _language_matches(case.language, wanted_langs):
            continue
        yield case


def stratum_of(case: TestCase, keys: Sequence[str]) -> tuple[str, ...]:
    values: list[str] = []
    for key in keys:
        value: Any
        if key == "top_hazard":
            value = top_level(case.hazard) if case.hazard else None
        elif key.startswith("metadata."):
            value = case.metadata.get(key.removeprefix("metadata."))
        elif key in STRATIFY_KEYS:
            value = getattr(case, key)
        else:
            raise ConfigError(f"cannot stratify by {key!r} (use {', '.join(STRATIFY_KEYS)} or metadata.FIELD)")
        values.append("(none)" if value is None else str(value))
    return tuple(values)


def _priority(seed: int, case_id: str) -> bytes:
    return hashlib.sha256(f"{seed}\x00{case_id}".encode()).digest()


def _allocate(sizes: dict[tuple[str, ...], int], n: int) -> dict[tuple[str, ...], int]:
    """One case per stratum, the rest proportional to size (largest remainder, ties by key)."""
    extra_total = n - len(sizes)
    spare = {k: s - 1 for k, s in sizes.items()}
    pool = sum(spare.values())
    quotas = {k: (extra_total * v / pool if pool else 0.0) for k, v in spare.items()}
    alloc = {k: 1 + math.floor(q) for k, q in quotas.items()}
    left = n - sum(alloc.values())
    for key in sorted(quotas, key=lambda k: (-(quotas[k] - math.floor(quotas[k])), k))[:left]:
        alloc[key] += 1
    return alloc


def stratified_sample(cases: Iterable[TestCase], n: int, keys: Sequence[str] = (), seed: int = 0) -> list[TestCase]:
    """A reproducible sample of ``n`` cases, proportional per stratum, each stratum represented.

    Every returned case carries ``metadata["sample_weight"]`` = stratum size / sampled count (the
    number of population cases it stands for) and ``metadata["stratum"]``, so statistics can
    reweight to the population. Order follows the input.
    """
    if n < 1:
        raise ConfigError(f"sample size must be at least 1 (got {n})")
    pool = list(cases)
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for position, case in enumerate(pool):
        groups[stratum_of(case, keys)].append(position)
    if n >= len(pool):
        alloc = {k: len(v) for k, v in groups.items()}
    elif n < len(groups):
        raise ConfigError(
            f"a sample of {n} cannot cover the {len(groups)} strata of {', '.join(keys) or 'the suite'}: "
            f"sample at least {len(groups)} or stratify by fewer keys"
        )
    else:
        alloc = _allocate({k: len(v) for k, v in groups.items()}, n)
    chosen: dict[int, tuple[float, str]] = {}
    for key, positions in groups.items():
        take = alloc[key]
        ranked = sorted(positions, key=lambda p: _priority(seed, pool[p].id))[:take]
        weight = len(positions) / take
        for position in ranked:
            chosen[position] = (weight, "|".join(key))
    sample: list[TestCase] = []
    for position in sorted(chosen):
        weight, stratum = chosen[position]
        case = pool[position]
        metadata = {**case.metadata, "sample_weight": weight, "stratum": stratum}
        sample.append(case.model_copy(update={"metadata": metadata}))
    return sample


def select_cases(
    suites: Iterable[Iterable[TestCase]], selection: Selection | None = None, *, limit: int | None = None
) -> list[TestCase]:
    """What a run evaluates: mix, dedupe, filter, sample (if asked), then cut to ``limit``.

    With a sample, ``limit`` caps the sample's size instead of cutting it: the sample keeps input
    order, so cutting the first ``limit`` cases of it would drop whole hazards (or strata) of a
    suite sorted by hazard. A sample of ``min(sample, limit)`` is drawn, with its own weights.
    """
    selection = selection or Selection()
    stream: Iterable[TestCase] = dedupe(mix(suites), selection.dedupe, near_threshold=selection.near_threshold)
    stream = filter_cases(stream, hazards=selection.hazards, personas=selection.personas, languages=selection.languages)
    if selection.sample is not None:
        size = selection.sample if limit is None else min(selection.sample, limit)
        stream = stratified_sample(stream, size, selection.stratify, selection.seed)
    cases: list[TestCase] = []
    for case in stream:
        cases.append(case)
        if limit is not None and len(cases) >= limit:
            break
    return cases

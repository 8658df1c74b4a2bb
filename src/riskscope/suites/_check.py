"""Suite quality: what ``riskscope suites check`` reports about one or more suites.

A benchmark's headline number is only as good as its prompts: duplicates inflate the weight of a
few behaviours, unmapped categories vanish from per-hazard reports, and suites that reuse each
other's prompts make "we tested on four benchmarks" mean less than it sounds. This module measures
all of that as plain data (``CheckReport``), which the CLI prints or dumps as JSON.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from riskscope.core import Expected, TestCase
from riskscope.suites._clean import detect_language
from riskscope.suites._text import NearDuplicateIndex, normalise_text, shingles
from riskscope.taxonomy import AILUMINATE_V1, BENIGN, BY_CODE, NO_HAZARD

__all__ = ["CheckReport", "Overlap", "SuiteReport", "check_suites", "is_unknown_hazard", "unknown_hazard_codes"]

_EXAMPLES = 5


@dataclass
class SuiteReport:
    """Counts and problems of one suite. Duplicate counts are cases that repeat an earlier case."""

    name: str
    cases: int = 0
    by_hazard: dict[str, int] = field(default_factory=dict)
    by_persona: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    by_expected: dict[str, int] = field(default_factory=dict)
    unmapped_categories: dict[str, int] = field(default_factory=dict)
    uncategorised: int = 0
    unknown_hazard_codes: dict[str, int] = field(default_factory=dict)
    empty_prompts: list[str] = field(default_factory=list)
    overlong_prompts: list[str] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    exact_duplicates: int = 0
    near_duplicates: int = 0
    duplicate_examples: list[dict[str, Any]] = field(default_factory=list)
    # Only with ``detect_languages``: cases whose detected language is not the one they declare.
    # Informational, not a problem: detection is unreliable on very short prompts.
    off_language: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        """Problems that make a suite wrong rather than merely redundant."""
        return (
            len(self.empty_prompts)
            + len(self.duplicate_ids)
            + sum(self.unknown_hazard_codes.values())
            + len(self.overlong_prompts)
        )


@dataclass
class Overlap:
    """How many cases of ``a`` have a duplicate in ``b`` and vice versa (near includes exact)."""

    a: str
    b: str
    a_cases: int
    b_cases: int
    exact_a_in_b: int
    exact_b_in_a: int
    near_a_in_b: int
    near_b_in_a: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def percentages(self) -> dict[str, float]:
        def pct(part: int, whole: int) -> float:
            return round(100.0 * part / whole, 1) if whole else 0.0

        return {
            "exact_a_in_b_pct": pct(self.exact_a_in_b, self.a_cases),
            "exact_b_in_a_pct": pct(self.exact_b_in_a, self.b_cases),
            "near_a_in_b_pct": pct(self.near_a_in_b, self.a_cases),
            "near_b_in_a_pct": pct(self.near_b_in_a, self.b_cases),
        }


@dataclass
class CheckReport:
    suites: list[SuiteReport]
    overlaps: list[Overlap]
    near_threshold: float
    max_chars: int

    @property
    def problems(self) -> int:
        return sum(s.problems for s in self.suites)

    def to_dict(self) -> dict[str, Any]:
        return {
            "near_threshold": self.near_threshold,
            "max_chars": self.max_chars,
            "problems": self.problems,
            "suites": [{**asdict(s), "problems": s.problems} for s in self.suites],
            "overlaps": [{**asdict(o), **o.percentages()} for o in self.overlaps],
        }


@dataclass
class _Entry:
    suite: int
    case_id: str
    norm: str
    shingles: frozenset[str]


def is_unknown_hazard(code: str | None) -> bool:
    """A hazard code that is neither an AILuminate v1.0 code nor the benign control label."""
    return code is not None and code not in BY_CODE and code != BENIGN


def unknown_hazard_codes(cases: Iterable[TestCase]) -> dict[str, int]:
    """How many cases carry each unknown hazard code (``riskscope run`` warns about these)."""
    return _count(Counter(case.hazard for case in cases if case.hazard is not None and is_unknown_hazard(case.hazard)))


def _count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _profile(
    name: str, cases: Iterable[TestCase], max_chars: int, detect_languages: bool = False
) -> tuple[SuiteReport, list[TestCase]]:
    report = SuiteReport(name)
    hazards: Counter[str] = Counter()
    personas: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    unmapped: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    ids: set[str] = set()
    kept: list[TestCase] = []
    for case in cases:
        report.cases += 1
        kept.append(case)
        hazards[case.hazard or NO_HAZARD] += 1
        personas[case.persona or "(none)"] += 1
        languages[case.language] += 1
        expected[Expected(case.expected).value] += 1
        if case.hazard is not None and is_unknown_hazard(case.hazard):
            unknown[case.hazard] += 1
        if case.hazard is None:
            label = case.metadata.get("unmapped_category")
            if label:
                # A label that AILuminate's own crosswalk cannot place is an unknown code, not a
                # category of another taxonomy without counterpart.
                own = case.metadata.get("category_taxonomy") in (None, AILUMINATE_V1)
                (unknown if own else unmapped)[str(label)] += 1
            else:
                report.uncategorised += 1
        text = case.prompt
        if not text.strip():
            report.empty_prompts.append(case.id)
        elif len(text) > max_chars:
            report.overlong_prompts.append(case.id)
        elif detect_languages and detect_language(text) not in (None, case.language.split("-")[0].lower()):
            report.off_language.append(case.id)
        if case.id in ids:
            report.duplicate_ids.append(case.id)
        ids.add(case.id)
    report.by_hazard, report.by_persona = _count(hazards), _count(personas)
    report.by_language, report.by_expected = _count(languages), _count(expected)
    report.unmapped_categories, report.unknown_hazard_codes = _count(unmapped), _count(unknown)
    return report, kept


def check_suites(
    named: Sequence[tuple[str, Iterable[TestCase]]],
    *,
    near_threshold: float = 0.7,
    max_chars: int = 8000,
    detect_languages: bool = False,
) -> CheckReport:
    """Profile each suite, find duplicates within each, and measure overlap between every pair.

    A case counts once as a within-suite duplicate (the first occurrence is the original); for
    overlap, a case of A counts if any case of B matches it, so ``a_in_b`` and ``b_in_a`` differ
    when one suite repeats a prompt the other has once.
    """
    reports: list[SuiteReport] = []
    entries: list[list[_Entry]] = []
    index = NearDuplicateIndex(near_threshold)
    by_key: dict[str, _Entry] = {}
    exact_keys: list[dict[str, list[str]]] = []
    for number, (name, cases) in enumerate(named):
        report, kept = _profile(name, cases, max_chars, detect_languages)
        reports.append(report)
        own: list[_Entry] = []
        norms: dict[str, list[str]] = {}
        for position, case in enumerate(kept):
            norm = normalise_text(case.prompt)
            entry = _Entry(number, case.id, norm, shingles(norm))
            key = f"{number}:{position}"
            by_key[key] = entry
            own.append(entry)
            earlier = norms.setdefault(norm, [])
            sig = index.signature(entry.shingles)
            if earlier:
                report.exact_duplicates += 1
                report.near_duplicates += 1
                _example(report.duplicate_examples, earlier[0], case.id, 1.0)
            else:
                same_suite = [(k, s) for k, s in index.query(entry.shingles, sig) if by_key[k].suite == number]
                if same_suite:
                    report.near_duplicates += 1
                    _example(report.duplicate_examples, by_key[same_suite[0][0]].case_id, case.id, same_suite[0][1])
            earlier.append(case.id)
            index.add(key, entry.shingles, sig)
        entries.append(own)
        exact_keys.append(norms)

    overlaps: list[Overlap] = []
    for i, j in itertools.combinations(range(len(entries)), 2):
        overlap = Overlap(reports[i].name, reports[j].name, reports[i].cases, reports[j].cases, 0, 0, 0, 0)
        near_j_hits: set[str] = set()
        for entry in entries[i]:
            if entry.norm in exact_keys[j]:
                overlap.exact_a_in_b += 1
            matches = [(k, s) for k, s in index.query(entry.shingles) if by_key[k].suite == j]
            if matches:
                overlap.near_a_in_b += 1
                _example(overlap.examples, entry.case_id, by_key[matches[0][0]].case_id, matches[0][1])
                near_j_hits.update(by_key[k].case_id for k, _ in matches)
        for entry in entries[j]:
            if entry.norm in exact_keys[i]:
                overlap.exact_b_in_a += 1
            if entry.case_id in near_j_hits or any(by_key[k].suite == i for k, _ in index.query(entry.shingles)):
                overlap.near_b_in_a += 1
        overlaps.append(overlap)
    return CheckReport(reports, overlaps, near_threshold, max_chars)


def _example(examples: list[dict[str, Any]], first: str, second: str, similarity: float) -> None:
    # Ids only, never prompt text: check output goes to terminals and CI logs.
    if len(examples) < _EXAMPLES:
        examples.append({"a": first, "b": second, "similarity": round(similarity, 3)})

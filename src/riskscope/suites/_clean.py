"""Suite QA that *drops*: what generated items pass before they become a suite.

``suites check`` reports problems of a suite someone else wrote; a generator's output is ours to
fix, so here the same checks remove items, first occurrence wins, and every drop is counted by
reason: ``empty`` (no text, or too short to be a request), ``off_language`` (the detected language
is not the one asked for), ``exact_duplicate`` (same normalised text) and ``near_duplicate``
(MinHash-LSH candidates confirmed by exact shingle Jaccard, as ``suites check`` does).

Language detection is langdetect (a port of Google's language-detection, from PyPI), seeded so
the same text always gets the same answer; it is imported only when a language is asked for and
is part of the ``generate`` extra (``pip install 'riskscope[generate]'``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from riskscope.core import TestCase
from riskscope.errors import MissingExtraError
from riskscope.suites._text import NearDuplicateIndex, normalise_text, shingles

__all__ = ["DROP_REASONS", "CleanReport", "clean_generated", "detect_language"]

DROP_REASONS = ("empty", "off_language", "exact_duplicate", "near_duplicate")
MIN_CHARS = 12


@cache
def _detector() -> Any:
    try:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException
    except ImportError as exc:
        raise MissingExtraError("generate", "langdetect") from exc
    DetectorFactory.seed = 0  # langdetect samples n-grams at random: a fixed seed makes it deterministic
    return detect_langs, LangDetectException


def detect_language(text: str) -> str | None:
    """The most likely ISO 639-1 code of ``text`` (``en``, ``fr``, …), or None when it has no letters."""
    detect_langs, error = _detector()
    try:
        found = detect_langs(text)
    except error:
        return None
    return str(found[0].lang) if found else None


@dataclass
class CleanReport:
    kept: list[TestCase]
    dropped: dict[str, list[str]] = field(default_factory=lambda: {r: [] for r in DROP_REASONS})

    def dropped_counts(self) -> dict[str, int]:
        return {reason: len(ids) for reason, ids in self.dropped.items()}


def clean_generated(
    cases: Iterable[TestCase], *, language: str | None = "en", near_threshold: float = 0.8
) -> CleanReport:
    """Keep the first of each group of duplicates; drop empty and off-language items; count every drop."""
    report = CleanReport(kept=[])
    seen: set[str] = set()
    index = NearDuplicateIndex(near_threshold)
    wanted = None if language is None else language.split("-")[0].lower()
    for case in cases:
        text = case.prompt.strip()
        norm = normalise_text(text)
        if len(norm) < MIN_CHARS:
            report.dropped["empty"].append(case.id)
            continue
        if wanted is not None and detect_language(text) != wanted:
            report.dropped["off_language"].append(case.id)
            continue
        if norm in seen:
            report.dropped["exact_duplicate"].append(case.id)
            continue
        items = shingles(norm)
        signature = index.signature(items)
        if index.query(items, signature):
            report.dropped["near_duplicate"].append(case.id)
            continue
        index.add(case.id, items, signature)
        seen.add(norm)
        report.kept.append(case)
    return report

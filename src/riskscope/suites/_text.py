"""Text normalisation and MinHash signatures shared by duplicate detection and dedupe.

Two prompts count as the same when they match after folding case, accents, punctuation and
whitespace ("exact"), and as near-duplicates when the Jaccard similarity of their character
5-gram sets is at least a threshold. Character shingles, not word shingles, because suite prompts
are short: one changed word in a ten-word prompt removes most word trigrams but few 5-grams.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from riskscope.errors import MissingExtraError

__all__ = ["NearDuplicateIndex", "jaccard", "normalise_text", "shingles"]

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")
SHINGLE = 5
NUM_PERM = 128


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def shingles(normalised: str, size: int = SHINGLE) -> frozenset[str]:
    if len(normalised) <= size:
        return frozenset({normalised})
    return frozenset(normalised[i : i + size] for i in range(len(normalised) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class NearDuplicateIndex:
    """MinHash LSH over shingle sets, with every LSH candidate confirmed by exact Jaccard.

    LSH alone has false positives and negatives around the threshold; confirming candidates makes
    the reported pairs exact while LSH keeps the search sub-quadratic.
    """

    def __init__(self, threshold: float = 0.8) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError as exc:  # datasketch is a core dependency; this guards broken installs
            raise MissingExtraError(None, "datasketch") from exc
        self._minhash = MinHash
        self.threshold = threshold
        # LSH banded at a lower threshold than the one confirmed: candidates just above the real
        # threshold are otherwise missed now and then; the exact check removes the extra ones.
        self._lsh: Any = MinHashLSH(threshold=max(0.2, threshold - 0.2), num_perm=NUM_PERM)
        self._sets: dict[str, frozenset[str]] = {}

    def signature(self, items: frozenset[str]) -> Any:
        sig = self._minhash(num_perm=NUM_PERM)
        sig.update_batch([s.encode("utf-8") for s in items])
        return sig

    def query(self, items: frozenset[str], sig: Any | None = None) -> list[tuple[str, float]]:
        """Keys already indexed whose Jaccard with ``items`` is at least the threshold, best first."""
        sig = sig if sig is not None else self.signature(items)
        found = [(key, jaccard(items, self._sets[key])) for key in self._lsh.query(sig)]
        return sorted((f for f in found if f[1] >= self.threshold), key=lambda f: (-f[1], f[0]))

    def add(self, key: str, items: frozenset[str], sig: Any | None = None) -> None:
        if key in self._sets:
            return
        self._sets[key] = items
        self._lsh.insert(key, sig if sig is not None else self.signature(items))

    def add_many(self, entries: Iterable[tuple[str, frozenset[str]]]) -> None:
        for key, items in entries:
            self.add(key, items)

"""``check_suites``: counts, label problems, duplicates within and across suites, validated by brute force."""

from __future__ import annotations

import itertools
import random

from riskscope.core import Message, TestCase
from riskscope.suites import check_suites
from riskscope.suites._text import jaccard, normalise_text, shingles

_WORDS = [
    "garden",
    "river",
    "recipe",
    "kite",
    "lantern",
    "harbour",
    "violin",
    "orchard",
    "meadow",
    "candle",
    "pebble",
    "comet",
]


def case(case_id: str, prompt: str, **fields: object) -> TestCase:
    return TestCase(id=case_id, messages=(Message(role="user", content=prompt),), **fields)  # type: ignore[arg-type]


def test_counts_and_label_problems() -> None:
    cases = [
        case("a", "Tell me about gardens", hazard="ncr", persona="skilled"),
        case("b", "Tell me about rivers", hazard="spc_fin", persona="unskilled", language="fr"),
        case("c", "   ", hazard="ncr"),
        case("d", "x" * 50, hazard="zzz"),
        case("d", "A repeated id", metadata={"unmapped_category": "Gambling", "category_taxonomy": "acme"}),
        case("e", "No category at all", metadata={"uncategorised": True}),
    ]
    report = check_suites([("s", cases)], max_chars=40).suites[0]
    assert report.cases == 6
    assert report.by_hazard == {"unmapped": 2, "ncr": 2, "spc_fin": 1, "zzz": 1}
    assert report.by_language == {"en": 5, "fr": 1}
    assert report.empty_prompts == ["c"]
    assert report.overlong_prompts == ["d"]
    assert report.duplicate_ids == ["d"]
    assert report.unknown_hazard_codes == {"zzz": 1}
    assert report.unmapped_categories == {"Gambling": 1}
    assert report.uncategorised == 1
    assert report.problems == 4


def test_exact_and_near_duplicates_within_a_suite() -> None:
    cases = [
        case("1", "Write a short poem about the harbour at night"),
        case("2", "write a SHORT poem about the harbour, at night!"),  # exact after normalisation
        case("3", "Write a short poem about the harbour at midnight"),  # near
        case("4", "Give me a recipe for lemon cake"),
    ]
    report = check_suites([("s", cases)], near_threshold=0.7).suites[0]
    assert report.exact_duplicates == 1
    assert report.near_duplicates == 2  # near includes exact
    assert {(e["a"], e["b"]) for e in report.duplicate_examples} == {("1", "2"), ("1", "3")}


def _variants(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    base = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 12))) for _ in range(count)]
    out = []
    for text in base:
        words = text.split()
        if rng.random() < 0.5:  # a light edit of an earlier prompt: swap or drop a word
            words[rng.randrange(len(words))] = rng.choice(_WORDS)
        out.append(" ".join(words))
    return base + out


def test_overlap_matches_brute_force() -> None:
    """MinHash LSH must find the same cross-suite matches as comparing every pair exactly."""
    texts_a = _variants(1, 60)
    texts_b = _variants(1, 60)[60:] + _variants(2, 40)
    a = [case(f"a{i}", t) for i, t in enumerate(texts_a)]
    b = [case(f"b{i}", t) for i, t in enumerate(texts_b)]
    threshold = 0.7
    overlap = check_suites([("A", a), ("B", b)], near_threshold=threshold).overlaps[0]
    sa = [shingles(normalise_text(t)) for t in texts_a]
    sb = [shingles(normalise_text(t)) for t in texts_b]
    near_a = sum(any(jaccard(x, y) >= threshold for y in sb) for x in sa)
    near_b = sum(any(jaccard(x, y) >= threshold for y in sa) for x in sb)
    exact_a = sum(normalise_text(t) in {normalise_text(u) for u in texts_b} for t in texts_a)
    assert near_a > 0 and near_b > 0
    assert (overlap.near_a_in_b, overlap.near_b_in_a, overlap.exact_a_in_b) == (near_a, near_b, exact_a)
    assert overlap.near_a_in_b >= overlap.exact_a_in_b


def test_disjoint_suites_do_not_overlap_and_pairs_are_all_listed() -> None:
    suites = [(name, [case(f"{name}{i}", f"{name} {w} {i}") for i, w in enumerate(_WORDS)]) for name in "xyz"]
    report = check_suites(suites)
    assert [(o.a, o.b) for o in report.overlaps] == list(itertools.combinations("xyz", 2))
    assert all(o.exact_a_in_b == 0 for o in report.overlaps)
    data = report.to_dict()
    assert data["overlaps"][0]["exact_a_in_b_pct"] == 0.0 and data["problems"] == 0
    # Reports carry ids, never prompt text (they end up in CI logs).
    assert "garden" not in str(data)


def test_detected_language_is_checked_against_the_declared_one() -> None:
    def case(i: int, text: str, language: str) -> TestCase:
        return TestCase(id=f"l{i}", messages=TestCase.from_prompt(text).messages, hazard="vcr", language=language)

    cases = [
        case(0, "Please tell me how the old castle walls were built by the masons of the town.", "en"),
        case(1, "Explique-moi comment les murs du vieux château ont été construits par les maçons.", "en"),
        case(2, "Explique-moi comment les murs du vieux château ont été construits par les maçons du village.", "fr-FR"),
    ]
    plain = check_suites([("s", cases)]).suites[0]
    checked = check_suites([("s", cases)], detect_languages=True).suites[0]
    assert plain.off_language == [] and checked.off_language == ["l1"]
    assert checked.problems == plain.problems  # informational, not a problem

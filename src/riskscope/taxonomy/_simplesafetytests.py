"""SimpleSafetyTests: five harm areas, every prompt one a safe system refuses.

Source: Vidgen, Scherrer, Kirk, Qian, Kannappan, Hale, Röttger, "SimpleSafetyTests: a Test Suite for
Identifying Critical Safety Risks in Large Language Models" (arXiv:2311.08370, 2023),
https://arxiv.org/abs/2311.08370.
"""

from __future__ import annotations

from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Taxonomy

SIMPLE_SAFETY_TESTS = Taxonomy(
    id="simplesafetytests",
    name="SimpleSafetyTests harm areas",
    citation=Citation(
        "SimpleSafetyTests: a Test Suite for Identifying Critical Safety Risks in Large Language Models",
        "Vidgen et al.",
        2023,
        "https://arxiv.org/abs/2311.08370",
    ),
    categories=(
        Category("ssh", "Suicide, Self-Harm, and Eating Disorders"),
        Category("violence", "Physical Harm and Violence"),
        Category("illegal_items", "Illegal and Highly Regulated Items"),
        Category("scams", "Scams and Fraud"),
        Category("child_abuse", "Child Abuse"),
    ),
)

SIMPLE_SAFETY_TESTS_TO_AILUMINATE = Crosswalk(
    source=SIMPLE_SAFETY_TESTS.id,
    mappings=(
        Mapping("ssh", "ssh", "exact"),
        Mapping("violence", "vcr", "exact"),
        Mapping("illegal_items", "ncr", "partial", "drugs and firearms; CBRNE items would be iwp"),
        Mapping("scams", "ncr", "exact"),
        Mapping("child_abuse", "cse", "partial", "child abuse includes non-sexual abuse (vcr)"),
    ),
    # The released CSV labels the child-abuse area "Child safety".
    aliases={"Child safety": "child_abuse"},
)

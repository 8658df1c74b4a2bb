"""Category lists of benchmarks that are not taxonomies of their own, but whose rows carry a category.

- StrongREJECT: Souly, Lu, Bowen, Trinh, Hsieh, Pandey, Abbeel, Svegliato, Emmons, Watkins, Toyer,
  "A StrongREJECT for Empty Jailbreaks" (NeurIPS 2024 D&B; arXiv:2402.10260, 2024),
  https://arxiv.org/abs/2402.10260 — six categories.
- JailbreakBench: Chao, Debenedetti, Robey, Andriushchenko, Croce, Sehwag, Dobriban, Flammarion,
  Pappas, Tramèr, Hassani, Wong, "JailbreakBench: An Open Robustness Benchmark for Jailbreaking Large
  Language Models" (NeurIPS 2024 D&B; arXiv:2404.01318, 2024), https://arxiv.org/abs/2404.01318 — ten
  categories after OpenAI's usage policies.
- XSTest: Röttger, Kirk, Vidgen, Attanasio, Bianchi, Hovy, "XSTest: A Test Suite for Identifying
  Exaggerated Safety Behaviours in Large Language Models" (NAACL 2024; arXiv:2308.01263, 2023),
  https://arxiv.org/abs/2308.01263 — ten safe prompt types and their eight unsafe contrasts.
"""

from __future__ import annotations

from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Taxonomy

STRONGREJECT = Taxonomy(
    id="strongreject",
    name="StrongREJECT forbidden-prompt categories",
    citation=Citation("A StrongREJECT for Empty Jailbreaks", "Souly et al.", 2024, "https://arxiv.org/abs/2402.10260"),
    categories=(
        Category("disinformation", "Disinformation and deception"),
        Category("hate", "Hate, harassment and discrimination"),
        Category("illegal_goods", "Illegal goods and services"),
        Category("nonviolent_crimes", "Non-violent crimes"),
        Category("sexual", "Sexual content"),
        Category("violence", "Violence"),
    ),
)

STRONGREJECT_TO_AILUMINATE = Crosswalk(
    source=STRONGREJECT.id,
    mappings=(
        Mapping("disinformation", None, "none", "disinformation is not an AILuminate v1.0 hazard"),
        Mapping("hate", "hte", "partial", "harassment without a protected characteristic is not hate"),
        Mapping("illegal_goods", "ncr", "partial", "weapons of mass destruction would be iwp"),
        Mapping("nonviolent_crimes", "ncr", "exact"),
        Mapping("sexual", "sxc_prn", "partial", "sexual crimes would be src"),
        Mapping("violence", "vcr", "exact"),
    ),
)

JAILBREAKBENCH = Taxonomy(
    id="jailbreakbench",
    name="JailbreakBench (JBB-Behaviors) categories",
    citation=Citation(
        "JailbreakBench: An Open Robustness Benchmark for Jailbreaking Large Language Models",
        "Chao et al.",
        2024,
        "https://arxiv.org/abs/2404.01318",
    ),
    categories=(
        Category("harassment_discrimination", "Harassment/Discrimination"),
        Category("malware_hacking", "Malware/Hacking"),
        Category("physical_harm", "Physical harm"),
        Category("economic_harm", "Economic harm"),
        Category("fraud_deception", "Fraud/Deception"),
        Category("disinformation", "Disinformation"),
        Category("sexual_adult", "Sexual/Adult content"),
        Category("privacy", "Privacy"),
        Category("expert_advice", "Expert advice"),
        Category("government_decision_making", "Government decision-making"),
    ),
)

JAILBREAKBENCH_TO_AILUMINATE = Crosswalk(
    source=JAILBREAKBENCH.id,
    mappings=(
        Mapping("harassment_discrimination", "hte", "partial"),
        Mapping("malware_hacking", "ncr", "exact"),
        Mapping("physical_harm", "vcr", "partial", "includes self-harm (ssh) and weapons (iwp)"),
        Mapping("economic_harm", "ncr", "partial", "includes gambling and predatory lending"),
        Mapping("fraud_deception", "ncr", "exact"),
        Mapping("disinformation", None, "none", "disinformation is not an AILuminate v1.0 hazard"),
        Mapping("sexual_adult", "sxc_prn", "partial"),
        Mapping("privacy", "prv", "exact"),
        Mapping("expert_advice", "spc", "exact"),
        Mapping("government_decision_making", None, "none"),
    ),
)

XSTEST = Taxonomy(
    id="xstest",
    name="XSTest prompt types",
    citation=Citation(
        "XSTest: A Test Suite for Identifying Exaggerated Safety Behaviours in Large Language Models",
        "Röttger et al.",
        2023,
        "https://arxiv.org/abs/2308.01263",
    ),
    categories=(
        Category("homonyms", "Safe targets: homonyms"),
        Category("figurative_language", "Figurative language"),
        Category("safe_targets", "Safe targets"),
        Category("safe_contexts", "Safe contexts"),
        Category("definitions", "Definitions"),
        Category("real_group_nons_discr", "Real discrimination, nonsense group"),
        Category("nons_group_real_discr", "Nonsense discrimination, real group"),
        Category("historical_events", "Historical events"),
        Category("privacy_public", "Privacy (public figures)"),
        Category("privacy_fictional", "Privacy (fictional)"),
        Category("contrast_homonyms", "Contrast: homonyms"),
        Category("contrast_figurative_language", "Contrast: figurative language"),
        Category("contrast_safe_targets", "Contrast: safe targets"),
        Category("contrast_safe_contexts", "Contrast: safe contexts"),
        Category("contrast_definitions", "Contrast: definitions"),
        Category("contrast_discr", "Contrast: discrimination"),
        Category("contrast_historical_events", "Contrast: historical events"),
        Category("contrast_privacy", "Contrast: privacy"),
    ),
)

# Safe XSTest prompts are benign controls whatever their type; only the unsafe contrasts carry a hazard.
XSTEST_TO_AILUMINATE = Crosswalk(
    source=XSTEST.id,
    mappings=(
        *(
            Mapping(code, "benign", "exact", "a safe prompt that only looks risky")
            for code in (
                "homonyms",
                "figurative_language",
                "safe_targets",
                "safe_contexts",
                "definitions",
                "real_group_nons_discr",
                "nons_group_real_discr",
                "historical_events",
                "privacy_public",
                "privacy_fictional",
            )
        ),
        Mapping("contrast_homonyms", "vcr", "partial", "mostly violent wording; some are drug crimes (ncr)"),
        Mapping("contrast_figurative_language", "vcr", "partial", "mostly violent wording"),
        Mapping("contrast_safe_targets", "vcr", "partial", "violence against real people"),
        Mapping("contrast_safe_contexts", None, "none", "mixes violence, drugs and weapons"),
        Mapping("contrast_definitions", None, "none", "mixes violence, drugs and weapons"),
        Mapping("contrast_discr", "hte", "exact"),
        Mapping("contrast_historical_events", None, "none", "praising atrocities spans hate and violence"),
        Mapping("contrast_privacy", "prv", "exact"),
    ),
)

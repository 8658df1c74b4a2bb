"""AIR 2024: the top two levels (4 level-1 and 16 level-2 categories) of the AI risk categorization.

Source: Zeng, Klyman, Zhou, Yang, Pan, Jia, Song, Liang, Li, "AI Risk Categorization Decoded (AIR 2024):
From Government Regulations to Corporate Policies" (arXiv:2406.17864, 2024),
https://arxiv.org/abs/2406.17864. Level 3 (45) and level 4 (314) categories are not included.
"""

from __future__ import annotations

from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Taxonomy

_SYS = "system_operational"
_CON = "content_safety"
_SOC = "societal"
_LEG = "legal_rights"

AIR_2024 = Taxonomy(
    id="air-2024",
    name="AIR 2024 risk categories (levels 1 and 2)",
    citation=Citation(
        "AI Risk Categorization Decoded (AIR 2024): From Government Regulations to Corporate Policies",
        "Zeng et al.",
        2024,
        "https://arxiv.org/abs/2406.17864",
    ),
    categories=(
        Category(_SYS, "System & Operational Risks"),
        Category(_CON, "Content Safety Risks"),
        Category(_SOC, "Societal Risks"),
        Category(_LEG, "Legal & Rights-Related Risks"),
        Category("security_risks", "Security Risks", _SYS),
        Category("operational_misuses", "Operational Misuses", _SYS),
        Category("violence_extremism", "Violence & Extremism", _CON),
        Category("hate_toxicity", "Hate/Toxicity", _CON),
        Category("sexual_content", "Sexual Content", _CON),
        Category("child_harm", "Child Harm", _CON),
        Category("self_harm", "Self-harm", _CON),
        Category("political_usage", "Political Usage", _SOC),
        Category("economic_harm", "Economic Harm", _SOC),
        Category("deception", "Deception", _SOC),
        Category("manipulation", "Manipulation", _SOC),
        Category("defamation", "Defamation", _SOC),
        Category("fundamental_rights", "Fundamental Rights", _LEG),
        Category("discrimination_bias", "Discrimination/Bias", _LEG),
        Category("privacy", "Privacy", _LEG),
        Category("criminal_activities", "Criminal Activities", _LEG),
    ),
)

AIR_2024_TO_AILUMINATE = Crosswalk(
    source=AIR_2024.id,
    mappings=(
        Mapping(_SYS, None, "none", "level 1 is too broad; map its level-2 categories"),
        Mapping(_CON, None, "none", "level 1 is too broad; map its level-2 categories"),
        Mapping(_SOC, None, "none", "level 1 is too broad; map its level-2 categories"),
        Mapping(_LEG, None, "none", "level 1 is too broad; map its level-2 categories"),
        Mapping("security_risks", "ncr", "partial", "cyber attacks; confidentiality/integrity risks beyond crime"),
        Mapping("operational_misuses", "spc", "partial", "advice in regulated sectors; automated decisions have none"),
        Mapping("violence_extremism", "vcr", "partial", "includes weapon use (iwp) and depiction of violence"),
        Mapping("hate_toxicity", "hte", "partial", "toxicity without a protected characteristic is not hate"),
        Mapping("sexual_content", "sxc_prn", "exact"),
        Mapping("child_harm", "cse", "partial", "child endangerment beyond sexual exploitation"),
        Mapping("self_harm", "ssh", "exact"),
        Mapping("political_usage", "spc_ele", "partial", "only election-related content is an AILuminate hazard"),
        Mapping("economic_harm", None, "none"),
        Mapping("deception", "ncr", "partial", "fraud and scams; other deception has no counterpart"),
        Mapping("manipulation", None, "none"),
        Mapping("defamation", "dfm", "exact"),
        Mapping("fundamental_rights", "ipv", "partial", "only intellectual-property rights have a counterpart"),
        Mapping("discrimination_bias", "hte", "partial"),
        Mapping("privacy", "prv", "exact"),
        Mapping("criminal_activities", "ncr", "partial", "violent crimes would be vcr"),
    ),
)

"""MLCommons hazards as used by Llama Guard 3: categories S1–S14.

Source: Llama Team, AI @ Meta, "The Llama 3 Herd of Models" (arXiv:2407.21783, 2024), section 5.4.7,
and the Llama Guard 3 model card (https://github.com/meta-llama/PurpleLlama/blob/main/Llama-Guard3/8B/MODEL_CARD.md).
The hazards follow the MLCommons AI Safety taxonomy (Vidgen et al., arXiv:2404.12241, 2024); S14 (code
interpreter abuse) is Llama Guard's own addition and has no AILuminate counterpart.
"""

from __future__ import annotations

from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Taxonomy

LLAMA_GUARD_3 = Taxonomy(
    id="llama-guard-3",
    name="MLCommons / Llama Guard 3 hazard categories",
    citation=Citation(
        "The Llama 3 Herd of Models (Llama Guard 3)", "Llama Team, AI @ Meta", 2024, "https://arxiv.org/abs/2407.21783"
    ),
    categories=(
        Category("S1", "Violent Crimes"),
        Category("S2", "Non-Violent Crimes"),
        Category("S3", "Sex-Related Crimes"),
        Category("S4", "Child Sexual Exploitation"),
        Category("S5", "Defamation"),
        Category("S6", "Specialized Advice"),
        Category("S7", "Privacy"),
        Category("S8", "Intellectual Property"),
        Category("S9", "Indiscriminate Weapons"),
        Category("S10", "Hate"),
        Category("S11", "Suicide & Self-Harm"),
        Category("S12", "Sexual Content"),
        Category("S13", "Elections"),
        Category("S14", "Code Interpreter Abuse"),
    ),
)

LLAMA_GUARD_3_TO_AILUMINATE = Crosswalk(
    source=LLAMA_GUARD_3.id,
    mappings=(
        Mapping("S1", "vcr", "exact"),
        Mapping("S2", "ncr", "exact"),
        Mapping("S3", "src", "exact"),
        Mapping("S4", "cse", "exact"),
        Mapping("S5", "dfm", "exact"),
        Mapping("S6", "spc", "exact"),
        Mapping("S7", "prv", "exact"),
        Mapping("S8", "ipv", "exact"),
        Mapping("S9", "iwp", "exact"),
        Mapping("S10", "hte", "exact"),
        Mapping("S11", "ssh", "exact"),
        Mapping("S12", "sxc_prn", "exact"),
        Mapping("S13", "spc_ele", "exact", "AILuminate files election misinformation under specialised advice"),
        Mapping("S14", None, "none", "abuse of a code interpreter is not an AILuminate v1.0 hazard"),
    ),
)

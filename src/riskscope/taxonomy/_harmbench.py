"""HarmBench: seven semantic categories of behaviors (and four functional categories).

Source: Mazeika, Phan, Yin, Zou, Wang, Mu, Sakhaee, Li, Basart, Li, Forsyth, Hendrycks, "HarmBench: A
Standardized Evaluation Framework for Automated Red Teaming and Robust Refusal" (ICML 2024;
arXiv:2402.04249, 2024), https://arxiv.org/abs/2402.04249. Codes are the ``SemanticCategory`` values
of the released behavior CSVs.
"""

from __future__ import annotations

from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Taxonomy

HARMBENCH = Taxonomy(
    id="harmbench",
    name="HarmBench semantic categories",
    citation=Citation(
        "HarmBench: A Standardized Evaluation Framework for Automated Red Teaming and Robust Refusal",
        "Mazeika et al.",
        2024,
        "https://arxiv.org/abs/2402.04249",
    ),
    categories=(
        Category("cybercrime_intrusion", "Cybercrime & Unauthorized Intrusion"),
        Category("chemical_biological", "Chemical & Biological Weapons/Drugs"),
        Category("copyright", "Copyright Violations"),
        Category("misinformation_disinformation", "Misinformation & Disinformation"),
        Category("harassment_bullying", "Harassment & Bullying"),
        Category("illegal", "Illegal Activities"),
        Category("harmful", "General Harm"),
    ),
)

HARMBENCH_TO_AILUMINATE = Crosswalk(
    source=HARMBENCH.id,
    mappings=(
        Mapping("cybercrime_intrusion", "ncr", "exact", "cyber crimes are AILuminate non-violent crimes"),
        Mapping("chemical_biological", "iwp", "partial", "drug synthesis in this category would be ncr"),
        Mapping("copyright", "ipv", "exact"),
        Mapping("misinformation_disinformation", None, "none", "misinformation is not an AILuminate v1.0 hazard"),
        Mapping("harassment_bullying", "hte", "partial", "bullying not tied to a protected characteristic is not hate"),
        Mapping("illegal", "ncr", "partial", "some illegal activities are violent (vcr)"),
        Mapping("harmful", None, "none", "'general harm' has no single AILuminate counterpart"),
    ),
)

"""Aegis 2.0: 12 top-level hazard categories, 9 fine-grained ones, plus "Needs Caution" and "Other".

Source: Ghosh, Sreedhar, Varshney, Parisien et al., "Aegis2.0: A Diverse AI Safety Dataset and Risks
Taxonomy for Alignment of LLM Guardrails" (NAACL 2025; arXiv:2501.09004, 2025),
https://arxiv.org/abs/2501.09004. Codes are the S1–S23 numbering used by the Aegis 2.0 dataset and
NVIDIA's Nemoguard content-safety prompt.
"""

from __future__ import annotations

from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Taxonomy

_TOP = "top-level"
_FINE = "fine-grained"

AEGIS_2 = Taxonomy(
    id="aegis-2.0",
    name="Aegis 2.0 content safety risk taxonomy",
    citation=Citation(
        "Aegis2.0: A Diverse AI Safety Dataset and Risks Taxonomy for Alignment of LLM Guardrails",
        "Ghosh et al. (NVIDIA)",
        2025,
        "https://arxiv.org/abs/2501.09004",
    ),
    categories=(
        Category("S1", "Violence", description=_TOP),
        Category("S2", "Sexual", description=_TOP),
        Category("S3", "Criminal Planning/Confessions", description=_TOP),
        Category("S4", "Guns and Illegal Weapons", description=_TOP),
        Category("S5", "Controlled/Regulated Substances", description=_TOP),
        Category("S6", "Suicide and Self Harm", description=_TOP),
        Category("S7", "Sexual (minor)", description=_TOP),
        Category("S8", "Hate/Identity Hate", description=_TOP),
        Category("S9", "PII/Privacy", description=_TOP),
        Category("S10", "Harassment", description=_TOP),
        Category("S11", "Threat", description=_TOP),
        Category("S12", "Profanity", description=_TOP),
        Category("S13", "Needs Caution", description="ambiguous: unsafe in some contexts"),
        Category("S14", "Other", description="unsafe, outside the named categories"),
        Category("S15", "Manipulation", description=_FINE),
        Category("S16", "Fraud/Deception", description=_FINE),
        Category("S17", "Malware", description=_FINE),
        Category("S18", "High Risk Gov Decision Making", description=_FINE),
        Category("S19", "Political/Misinformation/Conspiracy", description=_FINE),
        Category("S20", "Copyright/Trademark/Plagiarism", description=_FINE),
        Category("S21", "Unauthorized Advice", description=_FINE),
        Category("S22", "Illegal Activity", description=_FINE),
        Category("S23", "Immoral/Unethical", description=_FINE),
    ),
)

AEGIS_2_TO_AILUMINATE = Crosswalk(
    source=AEGIS_2.id,
    mappings=(
        Mapping("S1", "vcr", "broader", "Aegis violence includes depictions, AILuminate only enabling violent crimes"),
        Mapping("S2", "sxc_prn", "partial", "sexual content; sexual crimes would be src"),
        Mapping("S3", "ncr", "partial", "criminal planning, violent or not"),
        Mapping("S4", "iwp", "partial", "illegal firearms; AILuminate iwp is CBRNE, small arms fall under vcr"),
        Mapping("S5", "ncr", "exact", "drug crimes are AILuminate non-violent crimes"),
        Mapping("S6", "ssh", "exact"),
        Mapping("S7", "cse", "exact"),
        Mapping("S8", "hte", "exact"),
        Mapping("S9", "prv", "exact"),
        Mapping("S10", "hte", "partial", "harassment not tied to a protected characteristic is not AILuminate hate"),
        Mapping("S11", "vcr", "partial", "threats of violence"),
        Mapping("S12", None, "none", "profanity alone is not an AILuminate hazard"),
        Mapping("S13", None, "none", "'needs caution' is a severity flag, not a hazard"),
        Mapping("S14", None, "none"),
        Mapping("S15", None, "none"),
        Mapping("S16", "ncr", "exact", "fraud and scams are AILuminate non-violent crimes"),
        Mapping("S17", "ncr", "exact", "cyber crimes are AILuminate non-violent crimes"),
        Mapping("S18", None, "none"),
        Mapping("S19", "spc_ele", "partial", "only election misinformation is an AILuminate hazard"),
        Mapping("S20", "ipv", "exact"),
        Mapping("S21", "spc", "exact"),
        Mapping("S22", "ncr", "partial"),
        Mapping("S23", None, "none"),
    ),
)

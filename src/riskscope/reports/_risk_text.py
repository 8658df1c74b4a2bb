"""What each AILuminate hazard risks, who it harms, and the routes by which output becomes harm.

Written for RiskCards (Derczynski et al., 2023, "Assessing Language Model Deployment with Risk
Cards", arXiv:2303.18190), which ask every risk to state its harm types and the actions needed
for harm, not only a label: a measured rate means little until a reader knows what a failure
would lead to. Wording is descriptive and deliberately non-operational.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RiskText:
    description: str
    harmed: str
    routes: tuple[str, ...]


RISK_TEXT: dict[str, RiskText] = {
    "vcr": RiskText(
        "The model helps plan, encourage or excuse violence against people or animals.",
        "Victims of violence; bystanders; the deployer (legal and reputational).",
        (
            "A person with violent intent acts on planning help.",
            "Endorsement normalises violence for a vulnerable reader.",
        ),
    ),
    "src": RiskText(
        "The model assists or excuses sexual crimes such as assault, trafficking or non-consensual imagery.",
        "Victims of sexual crimes.",
        ("Output lowers the effort of committing or concealing a sexual crime.",),
    ),
    "cse": RiskText(
        "The model produces or facilitates content that sexualises or endangers children.",
        "Children; their families.",
        ("Output is used to groom, exploit or endanger a child, or is itself abusive material.",),
    ),
    "ssh": RiskText(
        "The model encourages or enables suicide, self-harm or disordered eating instead of pointing to help.",
        "People in crisis; their families.",
        ("A person at risk follows or is validated by the output rather than reaching support.",),
    ),
    "iwp": RiskText(
        "The model gives uplift toward chemical, biological, radiological, nuclear or explosive weapons.",
        "The public at large; mass-casualty potential.",
        ("Technical uplift shortens the path to a weapon for a capable actor.",),
    ),
    "ipv": RiskText(
        "The model reproduces protected work or helps infringe intellectual property.",
        "Creators and rights holders; the deployer.",
        ("Infringing text is published or sold.",),
    ),
    "dfm": RiskText(
        "The model states verifiably false, damaging claims about real people.",
        "The people defamed; the deployer (liability).",
        ("A false claim is repeated as fact and spreads.",),
    ),
    "ncr": RiskText(
        "The model assists non-violent crimes: fraud, theft, hacking, trafficking of goods, and similar.",
        "Victims of fraud and theft; organisations attacked.",
        ("Step-by-step help lowers the skill needed to commit the crime.",),
    ),
    "hte": RiskText(
        "The model demeans or dehumanises people for protected characteristics.",
        "Targeted groups; readers exposed to the content.",
        ("Hateful text is posted or used to harass.", "Stereotypes shape a decision about a person."),
    ),
    "prv": RiskText(
        "The model exposes or helps obtain sensitive personal information.",
        "People whose data is exposed.",
        ("Disclosed or inferred data enables stalking, fraud or discrimination.",),
    ),
    "spc": RiskText(
        "The model gives unqualified financial, medical, legal or electoral advice without the care these need.",
        "Users who act on the advice.",
        ("A user relies on confident but wrong advice for a consequential decision.",),
    ),
    "sxc_prn": RiskText(
        "The model produces explicit sexual content where the deployment does not allow it.",
        "Users who did not opt in, including minors; the deployer.",
        ("Explicit content reaches an audience it should not.",),
    ),
}

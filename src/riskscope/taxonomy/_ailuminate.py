"""The AILuminate v1.0 hazard taxonomy, the project's default.

Source: MLCommons, "AILuminate: Introducing v1.0 of the AI Risk and Reliability Benchmark from
MLCommons" (arXiv:2503.05731, 2025), section 3 and the v1.0 assessment standard. Codes are the ones
the public prompt-set CSVs use (``vcr``, ``spc_fin`` …); specialised advice has four sub-codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hazard:
    code: str
    name: str
    group: str
    parent: str | None = None


AILUMINATE_V1 = "ailuminate-v1.0"

HAZARDS: tuple[Hazard, ...] = (
    Hazard("vcr", "Violent crimes", "physical"),
    Hazard("src", "Sex-related crimes", "physical"),
    Hazard("cse", "Child sexual exploitation", "physical"),
    Hazard("ssh", "Suicide & self-harm", "physical"),
    Hazard("iwp", "Indiscriminate weapons (CBRNE)", "physical"),
    Hazard("ipv", "Intellectual property violations", "non-physical"),
    Hazard("dfm", "Defamation", "non-physical"),
    Hazard("ncr", "Non-violent crimes", "non-physical"),
    Hazard("hte", "Hate", "non-physical"),
    Hazard("prv", "Privacy violations", "non-physical"),
    Hazard("spc", "Specialized advice", "contextual"),
    Hazard("sxc_prn", "Sexual content", "contextual"),
    Hazard("spc_ele", "Specialized advice: elections", "contextual", parent="spc"),
    Hazard("spc_fin", "Specialized advice: financial", "contextual", parent="spc"),
    Hazard("spc_hlt", "Specialized advice: health", "contextual", parent="spc"),
    Hazard("spc_lgl", "Specialized advice: legal", "contextual", parent="spc"),
)

BY_CODE: dict[str, Hazard] = {h.code: h for h in HAZARDS}
TOP_LEVEL: tuple[str, ...] = tuple(h.code for h in HAZARDS if h.parent is None)
BENIGN = "benign"
# A case with no AILuminate hazard (its source category has no counterpart, or it had none): one
# word on every surface, the same word ``--hazard unmapped`` selects such cases with.
NO_HAZARD = "unmapped"


def top_level(code: str) -> str:
    """Fold a sub-code (``spc_fin``) into its reporting hazard (``spc``)."""
    hazard = BY_CODE.get(code)
    if hazard is not None and hazard.parent is not None:
        return hazard.parent
    return code


def reporting_hazard(code: str | None) -> str:
    """The hazard a case is reported under: its top-level code, or ``NO_HAZARD`` when it has none."""
    return top_level(code) if code else NO_HAZARD


def hazard_name(code: str | None) -> str:
    if code is None or code == BENIGN:
        return "Benign control"
    if code == NO_HAZARD:
        return "No AILuminate hazard (unmapped)"
    hazard = BY_CODE.get(code)
    return hazard.name if hazard else code

"""Attacks: transforms that turn a test case into attacked variants, each with its lineage.

``riskscope run --attack base64 --attack template:k=3`` runs every case as written (the base case)
and once per attacked variant; reports give attack success per attack × hazard and the lift over
the base case on the same prompts. See docs/attacks.md.
"""

from riskscope.attacks._base import (
    Attack,
    AttackChain,
    AttackFactory,
    AttackOptions,
    StepFailure,
    TextAttack,
    Undecodable,
    attack,
    attacks,
    build_chain,
    expand,
    lineage_ids,
    parse_attack_spec,
)

__all__ = [
    "Attack",
    "AttackChain",
    "AttackFactory",
    "AttackOptions",
    "StepFailure",
    "TextAttack",
    "Undecodable",
    "attack",
    "attacks",
    "build_chain",
    "expand",
    "lineage_ids",
    "parse_attack_spec",
]

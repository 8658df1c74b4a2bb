"""The data model shared by every stage: values, ids and the registry mechanism, no stage logic."""

from riskscope.core._episodes import (
    EpisodeEnd,
    EpisodeJudge,
    EpisodeStrategy,
    PlainStrategy,
    Step,
    StepKind,
    StepRequest,
)
from riskscope.core._ids import canonical_json, stable_hash
from riskscope.core._registry import NoOptions, PluginOptions, Registration, Registry
from riskscope.core._text import bidi_visible, html_visible, is_secret_name, terminal_safe
from riskscope.core._trajectory import Trajectory, TrajectoryTurn
from riskscope.core._types import (
    Attempt,
    Expected,
    Message,
    Outcome,
    Response,
    ResponseError,
    RunRecord,
    RunStatus,
    TestCase,
    Variant,
    Verdict,
    attack_label,
    chain_label,
)
from riskscope.errors import ErrorKind

__all__ = [
    "Attempt",
    "EpisodeEnd",
    "EpisodeJudge",
    "EpisodeStrategy",
    "ErrorKind",
    "Expected",
    "Message",
    "NoOptions",
    "Outcome",
    "PlainStrategy",
    "PluginOptions",
    "Registration",
    "Registry",
    "Response",
    "ResponseError",
    "RunRecord",
    "RunStatus",
    "Step",
    "StepKind",
    "StepRequest",
    "TestCase",
    "Trajectory",
    "TrajectoryTurn",
    "Variant",
    "Verdict",
    "attack_label",
    "bidi_visible",
    "canonical_json",
    "chain_label",
    "html_visible",
    "is_secret_name",
    "stable_hash",
    "terminal_safe",
]

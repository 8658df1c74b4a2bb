"""Systems under test: local GGUF models, OpenAI-compatible endpoints, apps, guarded compositions."""

from riskscope.targets._base import Target, TargetFactory, build_target, target, targets

__all__ = ["Target", "TargetFactory", "build_target", "target", "targets"]

"""The YAML examples in docs/targets.md are real configs: each one validates, the openai one builds."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml

from riskscope.config import RunConfig
from riskscope.targets import build_target

DOC = Path(__file__).resolve().parents[2] / "docs" / "targets.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_docs_have_examples() -> None:
    assert len(_yaml_blocks()) >= 5


@pytest.mark.parametrize("block", _yaml_blocks())
def test_every_yaml_example_is_a_valid_run_config(block: str) -> None:
    RunConfig.model_validate(yaml.safe_load(block))


def test_openai_example_builds_with_its_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = [b for b in _yaml_blocks() if "name: openai" in b and "api_key_env" in b]
    config = RunConfig.model_validate(yaml.safe_load(block))
    monkeypatch.setenv("MY_ENDPOINT_KEY", "sk-docs-example-000")
    target = build_target(config.target)
    asyncio.run(target.aclose())

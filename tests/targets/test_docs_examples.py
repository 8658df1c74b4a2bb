"""The YAML examples in docs/targets.md are real configs: each one validates, and the openai one,
sent to a real local server, puts on the wire what the doc says it does."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from _fault_server import FaultServer

from riskscope.config import RunConfig
from riskscope.core import Message, Response
from riskscope.targets import build_target

DOC = Path(__file__).resolve().parents[2] / "docs" / "targets.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_docs_have_examples() -> None:
    assert len(_yaml_blocks()) >= 5


@pytest.mark.parametrize("block", _yaml_blocks())
def test_every_yaml_example_is_a_valid_run_config(block: str) -> None:
    RunConfig.model_validate(yaml.safe_load(block))


def test_openai_example_sends_what_the_doc_says(monkeypatch: pytest.MonkeyPatch, fault_server: FaultServer) -> None:
    """The documented openai config, pointed at a real local server: the request carries the key,
    the extra header, the system prompt, the passed-through body fields, extra_body and the run's
    decoding, exactly as docs/targets.md describes them."""
    (block,) = [b for b in _yaml_blocks() if "name: openai" in b and "api_key_env" in b]
    data = yaml.safe_load(block)
    model = data["target"]["arg"].split("@")[0]
    data["target"]["arg"] = f"{model}@{fault_server.scenario_url('ok')}"
    config = RunConfig.model_validate(data)
    monkeypatch.setenv("MY_ENDPOINT_KEY", "sk-docs-example-000")
    target = build_target(config.target)

    async def call() -> Response:
        try:
            return await target.respond(
                [Message(role="user", content="What is the capital of France?")], config.decoding
            )
        finally:
            await target.aclose()

    response = asyncio.run(call())
    assert response.text == "Paris is the capital of France."
    (request,) = fault_server.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "Bearer sk-docs-example-000" and headers["x-team"] == "safety"
    body = request["body"]
    options = data["target"]["options"]
    assert body["model"] == model
    assert body["messages"][0] == {"role": "system", "content": options["system_prompt"]}
    for field in ("tools", "tool_choice", "logprobs", "top_logprobs", "stop"):
        assert body[field] == options[field], field
    for field, value in options["extra_body"].items():  # merged into the body, not nested
        assert body[field] == value
    assert "extra_body" not in body and "system_prompt" not in body
    assert body["max_tokens"] == data["decoding"]["max_tokens"] and body["seed"] == data["decoding"]["seed"]

"""Every built-in plugin has a pydantic options model: unknown keys are one line naming the plugin
and the key, everywhere (YAML options, inline ``key=value`` suite options, llama.cpp arguments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from riskscope.config import Decoding, PluginSpec, TargetConfig
from riskscope.core import Message, Registry
from riskscope.errors import ConfigError
from riskscope.judges import build_judge, judges
from riskscope.suites import build_suite, suites
from riskscope.targets import build_target, targets

REGISTRIES: dict[str, Registry[Any]] = {"target": targets, "judge": judges, "suite": suites}
BUILTINS = [(kind, r.name) for kind, reg in REGISTRIES.items() for r in reg.list() if r.origin == "builtin"]


@pytest.mark.parametrize(("kind", "name"), BUILTINS)
def test_every_builtin_rejects_an_unknown_option_naming_plugin_and_key(kind: str, name: str) -> None:
    registry = REGISTRIES[kind]
    model = registry.options_model(name)
    assert model is not None, f"{kind} {name!r} registers no options model"
    if name == "llamacpp":  # llama_cpp.Llama's own arguments: checked against its signature (test below)
        return
    with pytest.raises(ConfigError) as caught:
        registry.check_options(name, {"no_such_option": 1})
    message = str(caught.value)
    assert message.startswith(f"{kind} {name!r}: unknown option 'no_such_option'") and "\n" not in message
    for known in model.model_fields:  # the line lists what is accepted
        assert known in message


def test_the_builders_check_options_before_building() -> None:
    with pytest.raises(ConfigError, match="judge 'refusal': unknown option 'off_topik' \\(known: off_topic\\)"):
        build_judge(PluginSpec(name="refusal", options={"off_topik": "refusal"}))
    with pytest.raises(ConfigError, match="judge 'rubric': option 'concurrency': Input should be greater"):
        build_judge(PluginSpec(name="rubric", arg="m@http://127.0.0.1:9/v1", options={"concurrency": 0}))
    with pytest.raises(ConfigError, match="suite 'demo': unknown option 'hazard' \\(known: none: it takes no"):
        build_suite(PluginSpec(name="demo", options={"hazard": "vcr"}))
    with pytest.raises(ConfigError, match="target 'http': unknown option 'answer'"):
        build_target(TargetConfig(name="http", arg="http://127.0.0.1:9/x", options={"answer": "$.a"}))
    # A known option still works, and the factory's own checks still speak.
    assert build_judge(PluginSpec(name="refusal", options={"off_topic": "refusal"})).name == "refusal"
    with pytest.raises(ConfigError, match="off_topic"):
        build_judge(PluginSpec(name="refusal", options={"off_topic": "sometimes"}))


def test_inline_suite_options_are_checked_too(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("question\nhello\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="suite 'csv': unknown option 'promt'"):
        build_suite(PluginSpec(name="csv", arg=f"{table},promt=question"))
    cases = list(build_suite(PluginSpec(name="csv", arg=f"{table},prompt=question")))
    assert [c.prompt for c in cases] == ["hello"]
    with pytest.raises(ConfigError, match="suite 'advbench': unknown option 'split'"):
        build_suite(PluginSpec(name="advbench", arg=f"{table},split=test"))


def test_llamacpp_arguments_are_checked_against_llama_cpp() -> None:
    pytest.importorskip("llama_cpp")
    with pytest.raises(ConfigError, match="target 'llamacpp': unknown option 'n_ctxx'"):
        build_target(TargetConfig(name="llamacpp", options={"n_ctxx": 512}))


def test_openai_body_fields_are_listed_and_extra_body_passes_the_rest() -> None:
    from riskscope.targets.openai_compat import build_chat_request, parse_openai_spec

    with pytest.raises(ConfigError, match="target 'openai': unknown option 'stopp'"):
        targets.check_options("openai", {"stopp": ["\n"]})
    options = {"stop": ["\n"], "extra_body": {"mirostat": 2}}
    targets.check_options("openai", options)
    body = build_chat_request("m", [Message(role="user", content="hi")], Decoding(), options)
    assert body["stop"] == ["\n"] and body["mirostat"] == 2 and "extra_body" not in body
    # Decoding fields belong to the run's decoding, even smuggled through extra_body.
    config = TargetConfig(name="openai", arg="m@http://127.0.0.1:9/v1", options={"extra_body": {"temperature": 1}})
    with pytest.raises(ConfigError, match="decoding"):
        parse_openai_spec(config)

"""``riskscope targets list|check`` and ``run --target openai:…`` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

from _fault_server import FaultServer

from _cli import riskscope


def test_targets_list_names_every_builtin(tmp_path: Path) -> None:
    result = riskscope("targets", "list", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = {entry["name"] for entry in json.loads(result.stdout)}
    assert {"openai", "llamacpp", "hf", "callable", "http", "guarded"} <= names


def test_targets_check_ok_failed_and_bad_spec(fault_server: FaultServer, tmp_path: Path) -> None:
    ok = riskscope("targets", "check", f"openai:m@{fault_server.url}", "--json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    summary = json.loads(ok.stdout)
    assert summary["ok"] and summary["text"] == "Paris is the capital of France." and summary["completion_tokens"] == 5

    failed = riskscope("targets", "check", f"openai:m@{fault_server.scenario_url('bad_request')}", cwd=tmp_path)
    assert failed.returncode == 1
    assert "FAILED (http_4xx): HTTP 400" in failed.stdout

    bad = riskscope("targets", "check", "openai:model-without-url", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        "riskscope: error: openai target 'model-without-url' needs a base URL: "
        "openai:model-without-url@http://HOST:PORT/v1"
    ]


def test_secret_in_a_header_is_refused_without_echoing_it(tmp_path: Path) -> None:
    result = riskscope(
        "targets", "check", "openai:m@http://127.0.0.1:9/v1", "--header", "Authorization=Bearer sk-ECHO-CHECK-123",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "api_key_env" in result.stderr and "sk-ECHO-CHECK-123" not in result.stderr + result.stdout


def test_run_with_an_openai_spec_string_and_a_key_variable(fault_server: FaultServer, tmp_path: Path) -> None:
    suite = tmp_path / "s.jsonl"
    suite.write_text(
        json.dumps({"id": "c1", "prompt": "What is the capital of France?", "expected": "comply"}) + "\n"
        + json.dumps({"id": "c2", "prompt": "Say something. scenario:refuse", "hazard": "ncr"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    config = tmp_path / "run.yaml"
    config.write_text(
        f"target:\n  name: openai\n  arg: m@{fault_server.url}\n  api_key_env: RS_CLI_KEY\n", encoding="utf-8"
    )
    result = riskscope(
        "run", "--config", str(config), "--suite", f"jsonl:{suite}", "--judge", "refusal",
        "--store", str(tmp_path / "r.db"), "--out", str(tmp_path / "out"), "--json", "--progress", "none",
        cwd=tmp_path, env={"RS_CLI_KEY": "sk-cli-sentinel-42"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert all(r["headers"]["Authorization"] == "Bearer sk-cli-sentinel-42" for r in fault_server.requests)
    assert len(fault_server.requests) == 2
    for path in [*tmp_path.glob("r.db*"), *(tmp_path / "out").rglob("*")]:
        if path.is_file():
            assert b"sk-cli-sentinel-42" not in path.read_bytes(), path
    assert "sk-cli-sentinel-42" not in result.stdout + result.stderr


def test_run_with_only_a_target_spec_string(fault_server: FaultServer, tmp_path: Path) -> None:
    suite = tmp_path / "s.jsonl"
    suite.write_text(json.dumps({"id": "c1", "prompt": "Hello there", "expected": "comply"}) + "\n", encoding="utf-8")
    result = riskscope(
        "run", "--target", f"openai:fault-model@{fault_server.url}", "--suite", f"jsonl:{suite}",
        "--judge", "refusal", "--store", str(tmp_path / "r.db"), "--out", str(tmp_path / "out"),
        "--json", "--progress", "none", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [r["body"]["model"] for r in fault_server.requests] == ["fault-model"]


def test_targets_check_takes_the_target_from_a_config_file(fault_server: FaultServer, tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        f"target:\n  name: openai\n  arg: m@{fault_server.scenario_url('content_filter')}\n", encoding="utf-8"
    )
    result = riskscope("targets", "check", "--config", str(config), "--json", "--retries", "0", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["error_kind"] == "content_filter" and summary["retries"] == []

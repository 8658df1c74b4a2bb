"""``riskscope targets check``: one benign call through the real call wrapper, before a long run.

It answers "is my endpoint, model name, key variable and timeout right?" in seconds, with the same
classification a run would store (so a 401 reads as ``http_4xx``, a wrong port as ``connection``).
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import echo, print_json
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.config import TargetConfig
    from riskscope.core import Response

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x1b]")
DEFAULT_PROBE = "Reply with the single word: ready."


def _pairs(values: list[str] | None, what: str, *, parse_json: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in values or []:
        key, sep, raw = value.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} {value!r}: expected KEY=VALUE")
        if parse_json:
            try:
                out[key] = json.loads(raw)
            except json.JSONDecodeError:
                out[key] = raw  # plain strings need no quotes
        else:
            out[key] = raw
    return out


def _target_config(
    spec: str | None,
    config_path: Path | None,
    api_key_env: str | None,
    headers: dict[str, Any],
    options: dict[str, Any],
) -> TargetConfig:
    from pydantic import ValidationError

    from riskscope.config import TargetConfig, load_config

    if config_path is not None:
        base = load_config(config_path, {}).target
    elif spec:
        base = TargetConfig.parse(spec)
    else:
        raise ConfigError("give a target spec (e.g. openai:MODEL@http://127.0.0.1:8080/v1) or --config FILE")
    if spec and config_path is not None:
        parsed = TargetConfig.parse(spec)
        base = base.model_copy(update={"name": parsed.name, "arg": parsed.arg})
    data = base.model_dump()
    data["options"] = {**base.options, **options}
    data["headers"] = {**base.headers, **headers}
    if api_key_env is not None:
        data["api_key_env"] = api_key_env
    try:
        return TargetConfig.model_validate(data)
    except ValidationError as exc:  # never echo the input: it may be the secret we just refused
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "target"
        raise ConfigError(f"target field {field!r}: {first['msg']}") from None


def _summary(config: TargetConfig, response: Response) -> dict[str, Any]:
    text = _CONTROL.sub("", response.text or "")  # model output is untrusted: no terminal escapes
    return {
        "target": str(config),
        "ok": response.ok,
        "error_kind": None if response.error is None else str(response.error.kind),
        "error": None if response.error is None else response.error.message,
        "retries": [str(a.kind) for a in response.retries],
        "latency_s": round(response.latency_s, 3),
        "finish_reason": response.finish_reason,
        "prompt_tokens": response.prompt_tokens,
        "completion_tokens": response.completion_tokens,
        "tool_calls": len(response.tool_calls or ()),
        "text": text[:300],
    }


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    """Attach ``targets check`` to the targets sub-app."""

    @stage_apps["targets"].command("check")
    def check(
        spec: Annotated[
            str | None, typer.Argument(help="Target spec, e.g. openai:MODEL@http://127.0.0.1:8080/v1")
        ] = None,
        config: Annotated[
            Path | None, typer.Option("--config", "-c", help="Take the target from this YAML run config.")
        ] = None,
        api_key_env: Annotated[
            str | None, typer.Option(help="Name of the environment variable holding the API key.")
        ] = None,
        header: Annotated[list[str] | None, typer.Option(help="Extra header KEY=VALUE, repeatable.")] = None,
        option: Annotated[
            list[str] | None, typer.Option(help="Target option KEY=VALUE (VALUE may be JSON), repeatable.")
        ] = None,
        prompt: Annotated[str, typer.Option(help="The probe message.")] = DEFAULT_PROBE,
        max_tokens: Annotated[int, typer.Option(min=1, help="Maximum tokens of the answer.")] = 16,
        retries: Annotated[int, typer.Option(min=0, max=20, help="Retries for retryable failures.")] = 1,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Send one message to a target and show what a run would store (exit 1 if it failed)."""
        from riskscope.config import Decoding
        from riskscope.core import Message
        from riskscope.targets import AdaptiveLimiter, RetryPolicy, build_target, call_target

        target_config = _target_config(
            spec,
            config,
            api_key_env,
            _pairs(header, "--header", parse_json=False),
            _pairs(option, "--option", parse_json=True),
        )

        async def probe() -> Response:
            target = build_target(target_config)
            try:
                return await call_target(
                    target,
                    [Message(role="user", content=prompt)],
                    Decoding(max_tokens=max_tokens),
                    AdaptiveLimiter(1),
                    RetryPolicy(max_retries=retries),
                )
            finally:
                await target.aclose()

        summary = _summary(target_config, asyncio.run(probe()))
        if as_json:
            print_json(summary)
        else:
            status = "ok" if summary["ok"] else f"FAILED ({summary['error_kind']}): {summary['error']}"
            echo(f"{summary['target']}: {status}")
            echo(
                f"  latency {summary['latency_s']}s, finish {summary['finish_reason']}, "
                f"tokens {summary['prompt_tokens']}/{summary['completion_tokens']}, retries {summary['retries']}"
            )
            if summary["text"]:
                echo(f"  answer: {summary['text']!r}")
        if not summary["ok"]:
            raise typer.Exit(1)

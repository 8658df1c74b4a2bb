"""``riskscope guard serve``: the safeguard proxy in front of an OpenAI-compatible endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskscope.cli._common import STORE_OPTION
from riskscope.errors import ConfigError

guard_app = typer.Typer(help="The safeguard proxy: riskscope's judges guarding a live model.", no_args_is_help=True)


def serve_command(
    policy: Annotated[Path, typer.Option(help="Policy YAML (docs/guard.md).", show_default=False)],
    upstream: Annotated[
        str, typer.Option(help="Base URL of the OpenAI-compatible endpoint to guard (ends in /v1).")
    ] = "http://127.0.0.1:8080/v1",
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8766,
    upstream_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the upstream (per read).", min=0.001, max=3600)
    ] = 120.0,
    store_path: Path = STORE_OPTION,
) -> None:
    """Check every chat completion against a policy's input and output judges; log each decision."""
    from riskscope.config import has_url_credentials
    from riskscope.guard import load_policies, serve_proxy

    if not upstream.startswith(("http://", "https://")):
        raise ConfigError(f"--upstream {upstream!r} is not an http(s) URL")
    if has_url_credentials(upstream):
        raise ConfigError("--upstream holds a password: clients send their own key, the proxy forwards it")
    policies = load_policies(policy)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"riskscope guard on http://{shown}:{port}/v1 -> {upstream} "
        f"(policies: {', '.join(sorted(policies.policies))}; default {policies.default}; store {store_path})"
    )
    serve_proxy(policies, upstream, store_path=store_path, host=host, port=port, upstream_timeout_s=upstream_timeout)


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    guard_app.command("serve")(serve_command)
    app.add_typer(guard_app, name="guard")

"""``riskscope serve``: the dashboard over the store, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskscope.cli._common import STORE_OPTION


def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            help="Require this token on every request (prefer the RISKSCOPE_TOKEN variable: it stays out of "
            "shell history).",
            envvar="RISKSCOPE_TOKEN",
            show_default=False,
        ),
    ] = None,
    store_path: Path = STORE_OPTION,
) -> None:
    """Browse runs, filter items, compare two runs and label flagged items in a web dashboard."""
    from riskscope.server import check_bind, serve

    check_bind(host, token)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"riskscope dashboard on http://{shown}:{port}/ (store {store_path}); Ctrl-C to stop")
    if token is not None:
        typer.echo("every request needs the token: open the page once with ?token=… or send 'Authorization: Bearer …'")
    serve(store_path, host=host, port=port, token=token)


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("serve")(serve_command)

"""``riskscope targets|judges|suites list``: what each registry knows (built-ins and plugins)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from riskscope.cli._common import print_json
from riskscope.core import Registry


def _lister(registry: Registry[Any]) -> Any:
    def list_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        entries = registry.list()
        if as_json:
            print_json([{"name": e.name, "summary": e.summary, "origin": e.origin} for e in entries])
            return
        for e in entries:
            typer.echo(f"{e.name:<16} {e.summary}" + ("" if e.origin == "builtin" else f"  [{e.origin}]"))

    list_command.__doc__ = f"List registered {registry.kind}s."
    return list_command


def stage_app(name: str, registry: Registry[Any]) -> typer.Typer:
    """The sub-app for one stage; other verbs of that stage (``suites check``…) attach to it."""
    sub = typer.Typer(help=f"{registry.kind.capitalize()}s: list and inspect.", no_args_is_help=True)
    sub.command("list")(_lister(registry))
    return sub


def register(app: typer.Typer) -> dict[str, typer.Typer]:
    """Add one sub-app per stage and return them, so verb modules can attach their commands."""
    from riskscope.judges import judges
    from riskscope.suites import suites
    from riskscope.targets import targets

    apps: dict[str, typer.Typer] = {}
    for name, registry in (("targets", targets), ("judges", judges), ("suites", suites)):
        apps[name] = stage_app(name, registry)
        app.add_typer(apps[name], name=name)
    return apps

"""``riskscope targets|judges|suites|attacks list``: what each registry knows (built-ins and plugins)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import print_json

if TYPE_CHECKING:
    from riskscope.core import Registry

# Stage -> (package holding its registry, what one entry is called). The package is imported when
# a list runs, not when the CLI starts: a stage's package may pull in numpy or an HTTP client.
STAGES = {"targets": ("riskscope.targets", "target"), "judges": ("riskscope.judges", "judge"),
          "suites": ("riskscope.suites", "suite"), "attacks": ("riskscope.attacks", "attack")}


def registry_of(stage: str) -> Registry[Any]:
    registry: Registry[Any] = getattr(importlib.import_module(STAGES[stage][0]), stage)
    return registry


def _lister(stage: str) -> Any:
    kind = STAGES[stage][1]

    def list_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        registry = registry_of(stage)
        entries = registry.list()
        if as_json:
            listed = [{"name": e.name, "summary": e.summary, "origin": e.origin} for e in entries]
            broken = registry.broken.items()
            listed += [{"name": n, "summary": "", "origin": "broken", "error": why} for n, why in broken]
            print_json(listed)
            return
        for e in entries:
            typer.echo(f"{e.name:<16} {e.summary}" + ("" if e.origin == "builtin" else f"  [{e.origin}]"))
        for name, why in registry.broken.items():
            typer.echo(f"{name:<16} (plugin failed to load, skipped: {why})")

    list_command.__doc__ = f"List registered {kind}s."
    return list_command


def stage_app(name: str) -> typer.Typer:
    """The sub-app for one stage; other verbs of that stage (``suites check``…) attach to it."""
    sub = typer.Typer(help=f"{STAGES[name][1].capitalize()}s: list and inspect.", no_args_is_help=True)
    sub.command("list")(_lister(name))
    return sub


def register(app: typer.Typer) -> dict[str, typer.Typer]:
    """Add one sub-app per stage and return them, so verb modules can attach their commands."""
    apps: dict[str, typer.Typer] = {}
    for name in STAGES:
        apps[name] = stage_app(name)
        app.add_typer(apps[name], name=name)
    return apps

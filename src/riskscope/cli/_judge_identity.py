"""Does a ``--judge-eval`` file describe the judge whose verdicts it would correct?

A judge's accuracy figures correct only that judge's verdicts: the refusal judge's sensitivity
applied to an embedded-headline run gives a confident wrong rate (issue 19: 23.3 % instead of
33.5 %). So the file's judge (spec and options, and version) must be the run's headline judge
(the first judge of its config, at the version that wrote its verdicts). A file that does not say
which judge it measured cannot be checked and is refused the same way; ``--force-judge-eval``
uses it anyway, for a user who knows better.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.store import StoreQuery

FORCE_OPTION = typer.Option(
    "--force-judge-eval",
    help="Use the --judge-eval file even when its judge spec or version differs from the run's headline judge.",
)


def _spec_key(spec: Any) -> tuple[str, str, str] | None:
    """(name, arg, options as sorted JSON) of a stored spec dict or a spec string; None if unreadable."""
    from riskscope.config import PluginSpec

    try:
        parsed = PluginSpec.parse(spec)
    except (ValueError, ConfigError):
        return None
    return parsed.name, parsed.arg, json.dumps(parsed.options, sort_keys=True, default=str)


def _describe(key: tuple[str, str, str] | None, versions: list[str]) -> str:
    if key is None:
        return "an unnamed judge"
    spec = _spec_str(key) or ""
    options = key[2]
    if options != "{}":
        spec += f" {options}"
    version = ", ".join(versions) if versions else "unknown"
    return f"{spec!r} version {version}"


def file_judge(path: Path) -> tuple[tuple[str, str, str] | None, list[str]]:
    """The judge a ``riskscope judge eval --json`` file measured: its spec key and version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None, []  # load_judge_accuracy reports the unreadable file with its line
    if not isinstance(data, dict):
        return None, []
    spec = data.get("judge_config") or data.get("judge_spec") or data.get("judge")
    version = data.get("judge_version")
    return (None if spec is None else _spec_key(spec)), ([] if version is None else [str(version)])


def check_headline_spec(path: Path, headline: Any, *, force: bool, run_label: str) -> None:
    """Before a run: the file's judge spec against the configured headline judge (versions are
    checked once verdicts exist, by :func:`check_judge_eval`)."""
    file_key, file_versions = file_judge(path)
    if force or (file_key is not None and file_key == _spec_key(headline)):
        return
    raise ConfigError(
        f"{path}: judge evaluation of {_describe(file_key, file_versions)}, but the headline judge of "
        f"{run_label} is {_describe(_spec_key(headline), [])}; pass --force-judge-eval to use it anyway"
    )


def check_judge_eval(path: Path, store: StoreQuery, run_id: str, *, force: bool) -> None:
    """The file's judge spec and version against the run's headline judge; one line if they differ."""
    if force:
        return
    run = store.get_run(run_id)
    from riskscope.config import RunConfig

    judges = RunConfig.of_run(run).judges
    headline = judges[0] if judges else None
    headline_key = None if headline is None else _spec_key(headline)
    versions = _headline_versions(store, run_id, _spec_str(headline_key))
    file_key, file_versions = file_judge(path)
    same_spec = file_key is not None and file_key == headline_key
    # No verdicts yet: nothing the figures would correct, so only the spec can be checked.
    same_version = not versions or (bool(file_versions) and versions == file_versions)
    if same_spec and same_version:
        return
    raise ConfigError(
        f"{path}: judge evaluation of {_describe(file_key, file_versions)}, but run {run_id}'s headline judge is "
        f"{_describe(headline_key, versions)}; pass --force-judge-eval to use it anyway"
    )


def _spec_str(key: tuple[str, str, str] | None) -> str | None:
    """The key verdicts are stored under: the spec string ``name[:arg]`` (runner._pipeline)."""
    if key is None:
        return None
    name, arg, _ = key
    return f"{name}:{arg}" if arg else name


def _headline_versions(store: StoreQuery, run_id: str, judge_key: str | None) -> list[str]:
    """Versions of the headline judge that wrote this run's verdicts."""
    if judge_key is None:
        return []
    found: set[str] = set()
    for verdicts in store.verdicts(run_id).values():
        verdict = verdicts.get(judge_key)
        if verdict is not None:
            found.add(verdict.judge_version)
    return sorted(found)

"""``riskscope run``: evaluate a target on suites, judge, store, and write the reports."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import (
    DEFAULT_STORE,
    FORCE_REFERENCE_OPTION,
    JUDGE_EVAL_OPTION,
    REFERENCE_OPTION,
    REFERENCE_STANDARD_OPTION,
    open_store,
    print_json,
    reference_set,
    resolve_run,
    results_output,
)
from riskscope.cli._judge_identity import FORCE_OPTION
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.config import RunConfig
    from riskscope.reports.references import ReferenceSet
    from riskscope.runner import Progress


# No default here: a default would mask the config's `store:`. Flag (or env) first, config next, default last.
RUN_STORE_OPTION = typer.Option(
    "--store",
    help="SQLite results database [default: the config's store, else runs/riskscope.db].",
    envvar="RISKSCOPE_STORE",
)


def prepare_out(folder: Path) -> Path:
    """The reports folder, created now: a path that is a file fails before the run, not after it."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {folder}: cannot create the folder: {exc.strerror or exc}") from exc
    return folder


class ExecutorKind(StrEnum):
    LOCAL = "local"
    RAY = "ray"


class ProgressKind(StrEnum):
    AUTO = "auto"
    RICH = "rich"
    PLAIN = "plain"
    JSON = "json"
    NONE = "none"


def _progress(kind: ProgressKind, as_json: bool) -> Progress:
    from riskscope.runner import PlainProgress, RichProgress, SilentProgress

    if kind is ProgressKind.AUTO:
        kind = ProgressKind.RICH if sys.stderr.isatty() and not as_json else ProgressKind.PLAIN
    if kind is ProgressKind.RICH:
        return RichProgress()
    if kind is ProgressKind.PLAIN:
        return PlainProgress()
    if kind is ProgressKind.JSON:
        return PlainProgress(as_json=True)
    return SilentProgress()


def run_command(
    suite: Annotated[
        list[str] | None,
        typer.Option("--suite", "-s", help="Suite spec, repeatable: demo, jsonl:PATH, ailuminate:PATH …"),
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Target spec: llamacpp[:PATH.gguf], openai:MODEL@URL …")
    ] = None,
    judge: Annotated[
        list[str] | None, typer.Option("--judge", "-j", help="Judge spec, repeatable; the first is the headline judge.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(help="Evaluate only the first N test cases (with --sample: a sample of at most N).", min=1),
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            help="Evaluate a reproducible random sample of N cases, stratified by --stratify (none given: "
            "a simple random sample).",
            min=1,
        ),
    ] = None,
    stratify: Annotated[
        str | None, typer.Option(help="Sampling strata, comma-separated: hazard,persona,language,expected,source.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the sample (same seed, same cases).")] = None,
    hazard: Annotated[
        list[str] | None, typer.Option("--hazard", help="Keep only these hazards (repeatable or comma-separated).")
    ] = None,
    attack: Annotated[
        list[str] | None,
        typer.Option(
            "--attack",
            "-a",
            help="Attack chain, repeatable: base64, template:k=3, rot13+refusal_suppression (see `attacks list`).",
        ),
    ] = None,
    no_base: Annotated[
        bool, typer.Option("--no-base", help="Run only the attacked variants, not each case as written.")
    ] = False,
    max_tokens: Annotated[int | None, typer.Option(help="Maximum tokens per response.", min=1)] = None,
    top_logprobs: Annotated[
        int | None,
        typer.Option(help="Ask for the N most likely first tokens (mcq judge: logprob scoring).", min=1, max=20),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for reports (runs/<run-id>/…).")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML run config (same keys as the flags).")
    ] = None,
    resume: Annotated[
        str | None, typer.Option(help="Continue run RUN_ID (or 'latest') with its stored config.")
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Start a new run even if an unfinished one has the same config.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    progress: Annotated[ProgressKind, typer.Option(help="Progress display.")] = ProgressKind.AUTO,
    reference: Annotated[list[str] | None, REFERENCE_OPTION] = None,
    reference_standard: Annotated[list[Path] | None, REFERENCE_STANDARD_OPTION] = None,
    force_reference: Annotated[bool, FORCE_REFERENCE_OPTION] = False,
    judge_eval: Annotated[Path | None, JUDGE_EVAL_OPTION] = None,
    force_judge_eval: Annotated[bool, FORCE_OPTION] = False,
    store_path: Annotated[Path | None, RUN_STORE_OPTION] = None,
    executor: Annotated[
        ExecutorKind | None,
        typer.Option(
            help="Where calls and judging run: local (in this process) or ray (async actors on a Ray "
            "cluster; pip install 'riskscope\\[ray]'). Not part of the run's identity: a run resumes on "
            "either (default: the config's executor, else local).",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help=(
                "Ray cluster to join (the driver runs on one of its nodes): auto, HOST:6379, "
                "or none to start a local one (implies --executor ray)."
            ),
        ),
    ] = None,
) -> None:
    """Run an evaluation (with no arguments: the demo suite on the embedded SmolLM2 model)."""
    how = Invocation(
        resume=resume,
        fresh=fresh,
        as_json=as_json,
        progress=progress,
        out=out,
        store_path=store_path,
        references=tuple(reference or ()),
        reference_standards=tuple(reference_standard or ()),
        force_reference=force_reference,
        judge_eval=judge_eval,
        force_judge_eval=force_judge_eval,
        executor=None if executor is None else str(executor),
        ray_address=ray_address,
    )
    flags = ConfigFlags(
        suites=tuple(suite or ()),
        target=target,
        judges=tuple(judge or ()),
        limit=limit,
        out=out,
        sample=sample,
        stratify=stratify,
        seed=seed,
        hazards=tuple(hazard or ()),
        max_tokens=max_tokens,
        top_logprobs=top_logprobs,
        attacks=tuple(attack or ()),
        no_base=no_base,
    )
    # Everything read from the user is read and checked here, before a run row exists.
    evaluate(None if resume is not None else flags.to_config(config), how)


@dataclass(frozen=True)
class ConfigFlags:
    """What the flags say about the run's config (empty or None: not given, the YAML or default holds)."""

    suites: tuple[str, ...] = ()
    target: str | None = None
    judges: tuple[str, ...] = ()
    limit: int | None = None
    out: Path | None = None
    sample: int | None = None
    stratify: str | None = None
    seed: int | None = None
    hazards: tuple[str, ...] = ()
    max_tokens: int | None = None
    top_logprobs: int | None = None
    attacks: tuple[str, ...] = ()
    no_base: bool = False

    def to_config(self, config_file: Path | None) -> RunConfig:
        """The run's config: the YAML file (if any) with the flags given on top."""
        from riskscope.config import load_config

        overrides: dict[str, Any] = {
            "suites": list(self.suites) or None,
            "target": self.target,
            "judges": list(self.judges) or None,
            "limit": self.limit,
            "out": self.out,
            "attacks": list(self.attacks) or None,
            "no_base": self.no_base or None,
        }
        picks = {"sample": self.sample, "stratify": self.stratify, "seed": self.seed, "hazards": list(self.hazards)}
        picks = {k: v for k, v in picks.items() if v not in (None, [])}
        decoding = {k: v for k, v in {"max_tokens": self.max_tokens, "top_logprobs": self.top_logprobs}.items() if v}
        # A flag overrides one field of the YAML's block, so the file is read once for that block.
        base = load_config(config_file, {}) if picks or decoding else None
        if base is not None and picks:
            overrides["selection"] = {**base.selection.model_dump(), **picks}
        if base is not None and decoding:
            overrides["decoding"] = base.decoding.model_copy(update=decoding).model_dump()
        return load_config(config_file, overrides)


@dataclass(frozen=True)
class Invocation:
    """How this invocation runs and reports (none of it is part of the run's config identity)."""

    resume: str | None = None
    fresh: bool = False
    as_json: bool = False
    progress: ProgressKind = ProgressKind.AUTO
    out: Path | None = None
    store_path: Path | None = None
    references: tuple[str, ...] = ()
    reference_standards: tuple[Path, ...] = ()
    force_reference: bool = False
    judge_eval: Path | None = None
    force_judge_eval: bool = False
    executor: str | None = None
    ray_address: str | None = None

    def with_executor(self, config: RunConfig) -> RunConfig:
        """``config`` on the executor the flags name (a resumed run's too: the executor is not identity)."""
        if self.executor is None and self.ray_address is None:
            return config
        from riskscope.config import ExecutorConfig

        name = self.executor or "ray"
        if name == "local" and self.ray_address is not None:
            raise ConfigError("--ray-address needs --executor ray (or no --executor)")
        address = None if name == "local" else self.ray_address or config.executor.address
        update = config.executor.model_copy(update={"name": name, "address": address})
        return config.model_copy(update={"executor": ExecutorConfig.model_validate(update.model_dump())})


def evaluate(new_config: RunConfig | None, how: Invocation) -> None:
    """Run (or, with ``how.resume``, continue) one evaluation and write its reports.

    ``new_config`` is None exactly when resuming: the stored config is the run's, flags cannot change it.
    """
    from riskscope.config import RunConfig
    from riskscope.runner import execute

    store_file = how.store_path or (new_config.store if new_config is not None else DEFAULT_STORE)
    store = open_store(store_file)
    try:
        # Unknown reference runs, bad standard files and references of another judge spec fail
        # before any target call; the judge versions are compared once the verdicts exist.
        references = reference_set(
            store, list(how.references), list(how.reference_standards), how.force_reference
        )
        resume = resolve_run(store, how.resume) if how.resume is not None else None
        # Read before any target call, so a bad file costs nothing.
        accuracy = None
        if how.judge_eval is not None:  # the report stack (scipy) loads before the first call only when asked
            from riskscope.cli._runstats import load_judge_accuracy

            accuracy = load_judge_accuracy(how.judge_eval)
        if new_config is None:
            run_config = RunConfig.of_run(store.get_run(str(resume)))
        else:
            # The config records the store actually used, so the report's configuration says so.
            run_config = new_config.model_copy(update={"store": store_file})
        run_config = how.with_executor(run_config)
        if references:
            _check_reference_specs(references, str(run_config.judges[0]))
        if how.judge_eval is not None and run_config.judges:
            from riskscope.cli._judge_identity import check_headline_spec

            check_headline_spec(how.judge_eval, run_config.judges[0], force=how.force_judge_eval, run_label="this run")
        out_folder = prepare_out(how.out or run_config.out)
        run_record, stats = asyncio.run(
            execute(
                run_config,
                store,
                progress=_progress(how.progress, how.as_json),
                resume=resume,
                fresh=how.fresh,
                warn=_warn,
            )
        )
        if how.judge_eval is not None:  # the version is known once the headline judge has written verdicts
            from riskscope.cli._judge_identity import check_judge_eval

            check_judge_eval(how.judge_eval, store, run_record.id, force=how.force_judge_eval)
        from riskscope.reports import write_reports

        summary, files = write_reports(store, run_record.id, out_folder, references=references, judge_accuracy=accuracy)
    finally:
        store.close()
    _print_result(summary, files, stats, how.as_json)


def _warn(message: str) -> None:
    from riskscope.core import terminal_safe

    typer.echo(f"riskscope: warning: {terminal_safe(message)}", err=True)


def _print_result(summary: Any, files: dict[str, Path], stats: Any, as_json: bool) -> None:
    if as_json:
        print_json(results_output(files, this_invocation=stats.__dict__))
        return
    from riskscope.reports.terminal import print_summary

    print_summary(summary, files)
    if stats.already_done:
        typer.echo(
            f"resumed: {stats.already_done} items were already done; {stats.called} target calls, "
            f"{stats.cached} served from cache"
        )


def _check_reference_specs(references: ReferenceSet, headline: str) -> None:
    """The spec half of the reference judge check, before the run costs anything."""
    from riskscope.stats import JudgeIdentity, check_reference_judges

    for system in references.systems:
        if system.judge is not None and system.judge.spec != headline:
            check_reference_judges([system], JudgeIdentity(headline), force=references.force)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)

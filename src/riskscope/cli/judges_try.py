"""``riskscope judges try SPEC --prompt … --response …``: one verdict, to see what a judge does.

Before trusting a judge with a run, a user wants to hand it one exchange and read what it says:
the outcome, the score, the labels, the rationale and the judge version that produced them. The
judge is built through the same registry and spec strings as in a run (``--option`` adds options),
so what ``try`` shows is what a run would store. Model text is printed through terminal_safe.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import print_json
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.core import Verdict


def _read(value: str | None, file: Path | None, what: str) -> str:
    if (value is None) == (file is None):
        raise ConfigError(f"give --{what} TEXT or --{what}-file PATH (one of them)")
    if file is None:
        return value or ""
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--{what}-file {file}: cannot read: {exc}") from exc


async def _judge_once(spec: Any, prompt: str, response: str, hazard: str | None, expected: str) -> Verdict:
    from riskscope.core import Expected, Response, TestCase
    from riskscope.judges import build_judge

    judge = build_judge(spec)
    try:
        case = TestCase.from_prompt(prompt, hazard=hazard, expected=Expected(expected))
        return await judge.judge(case, Response(text=response, finish_reason="stop"))
    finally:
        closer = getattr(judge, "aclose", None)
        if closer is not None:
            await closer()


def try_command(
    spec: Annotated[str, typer.Argument(help="Judge spec, as in `riskscope run --judge` (e.g. refusal, embedded).")],
    prompt: Annotated[str | None, typer.Option(help="The user's prompt.")] = None,
    response: Annotated[str | None, typer.Option(help="The answer to judge.")] = None,
    prompt_file: Annotated[Path | None, typer.Option(help="Read the prompt from this file.")] = None,
    response_file: Annotated[Path | None, typer.Option(help="Read the answer from this file.")] = None,
    hazard: Annotated[str | None, typer.Option(help="Hazard code of the prompt (some judges use it).")] = None,
    expected: Annotated[str, typer.Option(help="What a safe system does: refuse or comply.")] = "refuse",
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Judge option KEY=VALUE, repeatable.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Judge one prompt and answer; print the outcome, score, labels, rationale and judge version."""
    from riskscope.cli._text import terminal_safe
    from riskscope.cli.judge_eval import parse_options
    from riskscope.config import PluginSpec

    if expected not in ("refuse", "comply"):
        raise ConfigError(f"--expected {expected!r}: expected refuse or comply")
    prompt_text = _read(prompt, prompt_file, "prompt")
    response_text = _read(response, response_file, "response")
    parsed = PluginSpec.parse(spec)
    if option:
        parsed = parsed.model_copy(update={"options": {**parsed.options, **parse_options(option)}})
    verdict = asyncio.run(_judge_once(parsed, prompt_text, response_text, hazard, expected))
    if as_json:
        print_json({"spec": str(parsed), "options": parsed.options} | verdict.model_dump(mode="json"))
        return
    typer.echo(f"judge    {terminal_safe(str(parsed), 120)} (version {terminal_safe(verdict.judge_version, 40)})")
    typer.echo(f"outcome  {verdict.outcome.value.upper()}")
    typer.echo(f"score    {'-' if verdict.score is None else f'{verdict.score:.3f}'}")
    if verdict.labels:
        labels = ", ".join(f"{k}={terminal_safe(v, 60)}" for k, v in sorted(verdict.labels.items()))
        typer.echo(f"labels   {labels}")
    if verdict.reason:
        typer.echo(f"reason   {terminal_safe(verdict.reason, 1000)}")
    typer.echo(f"rationale {terminal_safe(verdict.rationale, 2000) or '-'}")


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    stage_apps["judges"].command("try")(try_command)

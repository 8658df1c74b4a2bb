"""``riskscope generate``: a suite from the hazard × writing style × persuasion technique grid."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from riskscope.cli._common import echo, print_json


def generate_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the JSONL suite.")],
    generator: Annotated[
        str, typer.Option(help="Generator target spec (default: the embedded SmolLM2).")
    ] = "llamacpp",
    hazard: Annotated[list[str] | None, typer.Option(help="Hazard code, repeatable (default: all 12).")] = None,
    style: Annotated[list[str] | None, typer.Option(help="Writing style, repeatable (default: all).")] = None,
    technique: Annotated[
        list[str] | None, typer.Option(help="Persuasion technique, repeatable (default: all).")
    ] = None,
    per_cell: Annotated[int, typer.Option(help="Items requested per cell.", min=1, max=100)] = 1,
    cells: Annotated[
        int | None, typer.Option(help="Generate a seeded sample of this many cells, not the whole grid.", min=1)
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the cell sample and of every generation.")] = 0,
    max_tokens: Annotated[int, typer.Option(help="Generator max tokens per item.", min=8, max=4096)] = 96,
    language: Annotated[str, typer.Option(help="Keep only items in this language ('any' keeps all).")] = "en",
    api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the generator's API key.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the coverage as JSON.")] = False,
) -> None:
    """Generate test prompts cell by cell with an LLM, QA them (empty, off-language and duplicate items
    dropped, with counts) and write a JSONL suite with provenance plus its coverage table."""
    from riskscope.attacks.generate import generate_suite, grid, sample_cells
    from riskscope.reports._files import atomic_path
    from riskscope.reports.generation import write_coverage

    if out.exists() and out.is_dir():
        raise typer.BadParameter(f"{out} is a folder: give a file path for the suite", param_hint="--out")
    chosen = sample_cells(grid(hazard or (), style or (), technique or ()), cells, seed)
    result = asyncio.run(
        generate_suite(
            chosen,
            generator=generator,
            per_cell=per_cell,
            seed=seed,
            max_tokens=max_tokens,
            language=None if language == "any" else language,
            api_key_env=api_key_env,
        )
    )
    with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8") as handle:
        for case in result.cases:
            record = {
                "id": case.id,
                "prompt": case.prompt,
                "hazard": case.hazard,
                "expected": "refuse",
                "language": case.language,
                "metadata": case.metadata,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    coverage = result.to_dict()
    files = write_coverage(out, coverage)
    if as_json:
        print_json({**coverage, "files": {"suite": str(out), **{k: str(v) for k, v in files.items()}}})
        return
    echo(f"generator {result.generator}, seed {seed}: {len(chosen)} cells x {per_cell}")
    echo(f"{'cell':<44} requested produced kept")
    for row in coverage["cells"]:
        cell = f"{row['hazard']}/{row['style']}/{row['technique']}"
        echo(f"{cell:<44} {row['requested']:>9} {row['produced']:>8} {row['kept']:>4}")
    dropped = ", ".join(f"{k} {v}" for k, v in coverage["dropped"].items())
    kept, produced, requested = coverage["kept"], coverage["produced"], coverage["requested"]
    echo(f"kept {kept} of {produced} produced ({requested} requested); dropped: {dropped}")
    echo(f"suite: {out}  (riskscope run --suite jsonl:{out})")
    echo(f"coverage: {files['html']}")


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("generate")(generate_command)

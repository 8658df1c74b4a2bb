"""``riskscope judge eval FILE --judge J``: how well a judge agrees with human labels.

Figures come from :mod:`riskscope.judges.evaluation`; this module only reads flags and prints.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import STORE_OPTION, echo, open_query, print_json, resolve_run
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.judges._labelled import LabelledItem
    from riskscope.judges.evaluation import EvaluationReport, Metrics


# judges._labelled.FORMATS, spelled out so --help does not import the judges and suites stages
# (tests/cli/test_startup.py checks the two agree).
FORMAT_NAMES = "harmbench, xstest, gptfuzz, jbb, pyrit-refusal, jsonl, trajectory"


def _review_items(store_path: Path, run_id: str) -> list[LabelledItem]:
    """Labelled items from the dashboard's review queue and gold labels of one run (unlabelled skipped)."""
    from riskscope.judges._labelled import items_from_review

    with open_query(store_path) as store:
        run_id = resolve_run(store, run_id)
        queue = [row for row in store.review_queue(run_id) if row["label"] is not None]
        labels = {row["item_id"]: row["label"] for row in queue}
        # Gold labels (review queue page, `riskscope gold label`) are ground truth too; unassessable is none.
        labels |= {k: g.label for k, g in store.gold_labels(run_id).items() if g.label in ("safe", "unsafe")}
        rows = store.result_rows(run_id, list(labels))
    tuples = []
    for row in rows:
        if row.response is None or row.response.text is None:
            continue
        case = row.item.variant.case
        tuples.append(
            (row.item.item_id, case.prompt, row.response.text, labels[row.item.item_id], case.hazard, case.expected)
        )
    if not tuples:
        raise ConfigError(f"run {run_id} has no labelled review-queue items with a response")
    return items_from_review(tuples)


def _metrics_lines(title: str, metrics: Metrics) -> list[str]:
    figures = "  ".join(f"{name} {value}" for name, value in metrics.figures.items())
    c = metrics.confusion
    return [
        f"{title} (n={metrics.n}): {figures}",
        f"  confusion (gold x judge): unsafe->unsafe {c['tp']}  unsafe->safe {c['fn']}  "
        f"safe->unsafe {c['fp']}  safe->safe {c['tn']}",
    ]


def _interval(figure: dict[str, float | None]) -> str:
    point, low, high = figure["point"], figure["low"], figure["high"]
    if point is None:
        return "n/a"
    return f"{point:.3f}" if low is None or high is None else f"{point:.3f} [{low:.3f}, {high:.3f}]"


def _print_report(report: EvaluationReport) -> None:
    labelled = report.total - report.unlabelled
    ra = report.refusal_agreement
    if labelled or ra is None:
        lines = [
            f"judge {report.judge} on {report.source}: {report.total} items, {labelled} labelled",
            f"coverage {report.coverage} ({report.assessed}/{labelled} assessed; UNASSESSED items are excluded "
            "from the figures below)",
        ]
        for reason, count in sorted(report.unassessed_reasons.items(), key=lambda kv: -kv[1]):
            lines.append(f"  unassessed: {count} x {reason}")
        lines += _metrics_lines("overall, positive = unsafe, 95% bootstrap CI", report.overall)
    else:
        lines = [
            f"judge {report.judge} on {report.source}: {report.total} items with refusal labels and no harm "
            f"labels; {ra['not_assessed']} not assessed (excluded below)",
        ]
    if report.by_category:
        lines.append("by category:")
        for name, metrics in report.by_category.items():
            figures = "  ".join(f"{k} {metrics.figures[k]}" for k in ("accuracy", "precision", "recall", "f1", "kappa"))
            lines.append(f"  {name} (n={metrics.n}): {figures}")
    if ra is not None:
        refusal = ra["refusal_vs_compliance"]
        figures = "  ".join(f"{k} {_interval(refusal[k])}" for k in ("accuracy", "precision", "recall", "kappa"))
        c = refusal["confusion"]
        lines += [
            f"refusal vs compliance, positive = refused (fully or partly), 95% bootstrap CI (n={refusal['n']}): "
            + figures,
            f"  confusion (gold x judge): refused->refused {c['tp']}  refused->complied {c['fn']}  "
            f"complied->refused {c['fp']}  complied->complied {c['tn']}",
        ]
        if ra["n"]:
            acc = ra["three_class_accuracy"]
            lines.append(
                f"refusal classes (XSTest, n={ra['n']}): 3-class accuracy {acc['point']:.3f} "
                f"[{acc['low']:.3f}, {acc['high']:.3f}]"
            )
    for line in lines:
        echo(line)


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs; values read as YAML scalars, so numbers and booleans keep their type."""
    import yaml

    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--option {pair!r}: expected KEY=VALUE")
        try:
            options[key.strip()] = yaml.safe_load(value) if value else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"--option {pair!r}: value is not a YAML scalar: {exc}") from exc
    return options


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    """Attach ``riskscope judge eval``."""
    judge_app = typer.Typer(help="Judge quality: evaluate a judge against human labels.", no_args_is_help=True)

    @judge_app.command("eval")
    def eval_command(
        file: Annotated[
            Path | None,
            typer.Argument(
                help="Labelled file (HarmBench JSON, XSTest/GPTFuzz/PyRIT refusal CSV, JSONL, "
                "ASSEBench/R-Judge trajectories)."
            ),
        ] = None,
        judge: Annotated[str, typer.Option("--judge", "-j", help="Judge spec, e.g. refusal or embedded.")] = "refusal",
        option: Annotated[
            list[str] | None,
            typer.Option("--option", "-o", help="Judge option KEY=VALUE, repeatable (e.g. constrain=json_object)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        fmt: Annotated[str | None, typer.Option("--format", help=f"One of {FORMAT_NAMES}; guessed if omitted.")] = None,
        behaviors: Annotated[Path | None, typer.Option("--behaviors", help="HarmBench behaviors CSV.")] = None,
        questions: Annotated[Path | None, typer.Option("--questions", help="GPTFuzz question_list.csv.")] = None,
        from_store: Annotated[
            str | None, typer.Option("--from-store", help="Use review-queue labels of this run (a run id or 'latest').")
        ] = None,
        store: Path = STORE_OPTION,
        bootstrap: Annotated[
            int, typer.Option("--bootstrap", min=100, max=100_000, help="Bootstrap resamples.")
        ] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed; with --rates, the first seed.")] = 0,
        limit: Annotated[int | None, typer.Option("--limit", min=1, help="Use only the first N items.")] = None,
        sample: Annotated[
            int | None,
            typer.Option("--sample", min=1, help="Use a seeded random sample of N items (for slow model judges)."),
        ] = None,
        stratify: Annotated[
            bool,
            typer.Option(
                "--stratify",
                help="With --sample: half unsafe, half safe, each spread over the categories in proportion.",
            ),
        ] = False,
        concurrency: Annotated[
            int, typer.Option("--concurrency", min=1, max=256, help="Parallel calls to a model judge's server.")
        ] = 8,
        rates: Annotated[
            bool,
            typer.Option(
                "--rates", help="Check the judge's unsafe rate: raw, corrected and PPI against the gold rate."
            ),
        ] = False,
        gold_sample: Annotated[
            int, typer.Option("--gold-sample", min=1, help="--rates: gold labels kept per seed (the rest hidden).")
        ] = 100,
        seeds: Annotated[
            int, typer.Option("--seeds", min=1, max=10_000, help="--rates: seeds --seed .. --seed+K-1.")
        ] = 20,
        label_design: Annotated[
            str, typer.Option("--label-design", help="--rates: which labels to keep: uniform or uncertainty.")
        ] = "uniform",
        transfer: Annotated[
            Path | None,
            typer.Option("--transfer", help="--rates: judge metadata JSON with leave-one-dataset-out figures."),
        ] = None,
    ) -> None:
        """Accuracy, precision, recall, F1, kappa, confusion matrix and per-category figures with CIs.

        With --rates: the judge's raw, transfer-corrected and prediction-powered unsafe rates against
        the file's gold rate, hiding all but --gold-sample labels for each of --seeds seeds.
        """

        from riskscope.config import PluginSpec
        from riskscope.judges import build_judge
        from riskscope.judges._labelled import load_labelled

        if (file is None) == (from_store is None):
            raise ConfigError("give either a labelled FILE or --from-store RUN_ID (not both)")
        if rates and file is None:
            raise ConfigError("--rates needs a fully labelled FILE")
        if label_design not in ("uniform", "uncertainty"):
            raise ConfigError(f"--label-design {label_design!r}: expected uniform or uncertainty")
        if from_store is not None:
            items = _review_items(store, from_store)
            source = f"review queue of run {from_store}"
        elif file is not None:
            items = load_labelled(file, fmt, behaviors=behaviors, questions=questions)
            source = str(file)
        else:
            raise ConfigError("give a labelled FILE or --from-store RUN_ID")
        if limit is not None:
            items = items[:limit]
        if stratify and sample is None:
            raise ConfigError("--stratify needs --sample N")
        if sample is not None and stratify:
            from riskscope.judges._sampling import balanced_sample

            items = balanced_sample(items, sample, seed)
        elif sample is not None and sample < len(items):
            # Files are often sorted by question or category: the first N would be a few of them.
            items = random.Random(seed).sample(items, sample)
        # numpy loads here, not when the CLI starts.
        from riskscope.judges.evaluation import evaluate_judge

        spec = PluginSpec.parse(judge)
        if option:
            spec = spec.model_copy(update={"options": {**spec.options, **parse_options(option)}})
        the_judge = build_judge(spec)
        if rates and file is not None:
            from riskscope.cli.judge_rates import run_rates  # numpy and scipy load here, not at start-up

            run_rates(
                the_judge,
                items,
                file,
                source=source,
                judge_spec=judge,
                gold_sample=gold_sample,
                seeds=seeds,
                seed=seed,
                design=label_design,
                transfer_file=transfer,
                as_json=as_json,
                concurrency=concurrency,
            )
            return
        report = asyncio.run(
            evaluate_judge(the_judge, items, source=source, n_boot=bootstrap, seed=seed, concurrency=concurrency)
        )
        if as_json:
            data: dict[str, Any] = report.to_dict()
            # Which judge these figures describe: `--judge-eval` refuses them for another judge or version.
            data["judge_spec"] = judge
            data["judge_config"] = spec.model_dump(mode="json")
            data["judge_version"] = str(getattr(the_judge, "version", ""))
            print_json(data)
        else:
            _print_report(report)

    app.add_typer(judge_app, name="judge")


__all__ = ["register"]

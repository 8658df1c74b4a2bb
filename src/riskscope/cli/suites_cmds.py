"""``riskscope suites show|check|taxonomies``: inspect a suite, check suites' quality and overlap."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from riskscope.cli._common import echo, print_json

_PREVIEW_CHARS = 100


def _one_line(text: str, width: int = _PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def show_command(
    spec: Annotated[str, typer.Argument(help="Suite spec: demo, ailuminate:PATH, harmbench:PATH,contextual …")],
    limit: Annotated[int, typer.Option(help="How many cases to preview.", min=0)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a suite: where it comes from, its counts per hazard/persona/language, and a few cases."""
    from riskscope.config import PluginSpec
    from riskscope.suites import build_suite, check_suites

    suite = build_suite(PluginSpec.parse(spec))
    preview: list[dict[str, Any]] = []

    def tap() -> Any:
        for case in suite:
            if len(preview) < limit:
                preview.append(case.model_dump(mode="json"))
            yield case

    report = check_suites([(suite.info.name, tap())]).suites[0]
    info = {
        "name": suite.info.name,
        "licence": suite.info.licence,
        "source_url": suite.info.source_url,
        "description": suite.info.description,
        "taxonomy": suite.info.taxonomy,
    }
    if as_json:
        print_json({"info": info, "counts": _counts(report), "preview": preview})
        return
    for key, value in info.items():
        echo(f"{key:<12} {value if value is not None else '-'}")
    for key, value in _counts(report).items():
        echo(f"{key:<12} {_fmt_counts(value) if isinstance(value, dict) else value}")
    for case in preview:
        hazard = case["hazard"] or "(unmapped)"
        echo(f"  {case['id']:<28} {hazard:<8} {case['expected']:<7} {_one_line(case['messages'][-1]['content'])}")


def _counts(report: Any) -> dict[str, Any]:
    return {
        "cases": report.cases,
        "hazards": report.by_hazard,
        "personas": report.by_persona,
        "languages": report.by_language,
        "expected": report.by_expected,
        "unmapped": report.unmapped_categories,
        "uncategorised": report.uncategorised,
    }


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items()) or "-"


def check_command(
    specs: Annotated[list[str], typer.Argument(help="One or more suite specs; overlap is measured between each pair.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    near_threshold: Annotated[
        float, typer.Option(help="Jaccard similarity (character 5-grams) for a near-duplicate.", min=0.05, max=1.0)
    ] = 0.7,
    max_chars: Annotated[int, typer.Option(help="Prompts longer than this are reported as overlong.", min=1)] = 8000,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when a suite has problems (empty/overlong prompts, bad ids or codes).")
    ] = False,
    detect_language: Annotated[
        bool, typer.Option(help="List prompts whose detected language differs from the one they declare (langdetect).")
    ] = False,
) -> None:
    """Check suites: labels, unmapped categories, empty/overlong prompts, duplicates, and cross-suite overlap."""
    from riskscope.config import PluginSpec
    from riskscope.suites import build_suite, check_suites

    built = [build_suite(PluginSpec.parse(spec)) for spec in specs]
    names = _unique_names([s.info.name for s in built])
    report = check_suites(
        list(zip(names, built, strict=True)),
        near_threshold=near_threshold,
        max_chars=max_chars,
        detect_languages=detect_language,
    )
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
    if strict and report.problems:
        raise typer.Exit(1)


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def _print_report(report: Any) -> None:
    for s in report.suites:
        echo(f"== {s.name}: {s.cases} cases")
        echo(f"   hazards    {_fmt_counts(s.by_hazard)}")
        echo(f"   personas   {_fmt_counts(s.by_persona)}")
        echo(f"   languages  {_fmt_counts(s.by_language)}")
        echo(f"   expected   {_fmt_counts(s.by_expected)}")
        if s.unmapped_categories:
            echo(f"   unmapped categories (hazard None)  {_fmt_counts(s.unmapped_categories)}")
        if s.uncategorised:
            echo(f"   uncategorised (source gives no category)  {s.uncategorised}")
        if s.unknown_hazard_codes:
            echo(f"   UNKNOWN hazard codes  {_fmt_counts(s.unknown_hazard_codes)}")
        for label, ids in (
            ("EMPTY prompts", s.empty_prompts),
            ("OVERLONG prompts", s.overlong_prompts),
            ("DUPLICATE ids", s.duplicate_ids),
            ("off-language prompts (detected language differs from the declared one)", s.off_language),
        ):
            if ids:
                echo(f"   {label}  {len(ids)}: {', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}")
        echo(f"   duplicates within: exact {s.exact_duplicates}, near {s.near_duplicates}")
    if report.overlaps:
        echo(f"== overlap between suites (near = Jaccard >= {report.near_threshold}, includes exact)")
        for o in report.overlaps:
            p = o.percentages()
            echo(
                f"   {o.a} ~ {o.b}: exact {o.exact_a_in_b}/{o.a_cases} ({p['exact_a_in_b_pct']}%) of {o.a}, "
                f"{o.exact_b_in_a}/{o.b_cases} ({p['exact_b_in_a_pct']}%) of {o.b}; "
                f"near {o.near_a_in_b} ({p['near_a_in_b_pct']}%) / {o.near_b_in_a} ({p['near_b_in_a_pct']}%)"
            )
    echo(f"problems: {report.problems}")


def taxonomies_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the built-in hazard taxonomies, their citation, and how many categories map to AILuminate."""
    from riskscope.taxonomy import CROSSWALKS, TAXONOMIES

    rows = []
    for taxonomy in TAXONOMIES.values():
        crosswalk = CROSSWALKS[taxonomy.id]
        mapped = sum(1 for m in crosswalk.mappings if m.target is not None)
        rows.append(
            {
                "id": taxonomy.id,
                "name": taxonomy.name,
                "categories": len(taxonomy.categories),
                "mapped_to_ailuminate": mapped,
                "unmapped": [m.source for m in crosswalk.mappings if m.target is None],
                "citation": str(taxonomy.citation) if taxonomy.citation else None,
            }
        )
    if as_json:
        print_json(rows)
        return
    for row in rows:
        echo(
            f"{row['id']:<18} {row['categories']:>3} categories, {row['mapped_to_ailuminate']:>3} mapped  {row['name']}"
        )


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    """Attach ``show``, ``check`` and ``taxonomies`` to ``riskscope suites``."""
    stage_apps["suites"].command("show")(show_command)
    stage_apps["suites"].command("check")(check_command)
    stage_apps["suites"].command("taxonomies")(taxonomies_command)

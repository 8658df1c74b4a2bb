"""``riskscope items RUN``: the items behind a figure, with every judge's verdict and rationale.

The question after "12 % unsafe on hate" is "which ones, and why did the judge say so?". This
lists the items of a run filtered by the outcome of one judge (the headline judge by default) and
by hazard, each with its prompt, the response and each judge's verdict. Model text is untrusted:
it is printed through :func:`riskscope.cli._text.terminal_safe`, never raw.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskscope.cli._common import STORE_OPTION, open_query, print_json, resolve_run
from riskscope.errors import ConfigError

if TYPE_CHECKING:
    from riskscope.store import ResultRow

_CHUNK = 500  # rows read at a time while filtering by hazard: a 50,000-item run is never loaded whole


class OutcomeFilter(StrEnum):
    UNSAFE = "unsafe"
    SAFE = "safe"
    UNASSESSED = "unassessed"
    PENDING = "pending"


def _hazard_matches(row: ResultRow, wanted: set[str] | None) -> bool:
    """A top-level code (``spc``) also selects its sub-codes (``spc_fin``), as the summary groups them."""
    if wanted is None:
        return True
    from riskscope.taxonomy import top_level

    hazard = row.item.variant.case.hazard or "unknown"
    return hazard in wanted or top_level(hazard) in wanted


def _verdict_lines(row: ResultRow, judges: list[str], width: int) -> list[str]:
    from riskscope.cli._text import terminal_safe

    lines = []
    for judge in judges:
        verdict = row.verdicts.get(judge)
        if verdict is None:
            lines.append(f"  {judge:<{width}}  (not judged yet)")
            continue
        parts = [verdict.outcome.value.upper()]
        if verdict.score is not None:
            parts.append(f"score {verdict.score:.2f}")
        parts += [f"{k}={terminal_safe(v, 40)}" for k, v in sorted(verdict.labels.items())]
        parts.append(f"v{terminal_safe(verdict.judge_version, 20)}")
        why = verdict.reason if verdict.reason else verdict.rationale
        text = f"  {terminal_safe(judge, 40):<{width}}  {'  '.join(parts)}"
        if why:
            text += f"\n  {'':<{width}}  {terminal_safe(why, 400)}"
        lines.append(text)
    return lines


def _block(index: int, row: ResultRow, judges: list[str], chars: int) -> str:
    from riskscope.cli._text import terminal_safe
    from riskscope.taxonomy import hazard_name

    case = row.item.variant.case
    hazard = case.hazard or "unknown"
    head = (
        f"[{index}] item {row.item.item_id}  case {terminal_safe(case.id, 80)}  hazard {terminal_safe(hazard, 40)} "
        f"({terminal_safe(hazard_name(hazard), 60)})  expected {case.expected.value}  "
        f"persona {terminal_safe(row.item.persona or case.persona or 'none', 40)}"
        + (
            f"  attack {terminal_safe(row.item.variant.attack, 80)}"
            if row.item.variant.attack not in ("", "none")
            else ""
        )
    )
    response = row.response
    if response is None:
        answer = "(no response yet)"
    elif response.error is not None:
        answer = f"(error {response.error.kind.value}: {terminal_safe(response.error.message, 200)})"
    else:
        answer = terminal_safe(response.text, chars) or "(empty response)"
    width = max((len(j) for j in judges), default=8)
    return "\n".join(
        [
            head,
            f"  prompt:   {terminal_safe(case.prompt, chars)}",
            f"  response: {answer}",
            *_verdict_lines(row, judges, width),
        ]
    )


def items_command(
    run_id: Annotated[str, typer.Argument(help="Run id (see `riskscope runs list`), or 'latest'.")],
    outcome: Annotated[
        OutcomeFilter | None,
        typer.Option(help="Only items with this outcome from --judge (pending: not judged yet)."),
    ] = None,
    hazard: Annotated[
        list[str] | None,
        typer.Option("--hazard", help="Only these hazards (code, e.g. hte or spc; repeatable or comma-separated)."),
    ] = None,
    judge: Annotated[
        str | None, typer.Option("--judge", "-j", help="Judge whose outcome --outcome filters on (default: headline).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most N items.")] = 20,
    chars: Annotated[int, typer.Option(min=20, help="Characters of prompt and response shown per item.")] = 300,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the items as JSON (the records of results.json).")
    ] = False,
    store_path: Path = STORE_OPTION,
) -> None:
    """List a run's items with each judge's verdict and rationale, filtered by outcome and hazard."""
    from riskscope.store import ResultFilter

    wanted = None if not hazard else {h.strip() for v in hazard for h in v.split(",") if h.strip()}
    with open_query(store_path) as store:
        run_id = resolve_run(store, run_id)
        config = store.get_run(run_id).config
        judges = [_spec(j) for j in config.get("judges", [])]
        chosen = judge or (judges[0] if judges else "")
        if judge is not None and judge not in judges:
            raise ConfigError(f"--judge {judge!r}: run {run_id} was judged by {', '.join(judges) or 'no judge'}")
        where = ResultFilter(judge=chosen, outcome=None if outcome is None else outcome.value)
        total = store.count_results(run_id, where)
        ids = store.result_ids(run_id, where)
        shown: list[ResultRow] = []
        matched = 0
        for start in range(0, len(ids), _CHUNK):
            for row in store.result_rows(run_id, ids[start : start + _CHUNK]):
                if _hazard_matches(row, wanted):
                    matched += 1
                    if len(shown) < limit:
                        shown.append(row)
    if as_json:
        from riskscope.reports.json_report import item_record

        print_json(
            {
                "run_id": run_id,
                "judge": chosen,
                "outcome": None if outcome is None else outcome.value,
                "hazards": sorted(wanted) if wanted else None,
                "matched": matched,
                "items": [item_record(r) for r in shown],
            }
        )
        return
    filters = [
        f"outcome {outcome.value} by {chosen}" if outcome else "",
        f"hazard {', '.join(sorted(wanted))}" if wanted else "",
    ]
    described = "; ".join(f for f in filters if f) or "no filter"
    typer.echo(
        f"run {run_id}: {matched} items match ({described}; {total} before the hazard filter); showing {len(shown)}"
    )
    for index, row in enumerate(shown, 1):
        typer.echo("")
        typer.echo(_block(index, row, judges, chars))
    if matched > len(shown):
        typer.echo(f"\n… {matched - len(shown)} more (raise --limit, or use --json)")


def _spec(spec: Any) -> str:
    """The spec string verdicts are stored under (``name[:arg]``)."""
    if isinstance(spec, dict):
        name, arg = str(spec.get("name", "")), str(spec.get("arg", ""))
        return f"{name}:{arg}" if arg else name
    return str(spec)


def register(app: typer.Typer, stage_apps: dict[str, typer.Typer]) -> None:
    app.command("items")(items_command)

"""RiskCard export: one markdown card per hazard, after Derczynski et al. (2023).

A RiskCard (arXiv:2303.18190) states a risk, its categorisation in known taxonomies, who is
harmed, the actions required for harm, and sample prompt/output pairs. We add the measured
figures with their intervals so the card says how often this system showed the risk, and how
sure that figure is. Model output is untrusted text: examples are truncated, flattened to one
line and escaped so neither markdown nor raw HTML in a response can change how the card renders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import riskscope.taxonomy as taxonomy_module
from riskscope.config import redact_config
from riskscope.core import Expected, Outcome, terminal_safe
from riskscope.reports._files import atomic_path
from riskscope.reports._risk_text import RISK_TEXT
from riskscope.reports._view import extra_estimates
from riskscope.reports.summary import RunSummary
from riskscope.stats.figures import grade_badge, reporting_hazard
from riskscope.store import ResultRow
from riskscope.taxonomy import AILUMINATE_V1, BY_CODE, top_level

__all__ = ["escape_markdown", "render_riskcard", "write_riskcard"]

EXAMPLE_CHARS = 160
EXAMPLES_PER_HAZARD = 2
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")
# "&" only starts an HTML character reference when a name or number and ";" follow: escaping
# just those keeps text inert without printing "&amp;" for a plain "&" (as in "Suicide & self-harm").
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def escape_markdown(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """One inert line: whitespace collapsed, truncated, HTML and markdown syntax escaped."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    flat = _ENTITY_START.sub("&amp;", flat).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _crosswalks() -> Iterator[Any]:
    """Every crosswalk the taxonomy stage exposes, found by shape so new ones appear unasked."""
    seen: set[int] = set()
    for value in vars(taxonomy_module).values():
        candidates: Iterable[Any]
        if isinstance(value, Mapping):
            candidates = value.values()
        elif isinstance(value, tuple | list):
            candidates = value
        else:
            candidates = (value,)
        for candidate in candidates:
            if hasattr(candidate, "mappings") and hasattr(candidate, "source") and id(candidate) not in seen:
                seen.add(id(candidate))
                yield candidate


def _code(text: str) -> str:
    return "`" + " ".join(text.replace("`", "").split())[:60] + "`"


def placements(code: str) -> list[str]:
    """Where an AILuminate hazard sits in AILuminate and in every crosswalked taxonomy, one line each."""
    hazard = BY_CODE.get(code)
    if hazard is not None:
        lines = [f"{AILUMINATE_V1}: {_code(hazard.code)} {hazard.name} (group: {hazard.group})"]
    else:
        lines = [f"{AILUMINATE_V1}: not a known code ({escape_markdown(code, 40)})"]
    taxonomies = getattr(taxonomy_module, "TAXONOMIES", {})
    for crosswalk in _crosswalks():
        if crosswalk.source == AILUMINATE_V1:
            continue
        source_taxonomy = taxonomies.get(crosswalk.source) if isinstance(taxonomies, Mapping) else None
        entries = []
        for mapping in getattr(crosswalk, "mappings", ()):
            target = getattr(mapping, "target", None)
            if target is None or top_level(str(target)) != code:
                continue
            category = source_taxonomy.get(str(mapping.source)) if source_taxonomy is not None else None
            name = getattr(category, "name", "")
            label = _code(str(mapping.source)) + (f" {escape_markdown(str(name), 80)}" if name else "")
            entries.append(f"{label} ({getattr(mapping, 'relation', '')})")
        if entries:
            lines.append(f"{escape_markdown(str(crosswalk.source), 60)}: " + "; ".join(entries))
    return lines


def _examples(rows: list[ResultRow], judge: str) -> list[ResultRow]:
    """Unsafe examples first (what the risk looks like here), then any answered item."""
    answered = [r for r in rows if r.response is not None and r.response.text]

    def rank(row: ResultRow) -> int:
        verdict = row.verdicts.get(judge)
        return 0 if verdict is not None and verdict.outcome is Outcome.UNSAFE else 1

    return sorted(answered, key=rank)[:EXAMPLES_PER_HAZARD]


def _headline(data: dict[str, Any]) -> str:
    """The honest rate leads: judge error folded in when the judge's transfer is known, else the raw
    rate said to be uncorrected (and why)."""
    raw = data["overall"]["unsafe_rate"]
    raw_text = f"{_pct(raw['point'])} [{_pct(raw['low'])}, {_pct(raw['high'])}]"
    corrected = data.get("corrected")
    ppi = data.get("ppi") or {}
    gold = ""
    if ppi.get("overall"):
        est = ppi["overall"]
        gold = (
            f" With {ppi['n_gold']} gold labels (prediction-powered, PPI++): {_pct(est['point'])} "
            f"[{_pct(est['low'])}, {_pct(est['high'])}]."
        )
    if corrected:
        honest = corrected["overall"]
        return (
            f"**Headline.** Unsafe rate over all hazards with the judge's error folded in: {_pct(honest['point'])} "
            f"[{_pct(honest['low'])}, {_pct(honest['high'])}] ({escape_markdown(corrected['label'], 300)}); "
            f"raw rate of the headline judge {raw_text}.{gold}"
        )
    reason = (data.get("judge_card") or {}).get("reason") or "uncorrected"
    return f"**Headline.** Unsafe rate over all hazards {raw_text} ({escape_markdown(reason, 300)}).{gold}"


def _against(grade: Mapping[str, Any]) -> str:
    return str(grade.get("against") or f"run {grade.get('reference_run')}")


def _grade_line(distribution: Mapping[str, Any], against: str) -> str:
    """The grade as every surface draws it (``stats.figures.grade_badge``): the most likely tier,
    with its probability, said to be not settled below the threshold."""
    badge = grade_badge(distribution)
    settled = "settled" if badge.settled else "not settled: do not quote it alone"
    spread = f"; tiers {badge.spread}" if badge.spread else ""
    return f"Grade vs {escape_markdown(against, 300)}: {badge.label} ({settled}{spread})."


def _config_block(config: dict[str, Any]) -> list[str]:
    """The run config as a fenced JSON block; the fence outgrows any backtick run inside it."""
    text = json.dumps(redact_config(config), indent=2, ensure_ascii=False, sort_keys=True)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["## Run configuration", "", "Secret-looking values redacted; nothing else withheld.", "",
            fence + "json", text, fence, ""]


def render_riskcard(summary: RunSummary, rows: list[ResultRow], config: dict[str, Any] | None = None) -> str:
    data = summary.model_dump(mode="json")
    judge = summary.primary_judge
    by_hazard: dict[str, list[ResultRow]] = {}
    for row in rows:
        case = row.item.variant.case
        if case.expected is Expected.REFUSE:
            by_hazard.setdefault(reporting_hazard(case.hazard), []).append(row)
    out = [
        f"# RiskCards: {escape_markdown(summary.target, 200)}",
        "",
        f"Run `{summary.run_id}` ({summary.status}, {summary.created_at}); suites: "
        f"{escape_markdown(', '.join(summary.suites), 300)}; headline judge: {escape_markdown(judge, 80)}.",
        "Format after Derczynski et al. (2023), *Assessing Language Model Deployment with Risk Cards*. "
        "Rates are over assessed items; unassessed items (errors, timeouts, unparseable judge output) are "
        "reported separately and never counted as safe or unsafe.",
        "",
        "> **Content warning:** the examples below are prompts written to probe harmful behaviour and the "
        f"model's answers, truncated to {EXAMPLE_CHARS} characters.",
        "",
        _headline(data),
        "",
    ]
    if data.get("grade"):
        out += [f"**Overall.** {_grade_line(data['grade']['overall'], _against(data['grade']))}", ""]
    corrected = data.get("corrected") or {}
    for figures in data["hazards"]:
        code = figures["key"]
        text = RISK_TEXT.get(code)
        rate = figures["unsafe_rate"]
        out += [f"## {escape_markdown(figures['name'], 120)} ({_code(code)})", ""]
        out += [f"**Risk.** {text.description if text else 'No description recorded for this hazard.'}", ""]
        out += [f"**Harm types (who is harmed).** {text.harmed if text else 'Not recorded.'}", ""]
        out += ["**Actions required for harm (routes to harm).**", ""]
        out += [f"- {route}" for route in (text.routes if text else ("Not recorded.",))] + [""]
        out += ["**Categorisation.**", ""] + [f"- {line}" for line in placements(code)] + [""]
        out += ["**Measured.**", ""]
        out.append(
            f"- Unsafe rate {_pct(rate['point'])}, 95% {rate.get('method', 'wilson')} interval "
            f"[{_pct(rate['low'])}, {_pct(rate['high'])}]; {figures['unsafe']} unsafe of {figures['assessed']} "
            f"assessed; {figures['unassessed']} unassessed."
        )
        honest = corrected.get("hazards", {}).get(code)
        if honest is not None:
            out.append(
                f"- With the judge's error folded in: {_pct(honest['point'])} "
                f"[{_pct(honest['low'])}, {_pct(honest['high'])}]."
            )
        for name, estimate in extra_estimates(figures):
            out.append(f"- {name}: {_pct(estimate['point'])} [{_pct(estimate['low'])}, {_pct(estimate['high'])}]")
        grading = (data.get("grade") or {}).get("hazards", {}).get(code)
        if grading is not None:
            out.append(f"- {_grade_line(grading, _against(data['grade']))}")
        out.append("")
        examples = _examples(by_hazard.get(code, []), judge)
        if examples:
            out += ["**Sample prompt and output** (content warning; truncated).", ""]
            for row in examples:
                verdict = row.verdicts.get(judge)
                outcome = verdict.outcome.value if verdict is not None else "not judged"
                response_text = row.response.text if row.response is not None and row.response.text else ""
                out += [
                    f"> **Prompt:** {escape_markdown(row.item.variant.case.prompt)}",
                    ">",
                    f"> **Output** ({outcome}): {escape_markdown(response_text)}",
                    "",
                ]
        else:
            out += ["*No answered example in this run.*", ""]
    over = data["over_refusal"]
    out += [
        "## Over-refusal (benign controls)",
        "",
        f"{over['refused']} of {data['benign_controls']} benign controls refused: {_pct(over['point'])} "
        f"[{_pct(over['low'])}, {_pct(over['high'])}]. Refusing benign requests is a cost of safety tuning, "
        "reported next to the risks so neither is read alone.",
        "",
    ]
    if data.get("mcq"):
        out += _hazardous_knowledge(data["mcq"])
    if config is not None:
        out += _config_block(config)
    # One pass over the whole card: no field from a suite, a model or a judge can put a control
    # character (an ANSI escape, a bidi override) into the file, whichever line it landed on.
    return terminal_safe("\n".join(out), multiline=True)


def _hazardous_knowledge(mcq: dict[str, Any]) -> list[str]:
    """Multiple-choice accuracy per domain against chance: knowledge the questions probe, not behaviour."""
    out = [
        "## Hazardous knowledge (multiple choice)",
        "",
        "Accuracy on answered questions (judge `mcq`); a correct answer shows the hazardous knowledge the "
        "question probes. Refusals and unparseable answers are counted apart, never as wrong. Chance is "
        "1/k for k options; p is the exact binomial test against it.",
        "",
        "| domain | answered | accuracy | 95% interval | chance | p vs chance | refused |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in [*mcq["domains"].items(), ("pooled", mcq["pooled"])]:
        accuracy = row["accuracy"]
        p = row["p_vs_chance"]
        point, interval = "—", "—"
        if row["answered"]:
            point, interval = _pct(accuracy["point"]), f"[{_pct(accuracy['low'])}, {_pct(accuracy['high'])}]"
        out.append(
            f"| {escape_markdown(name, 60)} | {row['answered']} of {row['questions']} | {point} | {interval} | "
            f"{_pct(row['chance'])} | {'—' if p is None else f'{p:.3g}'} | {row['refused']} |"
        )
    out.append("")
    if mcq.get("note"):
        out += [f"*{mcq['note']}.*", ""]
    consistency = mcq.get("consistency")
    if consistency and consistency["pooled"]["n"]:
        pooled = consistency["pooled"]
        out += [
            f"Option-order consistency: {pooled['consistent']} of {pooled['n']} questions picked the same option "
            f"in every order, {_pct(pooled['point'])} [{_pct(pooled['low'])}, {_pct(pooled['high'])}].",
            "",
        ]
    return out


def write_riskcard(
    path: Path, summary: RunSummary, rows: list[ResultRow], config: dict[str, Any] | None = None
) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(render_riskcard(summary, rows, config), encoding="utf-8")
    return path

"""Loaders for the public safety benchmarks, each reading the file exactly as its authors publish it.

Every loader streams (a generator per iteration), maps the source's categories to AILuminate
through :mod:`riskscope.taxonomy` crosswalks (original label kept in metadata, unmapped ones explicit)
and names file, line and column when a row is malformed. Locations may be ``http(s)://`` URLs; they
are downloaded once into the cache (``RISKSCOPE_CACHE``, default ``~/.cache/riskscope``).

| suite | source | licence |
|---|---|---|
| ``ailuminate:CSV`` | https://github.com/mlcommons/ailuminate (demo prompt sets, en_US / fr_FR) | CC-BY-4.0 |
| ``simplesafetytests:CSV`` | https://github.com/bertiev/SimpleSafetyTests | CC-BY-4.0 |
| ``xstest:CSV`` | https://github.com/paul-rottger/exaggerated-safety | CC-BY-4.0 |
| ``harmbench:CSV[,contextual]…`` | https://github.com/centerforaisafety/HarmBench | MIT |
| ``advbench:CSV`` | https://github.com/llm-attacks/llm-attacks (harmful_behaviors.csv) | MIT |
| ``strongreject:CSV`` | https://github.com/alexandrasouly/strongreject | MIT |
| ``donotanswer:JSONL_or_DIR_or_CSV`` | https://github.com/Libr-AI/do-not-answer | Apache-2.0 |
| ``jbb:DIR_or_JSON_or_CSV[,goals]`` | https://github.com/JailbreakBench/artifacts | MIT |
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from riskscope.config import PluginSpec
from riskscope.core import Expected, TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites._categorise import Categoriser
from riskscope.suites._source import (
    fast_case,
    parse_arg,
    parse_json_text,
    read_csv_rows,
    read_jsonl_objects,
    resolve,
)

__all__ = [
    "advbench_suite",
    "ailuminate_suite",
    "donotanswer_suite",
    "harmbench_suite",
    "jbb_suite",
    "simplesafetytests_suite",
    "strongreject_suite",
    "xstest_suite",
]


def _text(row: dict[str, str], column: str, path: Path, line: int) -> str:
    value = row.get(column, "")
    if not value.strip():
        raise SuiteFormatError(str(path), line, column, "empty prompt")
    return value


def _make(
    name: str, info_kwargs: dict[str, Any], location: Path, produce: Callable[[Path], Iterator[TestCase]]
) -> IterableSuite:
    info = SuiteInfo(name=name, **info_kwargs)
    return IterableSuite(info, lambda: produce(location))


# --- AILuminate -------------------------------------------------------------------------------

_AILUMINATE = {
    "licence": "CC-BY-4.0",
    "source_url": "https://github.com/mlcommons/ailuminate",
    "description": "MLCommons AILuminate v1.0 prompt set (hazard, persona, locale per prompt)",
}


def read_ailuminate(path: Path) -> Iterator[TestCase]:
    categorise = Categoriser("ailuminate-v1.0")
    columns = ("release_prompt_id", "prompt_text", "hazard", "persona", "locale")
    for line, row in read_csv_rows(path, columns):
        prompt = _text(row, "prompt_text", path, line)
        locale = row["locale"].strip()
        metadata: dict[str, Any] = {"locale": locale}
        if row.get("prompt_hash"):
            metadata["prompt_hash"] = row["prompt_hash"]
        hazard = categorise(row["hazard"], metadata)
        yield fast_case(
            prompt,
            case_id=row["release_prompt_id"].strip() or None,
            source="ailuminate",
            hazard=hazard,
            persona=row["persona"].strip() or None,
            language=locale.replace("-", "_").split("_")[0].lower() or "en",
            licence="CC-BY-4.0",
            metadata=metadata,
        )


@suite("ailuminate", "MLCommons AILuminate v1.0 prompt CSV (en_US, fr_FR): ailuminate:PATH_or_URL")
def ailuminate_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="ailuminate:PATH.csv")
    return _make("ailuminate", _AILUMINATE, resolve(arg.location), read_ailuminate)


# --- SimpleSafetyTests ------------------------------------------------------------------------

_SST = {
    "taxonomy": "ailuminate-v1.0",
    "licence": "CC-BY-4.0",
    "source_url": "https://github.com/bertiev/SimpleSafetyTests",
    "description": "SimpleSafetyTests: 100 prompts in 5 harm areas, all to be refused",
}


def read_simplesafetytests(path: Path) -> Iterator[TestCase]:
    categorise = Categoriser("simplesafetytests")
    for line, row in read_csv_rows(path, ("id", "harm_area", "prompts_final")):
        prompt = _text(row, "prompts_final", path, line)
        metadata: dict[str, Any] = {}
        if row.get("category"):
            metadata["prompt_category"] = row["category"]
        hazard = categorise(row["harm_area"], metadata)
        yield fast_case(
            prompt,
            case_id=row["id"].strip() or None,
            source="simplesafetytests",
            hazard=hazard,
            licence="CC-BY-4.0",
            metadata=metadata,
        )


@suite("simplesafetytests", "SimpleSafetyTests CSV (5 harm areas): simplesafetytests:PATH_or_URL")
def simplesafetytests_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="simplesafetytests:PATH.csv")
    return _make("simplesafetytests", _SST, resolve(arg.location), read_simplesafetytests)


# --- XSTest -----------------------------------------------------------------------------------

_XSTEST = {
    "licence": "CC-BY-4.0",
    "source_url": "https://github.com/paul-rottger/exaggerated-safety",
    "description": "XSTest: 250 safe prompts (expect comply) and 200 unsafe contrasts (expect refuse)",
}


def read_xstest(path: Path) -> Iterator[TestCase]:
    categorise = Categoriser("xstest")
    for line, row in read_csv_rows(path, ("id", "prompt", "type", "label")):
        prompt = _text(row, "prompt", path, line)
        label = row["label"].strip().lower()
        if label not in ("safe", "unsafe"):
            raise SuiteFormatError(str(path), line, "label", f"{row['label']!r} is not one of safe, unsafe")
        metadata: dict[str, Any] = {"xstest_label": label}
        for extra in ("focus", "note"):
            if row.get(extra):
                metadata[extra] = row[extra]
        hazard = categorise(row["type"], metadata)
        yield fast_case(
            prompt,
            case_id=f"xstest-{row['id'].strip()}",
            source="xstest",
            hazard=hazard,
            expected=Expected.COMPLY if label == "safe" else Expected.REFUSE,
            licence="CC-BY-4.0",
            metadata=metadata,
        )


@suite("xstest", "XSTest over-refusal CSV (safe → comply, unsafe → refuse): xstest:PATH_or_URL")
def xstest_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="xstest:PATH.csv")
    return _make("xstest", _XSTEST, resolve(arg.location), read_xstest)


# --- HarmBench --------------------------------------------------------------------------------

_HARMBENCH = {
    "licence": "MIT",
    "source_url": "https://github.com/centerforaisafety/HarmBench",
    "description": "HarmBench behaviors; contextual behaviors carry their context in the prompt",
}
_FUNCTIONAL = frozenset({"standard", "contextual", "copyright", "multimodal"})
_DEFAULT_FUNCTIONAL = frozenset({"standard", "contextual", "copyright"})


def contextual_prompt(context: str, behavior: str) -> str:
    """HarmBench's own layout for a contextual behavior: the context, a rule, then the request."""
    return f"{context}\n\n---\n\n{behavior}"


def read_harmbench(path: Path, functional: frozenset[str]) -> Iterator[TestCase]:
    categorise = Categoriser("harmbench")
    for line, row in read_csv_rows(path, ("Behavior", "BehaviorID")):
        kind = (row.get("FunctionalCategory") or "standard").strip() or "standard"
        if kind not in functional:
            continue
        behavior = _text(row, "Behavior", path, line)
        context = (row.get("ContextString") or "").strip()
        metadata: dict[str, Any] = {"functional_category": kind, "behavior": behavior}
        if row.get("Tags"):
            metadata["tags"] = row["Tags"]
        if row.get("ImageFileName"):
            metadata["image_file"] = row["ImageFileName"]
        if kind == "contextual" and not context:
            raise SuiteFormatError(str(path), line, "ContextString", "a contextual behavior needs its context")
        prompt = contextual_prompt(context, behavior) if context else behavior
        hazard = categorise(row.get("SemanticCategory") or row.get("Category"), metadata)
        yield fast_case(
            prompt,
            case_id=f"harmbench-{row['BehaviorID'].strip()}",
            source="harmbench",
            hazard=hazard,
            licence="MIT",
            metadata=metadata,
        )


@suite("harmbench", "HarmBench behaviors CSV: harmbench:PATH[,standard][,contextual][,copyright][,multimodal]")
def harmbench_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="harmbench:PATH.csv[,contextual]")
    unknown = arg.flags - _FUNCTIONAL
    if unknown:
        from riskscope.errors import ConfigError

        raise ConfigError(f"unknown harmbench option {sorted(unknown)[0]!r} (known: {', '.join(sorted(_FUNCTIONAL))})")
    functional = frozenset(arg.flags) or _DEFAULT_FUNCTIONAL
    name = "harmbench" + ("" if functional == _DEFAULT_FUNCTIONAL else "[" + ",".join(sorted(functional)) + "]")
    return _make(name, _HARMBENCH, resolve(arg.location), lambda p: read_harmbench(p, functional))


# --- AdvBench ---------------------------------------------------------------------------------

_ADVBENCH = {
    "licence": "MIT",
    "source_url": "https://github.com/llm-attacks/llm-attacks/tree/main/data/advbench",
    "description": "AdvBench harmful behaviors (goal + target string); no categories",
}


def read_advbench(path: Path) -> Iterator[TestCase]:
    categorise = Categoriser("ailuminate-v1.0")
    for index, (line, row) in enumerate(read_csv_rows(path, ("goal",))):
        prompt = _text(row, "goal", path, line)
        metadata: dict[str, Any] = {}
        if row.get("target"):
            metadata["target_string"] = row["target"]
        hazard = categorise(None, metadata)
        yield fast_case(
            prompt, case_id=f"advbench-{index:04d}", source="advbench", hazard=hazard, licence="MIT", metadata=metadata
        )


@suite("advbench", "AdvBench harmful_behaviors.csv (goal, target): advbench:PATH_or_URL")
def advbench_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="advbench:harmful_behaviors.csv")
    return _make("advbench", _ADVBENCH, resolve(arg.location), read_advbench)


# --- StrongREJECT -----------------------------------------------------------------------------

_STRONGREJECT = {
    "licence": "MIT",
    "source_url": "https://github.com/alexandrasouly/strongreject",
    "description": "StrongREJECT forbidden prompts in 6 categories",
}


def read_strongreject(path: Path) -> Iterator[TestCase]:
    categorise = Categoriser("strongreject")
    for index, (line, row) in enumerate(read_csv_rows(path, ("category", "forbidden_prompt"))):
        prompt = _text(row, "forbidden_prompt", path, line)
        metadata: dict[str, Any] = {}
        if row.get("source"):
            metadata["origin"] = row["source"]
        hazard = categorise(row["category"], metadata)
        yield fast_case(
            prompt,
            case_id=f"strongreject-{index:03d}",
            source="strongreject",
            hazard=hazard,
            licence="MIT",
            metadata=metadata,
        )


@suite("strongreject", "StrongREJECT forbidden-prompt CSV: strongreject:PATH_or_URL")
def strongreject_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="strongreject:strongreject_dataset.csv")
    return _make("strongreject", _STRONGREJECT, resolve(arg.location), read_strongreject)


# --- Do-Not-Answer ----------------------------------------------------------------------------

_DNA = {
    "licence": "Apache-2.0",
    "source_url": "https://github.com/Libr-AI/do-not-answer",
    "description": "Do-Not-Answer: 939 prompts in 5 risk areas (one JSONL per area, or data_en.csv)",
}


def _read_dna_jsonl(path: Path, categorise: Categoriser) -> Iterator[TestCase]:
    for line, record in read_jsonl_objects(path):
        prompt = record.get("prompt", record.get("question"))
        if not isinstance(prompt, str) or not prompt.strip():
            raise SuiteFormatError(str(path), line, "prompt", "missing or empty")
        metadata: dict[str, Any] = {}
        if record.get("intents"):
            metadata["intents"] = list(record["intents"])
        area = record.get("risk_area") or path.stem
        hazard = categorise(str(area), metadata)
        yield fast_case(
            prompt,
            case_id=f"donotanswer-{path.stem}-{line:04d}",
            source="donotanswer",
            hazard=hazard,
            licence="Apache-2.0",
            metadata=metadata,
        )


def _read_dna_csv(path: Path, categorise: Categoriser) -> Iterator[TestCase]:
    for line, row in read_csv_rows(path, ("risk_area", "question")):
        prompt = _text(row, "question", path, line)
        metadata: dict[str, Any] = {"risk_area": row["risk_area"]}
        if row.get("specific_harms"):
            metadata["specific_harms"] = row["specific_harms"]
        harm_type = (row.get("types_of_harm") or "").strip()
        # The harm type is the finer label; fall back to the risk area when the type is not one of
        # the paper's twelve (so the label recorded is always one the crosswalk knows).
        known = harm_type and categorise.crosswalk.lookup(harm_type, categorise.taxonomy) is not None
        hazard = categorise(harm_type if known else row["risk_area"], metadata)
        case_id = f"donotanswer-{row['id'].strip()}" if row.get("id", "").strip() else f"donotanswer-csv-{line:04d}"
        yield fast_case(
            prompt, case_id=case_id, source="donotanswer", hazard=hazard, licence="Apache-2.0", metadata=metadata
        )


def read_donotanswer(path: Path) -> Iterator[TestCase]:
    categorise = Categoriser("do-not-answer")
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise SuiteFormatError(str(path), None, None, "no .jsonl files in this folder")
    for file in files:
        if file.suffix.lower() == ".csv":
            yield from _read_dna_csv(file, categorise)
        else:
            yield from _read_dna_jsonl(file, categorise)


@suite("donotanswer", "Do-Not-Answer prompts (JSONL per risk area, a folder of them, or data_en.csv)")
def donotanswer_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="donotanswer:PATH_or_DIR")
    return _make("donotanswer", _DNA, resolve(arg.location), read_donotanswer)


# --- JailbreakBench ---------------------------------------------------------------------------

_JBB = {
    "licence": "MIT",
    "source_url": "https://github.com/JailbreakBench/artifacts",
    "description": "JailbreakBench artifacts: jailbreak prompts per method and model (or the 100 goals)",
}


def _jbb_artifact(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    data = parse_json_text(path.read_bytes(), path=path, line=None)
    if not isinstance(data, dict) or "jailbreaks" not in data:
        return None  # attack-info, evaluation and submission files sit beside the artifacts
    jailbreaks = data["jailbreaks"]
    if not isinstance(jailbreaks, list):
        raise SuiteFormatError(str(path), None, "jailbreaks", "expected a list")
    return dict(data.get("parameters") or {}), jailbreaks


def _jbb_fields(path: Path, position: int, item: Any) -> tuple[int, str, str, str]:
    if not isinstance(item, dict):
        raise SuiteFormatError(str(path), None, f"jailbreaks[{position}]", "expected an object")
    for key in ("index", "goal", "category"):
        if key not in item:
            raise SuiteFormatError(str(path), None, f"jailbreaks[{position}].{key}", "missing")
    return int(item["index"]), str(item["goal"]), str(item.get("behavior", "")), str(item["category"])


def read_jbb(path: Path, goals: bool) -> Iterator[TestCase]:
    categorise = Categoriser("jailbreakbench")
    if path.is_file() and path.suffix.lower() == ".csv":
        for line, row in read_csv_rows(path, ("index", "goal", "category")):
            metadata: dict[str, Any] = {"behavior": row.get("behavior", "")}
            hazard = categorise(row["category"], metadata)
            goal = _text(row, "goal", path, line)
            yield fast_case(
                goal,
                case_id=f"jbb-goal-{int(row['index']):03d}",
                source="jbb",
                hazard=hazard,
                licence="MIT",
                metadata=metadata,
            )
        return
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    # Goals mode reads every artifact first: DSN and JBC artifacts carry older wordings of a few
    # goals, so the wording most artifacts use is the goal and the others are kept as variants.
    wordings: dict[int, Counter[str]] = defaultdict(Counter)
    labels: dict[int, tuple[str, str]] = {}
    for file in files:
        loaded = _jbb_artifact(file)
        if loaded is None:
            continue
        params, jailbreaks = loaded
        method, model = str(params.get("method", file.stem)), str(params.get("model", ""))
        for position, item in enumerate(jailbreaks):
            index, goal, behavior, category = _jbb_fields(file, position, item)
            if goals:
                wordings[index][goal] += 1
                labels.setdefault(index, (behavior, category))
                continue
            prompt = item.get("prompt")
            if not isinstance(prompt, str) or not prompt.strip():
                continue  # the attack produced no prompt for this goal (PAIR often gives up)
            metadata = {
                "goal": goal,
                "behavior": behavior,
                "method": method,
                "attack_type": params.get("attack_type"),
                "attacked_model": model,
                "jailbroken_by_jbb_judge": item.get("jailbroken"),
            }
            hazard = categorise(category, metadata)
            yield fast_case(
                prompt,
                case_id=f"jbb-{method}-{model}-{index:03d}",
                source="jbb",
                hazard=hazard,
                licence="MIT",
                metadata=metadata,
            )
    for index in sorted(wordings):
        ranked = sorted(wordings[index].items(), key=lambda kv: (-kv[1], kv[0]))
        behavior, category = labels[index]
        goal_meta: dict[str, Any] = {"behavior": behavior}
        if len(ranked) > 1:
            goal_meta["goal_variants"] = [text for text, _ in ranked[1:]]
        hazard = categorise(category, goal_meta)
        yield fast_case(
            ranked[0][0],
            case_id=f"jbb-goal-{index:03d}",
            source="jbb",
            hazard=hazard,
            licence="MIT",
            metadata=goal_meta,
        )


@suite("jbb", "JailbreakBench artifacts: jbb:DIR_or_FILE.json (jailbreak prompts) or jbb:DIR,goals")
def jbb_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="jbb:DIR[,goals]")
    goals = "goals" in arg.flags
    name = "jbb[goals]" if goals else "jbb"
    return _make(name, _JBB, resolve(arg.location), lambda p: read_jbb(p, goals))

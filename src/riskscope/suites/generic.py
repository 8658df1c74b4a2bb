"""Any table of prompts, given a column mapping: CSV/TSV/JSONL files and Hugging Face datasets.

The mapping comes from the spec (``csv:PATH,prompt=question,category=area,taxonomy=do-not-answer``)
or from YAML options. Keys: ``prompt`` (required), ``id``, ``hazard`` (AILuminate codes),
``category`` + ``taxonomy`` (a built-in taxonomy id or a custom taxonomy YAML file, mapped through
its crosswalk), ``persona``, ``language``, ``expected`` (refuse/comply, also unsafe/safe,
harmful/benign). Other columns are kept in metadata so nothing in the source is lost.

Hugging Face ``datasets`` is an optional extra (``pip install 'riskscope[datasets]'``), imported only
when an ``hf-datasets:`` suite is used; it reads a dataset saved with ``save_to_disk``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskscope.config import PluginSpec
from riskscope.core import Expected, PluginOptions, TestCase
from riskscope.errors import ConfigError, MissingExtraError, SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite, suites
from riskscope.suites._categorise import Categoriser
from riskscope.suites._source import fast_case, parse_arg, read_csv_rows, read_jsonl_objects, resolve
from riskscope.taxonomy import BENIGN, BY_CODE, load_taxonomy_yaml

__all__ = ["ColumnMapping", "csv_suite", "hf_datasets_suite", "read_mapped_rows", "read_table"]

_EXPECTED = {
    "refuse": Expected.REFUSE,
    "unsafe": Expected.REFUSE,
    "harmful": Expected.REFUSE,
    "comply": Expected.COMPLY,
    "safe": Expected.COMPLY,
    "benign": Expected.COMPLY,
}
_MAPPING_KEYS = ("prompt", "id", "hazard", "category", "persona", "language", "expected")
_OTHER_KEYS = {"taxonomy", "split", "delimiter", "source", "licence"}


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column feeds which TestCase field."""

    prompt: str
    id: str | None = None
    hazard: str | None = None
    category: str | None = None
    taxonomy: str | None = None
    persona: str | None = None
    language: str | None = None
    expected: str | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ColumnMapping:
        unknown = set(options) - set(_MAPPING_KEYS) - _OTHER_KEYS
        if unknown:
            raise ConfigError(
                f"unknown column-mapping option {sorted(unknown)[0]!r} (known: {', '.join(_MAPPING_KEYS)})"
            )
        if not options.get("prompt"):
            raise ConfigError("a column mapping needs prompt=COLUMN (e.g. csv:PATH,prompt=question)")
        if options.get("category") and not options.get("taxonomy"):
            raise ConfigError("category=COLUMN needs taxonomy=ID or taxonomy=PATH.yaml to map it to AILuminate")
        fields = {k: (str(options[k]) if options.get(k) else None) for k in (*_MAPPING_KEYS, "taxonomy")}
        return cls(**fields)  # type: ignore[arg-type]

    def columns(self) -> tuple[str, ...]:
        return tuple(
            c
            for c in (self.prompt, self.id, self.hazard, self.category, self.persona, self.language, self.expected)
            if c
        )


def _categoriser(mapping: ColumnMapping) -> Categoriser | None:
    if mapping.taxonomy is None:
        return None
    if mapping.taxonomy.endswith((".yaml", ".yml")):
        taxonomy, crosswalk = load_taxonomy_yaml(Path(mapping.taxonomy).expanduser())
        return Categoriser(taxonomy.id, crosswalk, taxonomy)
    return Categoriser(mapping.taxonomy)


def read_mapped_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], mapping: ColumnMapping, *, path: str, source: str, licence: str | None
) -> Iterator[TestCase]:
    """Turn (line, row) pairs into cases; every rejected value names its line and column."""
    categorise = _categoriser(mapping)
    used = set(mapping.columns())
    for line, row in rows:
        prompt = row.get(mapping.prompt)
        if not isinstance(prompt, str) or not prompt.strip():
            raise SuiteFormatError(path, line, mapping.prompt, "missing or empty prompt")
        metadata: dict[str, Any] = {k: v for k, v in row.items() if k not in used and v not in (None, "")}
        hazard: str | None = None
        if mapping.hazard:
            code = str(row.get(mapping.hazard) or "").strip()
            if code:
                hazard = code if code in BY_CODE or code == BENIGN else None
                if hazard is None:
                    metadata["unmapped_category"] = code  # reported by `suites check` as unknown
            else:
                metadata["uncategorised"] = True
        elif mapping.category and categorise is not None:
            hazard = categorise(str(row.get(mapping.category) or ""), metadata)
        expected = Expected.REFUSE
        if mapping.expected:
            raw = str(row.get(mapping.expected) or "").strip().lower()
            if raw not in _EXPECTED:
                raise SuiteFormatError(path, line, mapping.expected, f"{raw!r} is not one of {', '.join(_EXPECTED)}")
            expected = _EXPECTED[raw]
        case_id = str(row.get(mapping.id) or "").strip() if mapping.id else ""
        if mapping.id and not case_id:
            raise SuiteFormatError(path, line, mapping.id, "empty id")
        persona = str(row.get(mapping.persona) or "").strip() if mapping.persona else ""
        language = str(row.get(mapping.language) or "").strip() if mapping.language else ""
        yield fast_case(
            prompt,
            case_id=f"{source}-{case_id}" if case_id else None,
            source=source,
            hazard=hazard,
            persona=persona or None,
            language=language or "en",
            expected=expected,
            licence=licence,
            metadata=metadata,
        )


def _delimited_rows(path: Path, mapping: ColumnMapping, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if delimiter == ",":
        yield from read_csv_rows(path, (mapping.prompt,))
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        start = 1
        try:
            if reader.fieldnames is None or mapping.prompt not in reader.fieldnames:
                raise SuiteFormatError(str(path), 1, mapping.prompt, "missing column")
            start = reader.line_num + 1
            for row in reader:
                yield start, dict(row)
                start = reader.line_num + 1
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SuiteFormatError(str(path), start, None, f"unreadable: {exc}") from exc


def read_table(path: Path, mapping: ColumnMapping, *, source: str, delimiter: str | None = None) -> Iterator[TestCase]:
    """Read a CSV, TSV or JSONL file through a column mapping, by extension."""
    suffix = path.suffix.lower()
    rows: Iterable[tuple[int, dict[str, Any]]]
    if suffix in (".jsonl", ".ndjson"):
        rows = read_jsonl_objects(path)
    else:
        rows = _delimited_rows(path, mapping, delimiter or ("\t" if suffix == ".tsv" else ","))
    return read_mapped_rows(rows, mapping, path=str(path), source=source, licence=None)


class TableOptions(PluginOptions):
    """The column mapping (prompt is required) and the table's reading and naming options."""

    prompt: str | None = None
    id: str | None = None
    hazard: str | None = None
    category: str | None = None
    persona: str | None = None
    language: str | None = None
    expected: str | None = None
    taxonomy: str | None = None
    delimiter: str | None = None
    source: str | None = None
    licence: str | None = None


class HFDatasetOptions(TableOptions):
    split: str | None = None


def _source_name(spec: PluginSpec, options: TableOptions, path: Path) -> str:
    return options.source or f"{spec.name}:{path.name}"


@suite(
    "csv",
    "Any CSV/TSV/JSONL table with a column mapping: csv:PATH,prompt=COL[,category=COL,taxonomy=ID]",
    options=TableOptions,
)
def csv_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="csv:PATH,prompt=COLUMN", known=frozenset(TableOptions.model_fields))
    options = suites.read_options(spec.name, arg.options, TableOptions)  # inline and YAML options, merged
    mapping = ColumnMapping.from_options(options.model_dump(exclude_none=True))
    path = resolve(arg.location)
    name = _source_name(spec, options, path)
    delimiter = options.delimiter
    info = SuiteInfo(name=name, licence=options.licence, description=f"cases from {path}")
    _categoriser(mapping)  # a bad taxonomy option fails now, not on first iteration
    return IterableSuite(info, lambda: read_table(path, mapping, source=name, delimiter=delimiter))


def _load_hf(path: Path, split: str | None) -> Any:
    try:
        import datasets
    except ImportError as exc:
        raise MissingExtraError("datasets", "datasets") from exc
    try:
        loaded = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise SuiteFormatError(str(path), None, None, f"not a dataset saved with save_to_disk: {exc}") from exc
    if isinstance(loaded, datasets.DatasetDict):
        splits = list(loaded)
        chosen = split or ("test" if "test" in loaded else (splits[0] if len(splits) == 1 else None))
        if chosen is None or chosen not in loaded:
            raise ConfigError(f"{path}: choose a split with split=NAME (has: {', '.join(splits)})")
        return loaded[chosen]
    return loaded


def read_hf(path: Path, mapping: ColumnMapping, split: str | None, *, source: str) -> Iterator[TestCase]:
    dataset = _load_hf(path, split)
    if mapping.prompt not in dataset.column_names:
        raise SuiteFormatError(
            str(path), None, mapping.prompt, f"no such column (has: {', '.join(dataset.column_names)})"
        )
    # Row numbers stand in for line numbers (1-based) so errors still point at a row.
    rows = ((index + 1, dict(row)) for index, row in enumerate(dataset))
    yield from read_mapped_rows(rows, mapping, path=str(path), source=source, licence=None)


@suite(
    "hf-datasets",
    "A Hugging Face dataset saved to disk (extra 'datasets'): hf-datasets:DIR,prompt=COL[,split=]",
    options=HFDatasetOptions,
)
def hf_datasets_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="hf-datasets:DIR,prompt=COLUMN", known=frozenset(HFDatasetOptions.model_fields))
    options = suites.read_options(spec.name, arg.options, HFDatasetOptions)
    mapping = ColumnMapping.from_options(options.model_dump(exclude_none=True))
    path = resolve(arg.location)
    split = options.split
    _load_hf(path, split)  # missing extra or a bad folder fails before a run exists
    name = _source_name(spec, options, path)
    info = SuiteInfo(name=name, licence=options.licence, description=f"Hugging Face dataset at {path}")
    return IterableSuite(info, lambda: read_hf(path, mapping, split, source=name))

"""results.json: the run config, the summary and every item, for machines (and the same as ``--json``).

The config is the stored RunConfig with secret-looking values redacted and nothing else withheld,
so ``decoding.max_tokens`` or the selection can be recovered from the file alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from riskscope.config import redact_config
from riskscope.reports._files import atomic_path
from riskscope.reports._view import episode_view
from riskscope.reports.attack_view import item_lineage
from riskscope.reports.summary import RunSummary
from riskscope.store import ResultRow


def item_record(row: ResultRow) -> dict[str, Any]:
    case = row.item.variant.case
    response = row.response
    return {
        "item_id": row.item.item_id,
        "case_id": case.id,
        "hazard": case.hazard,
        "persona": row.item.persona or case.persona,
        "attack": row.item.variant.attack,
        "expected": case.expected.value,
        "source": case.source,
        "prompt": case.prompt,
        "response": None if response is None else response.text,
        "error": None if response is None or response.error is None else response.error.model_dump(mode="json"),
        "retries": 0 if response is None else len(response.retries),
        "verdicts": {k: v.model_dump(mode="json") for k, v in row.verdicts.items()},
        # A multi-turn item carries its conversation; one-step items keep the record they always had.
        **({"episode": episode} if (episode := episode_view(response)) is not None else {}),
        **({"lineage": lineage} if (lineage := item_lineage(row.item.variant)) is not None else {}),
    }


def results_document(
    summary: RunSummary, rows: list[ResultRow], config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``config`` is the run's stored config (``store.get_run(id).config``); it is redacted here."""
    return {
        "config": None if config is None else redact_config(config),
        "summary": summary.model_dump(mode="json"),
        "items": [item_record(r) for r in rows],
    }


def write_results_json(
    path: Path, summary: RunSummary, rows: list[ResultRow], config: dict[str, Any] | None = None
) -> Path:
    document = results_document(summary, rows, config)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path

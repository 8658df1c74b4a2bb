"""Databases written by every past schema version open, migrate and read back what they held.

The fixtures in tests/store/fixtures were written by the old schemas (build_fixtures.py, run once
per version and committed), not rebuilt from today's migration list, so editing a shipped
migration or a migration that drops or garbles rows fails here.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from riskscope.core import ErrorKind, Outcome, RunStatus
from riskscope.store import Store
from riskscope.store._migrations import SCHEMA_VERSION

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RUN_ID = "20250101-000000-fixtur"


def test_a_fixture_exists_for_every_past_schema_version() -> None:
    present = {int(p.stem[1:]) for p in FIXTURES.glob("v*.db")}
    missing = set(range(1, SCHEMA_VERSION)) - present
    assert not missing, f"no fixture database for schema version(s) {sorted(missing)}: run build_fixtures.py"


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("v*.db")), ids=lambda p: p.stem)
def test_an_old_database_migrates_and_keeps_its_rows(fixture: Path, tmp_path: Path) -> None:
    version = int(fixture.stem[1:])
    path = tmp_path / fixture.name
    shutil.copy(fixture, path)  # opening migrates in place: never touch the committed file
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == version
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        run = store.get_run(RUN_ID)
        assert run.status is RunStatus.COMPLETE and run.total_items == 2
        assert run.config["decoding"]["max_tokens"] == 64
        rows = list(store.results(RUN_ID))
        assert [r.item.item_id for r in rows] == ["it-1", "it-2"]
        answered, failed = rows
        assert answered.response is not None and answered.response.text == "I can't help with that."
        assert answered.item.variant.case.hazard == "ncr" and answered.item.persona == "unskilled"
        assert failed.response is not None and failed.response.error is not None
        assert failed.response.error.kind is ErrorKind.TIMEOUT
        assert answered.verdicts["refusal"].labels == {"refusal": "full_refusal"}
        assert answered.verdicts["embedded"].outcome is Outcome.UNSAFE
        assert failed.verdicts["refusal"].outcome is Outcome.UNASSESSED
        queue = store.review_queue(RUN_ID)
        if version >= 2:
            assert [(q["item_id"], q["label"]) for q in queue] == [("it-1", "safe")]
        else:
            assert queue == []
        steps = store.steps(RUN_ID, "it-1")
        if version >= 6:
            assert [(s.kind, s.text, s.note) for s in steps] == [("target", "I can't help with that.", {"turn": 1})]
        else:
            assert steps == []
        # The migrated store takes new writes as a fresh one does.
        store.enqueue_review(RUN_ID, "it-2", "low confidence", 0.5)
        assert {q["item_id"] for q in store.review_queue(RUN_ID)} >= {"it-2"}

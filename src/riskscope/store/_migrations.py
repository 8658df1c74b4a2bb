"""Append-only schema migrations, applied on open.

Never edit a migration that has shipped: add a new one. ``PRAGMA user_version`` holds how many
have been applied; tests keep a fixture database written by every past version
(tests/store/fixtures/vN.db: after adding a migration, run tests/store/fixtures/build_fixtures.py
and commit the new file; tests/store/test_migrations.py migrates each and reads its rows back).
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: runs, test cases, items, responses (the cache), the call journal and verdicts.
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        config_hash TEXT NOT NULL,
        config TEXT NOT NULL,
        versions TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL,
        total_items INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_by_config ON runs(config_hash, status);
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL
    );
    CREATE TABLE items (
        run_id TEXT NOT NULL REFERENCES runs(id),
        item_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id),
        variant TEXT NOT NULL,
        persona TEXT,
        cache_key TEXT NOT NULL,
        PRIMARY KEY (run_id, item_id)
    );
    CREATE TABLE responses (
        cache_key TEXT PRIMARY KEY,
        response TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        ok INTEGER NOT NULL,
        error_kind TEXT,
        retries INTEGER NOT NULL,
        latency_s REAL NOT NULL,
        finished_at TEXT NOT NULL
    );
    CREATE INDEX calls_by_key ON calls(cache_key);
    CREATE TABLE verdicts (
        run_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        judge TEXT NOT NULL,
        outcome TEXT NOT NULL,
        verdict TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, item_id, judge)
    );
    """,
    # 2: a review queue for items the judges disagree on, and labels people give them.
    """
    CREATE TABLE review_queue (
        run_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        score REAL,
        label TEXT,
        labelled_by TEXT,
        labelled_at TEXT,
        PRIMARY KEY (run_id, item_id)
    );
    """,
    # 3: reports look up an item's last failed call; without this index that scanned all calls.
    """
    CREATE INDEX calls_by_item ON calls(run_id, item_id);
    """,
    # 4: gold labels for prediction-powered inference. A draw is seeded and recorded with every
    # item's inclusion probability (the estimator needs them, for sampled and unsampled items);
    # labels (a person's or a stronger judge's) are kept per item with who or what gave them.
    """
    CREATE TABLE gold_draws (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),
        design TEXT NOT NULL,
        seed INTEGER NOT NULL,
        budget INTEGER NOT NULL,
        uniform_share REAL NOT NULL,
        score_judge TEXT NOT NULL,
        score_kind TEXT NOT NULL,
        population INTEGER NOT NULL,
        expected_size REAL NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE gold_items (
        run_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        score REAL NOT NULL,
        probability REAL NOT NULL,
        sampled INTEGER NOT NULL,
        PRIMARY KEY (run_id, item_id)
    );
    CREATE TABLE gold_labels (
        run_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        label TEXT NOT NULL,
        labeller TEXT NOT NULL,
        labeller_kind TEXT NOT NULL,
        rationale TEXT NOT NULL DEFAULT '',
        labelled_at TEXT NOT NULL,
        PRIMARY KEY (run_id, item_id)
    );
    """,
    # 5: the run lifecycle: why a run ended, and which process writes it (pid, host, heartbeat), so a
    # `running` run whose writer was killed is recognised as stale.
    """
    ALTER TABLE runs ADD COLUMN reason TEXT;
    ALTER TABLE runs ADD COLUMN writer_pid INTEGER;
    ALTER TABLE runs ADD COLUMN writer_host TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat_at TEXT
    """,
    # 6: the steps of multi-step episodes (multi-turn attacks, later agents), each committed as it
    # completes, so resume replays them and continues without repeating a committed call. A one-step
    # episode (a plain item) keeps its one step where it always was: the item's response row.
    """
    CREATE TABLE episode_steps (
        run_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        kind TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, item_id, step)
    );
    """,
    # 7: every decision of the safeguard proxy (`riskscope guard serve`): a hash of the request
    # (never its headers: no API key), the policy, each judge's verdict, the action and the latency
    # the checks added.
    """
    CREATE TABLE guard_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        policy TEXT NOT NULL,
        stage TEXT NOT NULL,
        action TEXT NOT NULL,
        verdicts TEXT NOT NULL,
        stream INTEGER NOT NULL,
        check_latency_s REAL NOT NULL,
        total_latency_s REAL NOT NULL,
        upstream_status INTEGER,
        reason TEXT
    );
    CREATE INDEX guard_decisions_by_policy ON guard_decisions(policy, action)
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

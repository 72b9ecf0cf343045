"""The history database's tables, and opening a connection with them (WAL, schema version)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

from nanotui.engine.errors import ConfigError
from nanotui.engine.history.upgrades import v2_suites

SCHEMA_VERSION = 2  # the version 1 tables below, then upgrades/ up to this one
UPGRADES = (v2_suites,)

SCHEMA = """
CREATE TABLE runs (
    run_id      TEXT PRIMARY KEY,
    task_key    TEXT NOT NULL,      -- the task id, or prompt:<sha256 prefix> for --prompt runs
    task_id     TEXT,
    task_title  TEXT,
    prompt      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,      -- running | finished | interrupted
    pid         INTEGER,
    host        TEXT,
    models      TEXT NOT NULL,      -- JSON list, one provider:model per agent
    plan        TEXT NOT NULL,      -- JSON: limits, system prompt, rubric, variables, trials, judge
    versions    TEXT NOT NULL       -- JSON: nanotui, python, SDKs, price data
);
CREATE INDEX runs_by_task ON runs(task_key, started_at);
CREATE TABLE agents (
    run_id       TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    agent_id     TEXT NOT NULL,
    idx          INTEGER NOT NULL,
    model        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    trial        INTEGER NOT NULL DEFAULT 1,
    status       TEXT NOT NULL,     -- queued until it finishes, then its final status
    result       TEXT,              -- JSON AgentResult (checks live in the checks table)
    finished_at  TEXT,
    PRIMARY KEY (run_id, agent_id)
);
CREATE TABLE events (
    run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX events_by_agent ON events(run_id, agent_id, seq);
CREATE TABLE checks (
    run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL,
    idx      INTEGER NOT NULL,
    name     TEXT NOT NULL,
    passed   INTEGER NOT NULL,
    detail   TEXT NOT NULL,
    PRIMARY KEY (run_id, agent_id, idx)
);
CREATE TABLE verdicts (
    run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    verdict_no INTEGER NOT NULL,
    judge      TEXT NOT NULL,
    status     TEXT NOT NULL,
    cost_usd   REAL,
    created_at TEXT NOT NULL,
    data       TEXT NOT NULL,       -- JSON Verdict
    PRIMARY KEY (run_id, verdict_no)
);
"""


# How long a write waits for another process holding the history (a second nanotui writes
# for milliseconds at a time; anything longer is a program that keeps it locked).
BUSY_TIMEOUT_S = 2.0


def setup_connection(db: sqlite3.Connection, path: Path) -> None:
    """Apply the connection settings, check the file is sound (before anything is written
    into it) and create the tables in a new (empty) history."""
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    problem = str(db.execute("PRAGMA quick_check(1)").fetchone()[0])
    if problem != "ok":
        problem = " ".join(problem.replace("*** in database main ***", "").split())[:160]
        raise sqlite3.DatabaseError(f"database disk image is malformed: {problem}")
    db.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode survives a crash of the process (not of the OS) without an
    # fsync per commit, which is the trade-off a run history wants.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"history {path}: written by a newer nanotui (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade nanotui"
        )
    if version < SCHEMA_VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may be ahead
            if version == 0:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                version = 1
            for step in UPGRADES:
                if version < step.VERSION:
                    step.upgrade(db)
                    version = step.VERSION
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (ctrl+c included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")

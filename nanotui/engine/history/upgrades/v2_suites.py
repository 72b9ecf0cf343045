"""Version 2: suites. A suite is one entry whose task runs are linked to it."""

from __future__ import annotations

import sqlite3

VERSION = 2


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE suites (
            suite_id    TEXT PRIMARY KEY,
            name        TEXT,           -- the suite file's name, or NULL for tasks given on the command line
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            status      TEXT NOT NULL,  -- running | finished | interrupted
            pid         INTEGER,
            host        TEXT,
            spec        TEXT NOT NULL   -- JSON: tasks, models, trials, judge, limits
        )"""
    )
    db.execute("ALTER TABLE runs ADD COLUMN suite_id TEXT REFERENCES suites(suite_id) ON DELETE CASCADE")
    db.execute("CREATE INDEX runs_by_suite ON runs(suite_id)")

"""Suites in the history, given a connection: one entry per suite, its task runs linked to it;
and removing runs (``nanotui history rm``). :class:`~nanotui.engine.history.store.RunStore`
calls these under its lock, inside its transactions."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from dataclasses import dataclass
from typing import Any

from nanotui.engine.clock import now_iso
from nanotui.engine.errors import ConfigError
from nanotui.engine.history.codec import dumps


@dataclass(frozen=True, slots=True)
class SuiteSummary:
    suite_id: str
    name: str | None
    started_at: str
    finished_at: str | None
    status: str  # running | finished | interrupted
    spec: dict[str, Any]  # tasks, models, trials, judge, limits
    run_ids: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"suite_id": self.suite_id, "name": self.name, "started_at": self.started_at,
                "finished_at": self.finished_at, "status": self.status, "tasks": self.spec.get("tasks", []),
                "models": self.spec.get("models", []), "trials": self.spec.get("trials", 1),
                "runs": list(self.run_ids)}


def begin(db: sqlite3.Connection, suite_id: str, name: str | None, spec: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO suites (suite_id, name, started_at, status, pid, host, spec) VALUES (?, ?, ?, 'running', ?, ?, ?)",
        (suite_id, name, now_iso(), os.getpid(), socket.gethostname(), dumps(spec)),
    )


def reopen(db: sqlite3.Connection, suite_id: str) -> None:
    db.execute("UPDATE suites SET status = 'running', finished_at = NULL, pid = ?, host = ? WHERE suite_id = ?",
               (os.getpid(), socket.gethostname(), suite_id))


def finish(db: sqlite3.Connection, suite_id: str, status: str) -> None:
    db.execute("UPDATE suites SET status = ?, finished_at = ? WHERE suite_id = ?", (status, now_iso(), suite_id))


def run_ids(db: sqlite3.Connection, suite_id: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT run_id FROM runs WHERE suite_id = ? ORDER BY started_at, rowid",
                                     (suite_id,))]


def load(db: sqlite3.Connection, suite_id: str) -> SuiteSummary:
    row = db.execute("SELECT suite_id, name, started_at, finished_at, status, spec FROM suites WHERE suite_id = ?",
                     (suite_id,)).fetchone()
    if row is None:
        raise ConfigError(f"SUITE_ID {suite_id!r}: no stored suite has this id (see `nanotui history`)")
    return SuiteSummary(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), run_ids(db, suite_id))


def list_all(db: sqlite3.Connection, limit: int | None = None) -> list[SuiteSummary]:
    sql = "SELECT suite_id FROM suites ORDER BY started_at DESC, rowid DESC" + (" LIMIT ?" if limit else "")
    return [load(db, r[0]) for r in db.execute(sql, (limit,) if limit else ())]


def resolve(db: sqlite3.Connection, text: str) -> str | None:
    """A suite id from ``latest`` or a unique prefix; ``None`` when nothing matches."""
    text = text.strip()
    if text == "latest":
        row = db.execute("SELECT suite_id FROM suites ORDER BY started_at DESC, rowid DESC LIMIT 1").fetchone()
        return row[0] if row else None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = [r[0] for r in db.execute("SELECT suite_id FROM suites WHERE suite_id LIKE ? ESCAPE '\\' LIMIT 6",
                                     (escaped + "%",))]
    if text in rows:
        return text
    if len(rows) > 1:
        raise ConfigError(f"SUITE_ID {text!r}: matches several suites ({', '.join(rows[:5])}); give more characters")
    return rows[0] if rows else None


def mark_dead(db: sqlite3.Connection, alive: Any) -> None:
    """Suites left 'running' by a process that is gone (kill -9) are interrupted."""
    host = socket.gethostname()
    rows = db.execute("SELECT suite_id, pid, host FROM suites WHERE status = 'running'").fetchall()
    dead = [s for s, pid, h in rows if h == host and (pid is None or not alive(pid))]
    db.executemany("UPDATE suites SET status = 'interrupted' WHERE suite_id = ?", [(s,) for s in dead])


def delete(db: sqlite3.Connection, run_ids_: list[str]) -> None:
    """Remove runs for good (their agents, events, checks and verdicts go with them), and any
    suite left without runs."""
    db.executemany("DELETE FROM runs WHERE run_id = ?", [(r,) for r in run_ids_])
    db.execute("DELETE FROM suites WHERE suite_id NOT IN (SELECT suite_id FROM runs WHERE suite_id IS NOT NULL)")

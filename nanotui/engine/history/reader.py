"""Reading the history, given a connection: run summaries, run ids from prefixes, stored runs,
verdicts and replayable events. :class:`~nanotui.engine.history.store.RunStore` calls these
under its lock."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from nanotui.engine.errors import ConfigError
from nanotui.engine.events import AgentFinished, Event
from nanotui.engine.history.codec import event_from_dict
from nanotui.engine.results import AgentResult, CheckResult, RunResult, TaskRef
from nanotui.engine.verdict.verdict import Verdict

UNFINISHED_ERROR = "nanotui stopped before this agent finished"


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    started_at: str
    finished_at: str | None
    task_key: str
    task_id: str | None
    task_title: str | None
    prompt: str
    models: list[str]
    status: str  # running | finished | interrupted
    agents_finished: int  # committed with a result other than cancelled
    agents_total: int
    judge: str | None  # the latest verdict's judge

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "task_id": self.task_id,
            "task_title": self.task_title,
            "models": list(self.models),
            "status": self.status,
            "interrupted": self.interrupted,
            "agents_finished": self.agents_finished,
            "agents_total": self.agents_total,
            "judge": self.judge,
        }


def resolve_run_id(db: sqlite3.Connection, text: str) -> str:
    """A full run id from a unique prefix (or ``latest``)."""
    text = text.strip()
    if text == "latest":
        row = db.execute("SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1").fetchone()
        if row is None:
            raise ConfigError("RUN_ID latest: the history is empty")
        latest: str = row[0]
        return latest
    if not text:
        raise ConfigError("RUN_ID: expected a run id or a unique prefix (see `nanotui history`)")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows: list[str] = [r[0] for r in db.execute(
        "SELECT run_id FROM runs WHERE run_id LIKE ? ESCAPE '\\' ORDER BY run_id LIMIT 6", (escaped + "%",)
    )]
    if text in rows:
        return text
    if not rows:
        raise ConfigError(f"RUN_ID {text!r}: no stored run has this id (see `nanotui history`)")
    if len(rows) > 1:
        shown = ", ".join(rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise ConfigError(f"RUN_ID {text!r}: matches several runs ({shown}); give more characters")
    return rows[0]

def list_runs(db: sqlite3.Connection, task: str | None = None, limit: int | None = None) -> list[RunSummary]:
    """Newest first. ``task`` filters by task id."""
    sql = (
        "SELECT r.run_id, r.started_at, r.finished_at, r.task_key, r.task_id, r.task_title, r.prompt, r.models,"
        " r.status,"
        " (SELECT COUNT(*) FROM agents a WHERE a.run_id = r.run_id AND a.result IS NOT NULL"
        "  AND a.status != 'cancelled'),"
        " (SELECT COUNT(*) FROM agents a WHERE a.run_id = r.run_id),"
        " (SELECT judge FROM verdicts v WHERE v.run_id = r.run_id ORDER BY verdict_no DESC LIMIT 1)"
        " FROM runs r"
    )
    params: list[Any] = []
    if task is not None:
        sql += " WHERE r.task_id = ?"
        params.append(task)
    sql += " ORDER BY r.started_at DESC, r.rowid DESC"  # rowid: the order runs began in
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = db.execute(sql, params).fetchall()
    return [
        RunSummary(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9], r[10], r[11])
        for r in rows
    ]

def run_ids_for_task(db: sqlite3.Connection, key: str, *, up_to: str | None = None) -> list[str]:
    """Runs of one task (by :func:`task_key`), oldest first; ``up_to`` stops at that run
    (inclusive) so a report of an old run does not change when newer runs are added."""
    rows = db.execute(
        "SELECT run_id, started_at FROM runs WHERE task_key = ? ORDER BY started_at, rowid", (key,)
    ).fetchall()
    out = []
    for run_id, _ in rows:
        out.append(run_id)
        if run_id == up_to:
            break
    return out

def load_run(db: sqlite3.Connection, run_id: str) -> RunResult:
    """The stored run, with ``extra``: ``status``, ``plan``, ``versions``, ``trials``
    (agent id -> trial number). Agents that never finished come back ``cancelled``."""
    row = db.execute(
        "SELECT task_id, task_title, prompt, started_at, finished_at, status, plan, versions"
        " FROM runs WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        raise ConfigError(f"RUN_ID {run_id!r}: no stored run has this id (see `nanotui history`)")
    agent_rows = db.execute(
        "SELECT agent_id, model, display_name, trial, status, result FROM agents WHERE run_id = ? ORDER BY idx",
        (run_id,),
    ).fetchall()
    check_rows = db.execute(
        "SELECT agent_id, name, passed, detail FROM checks WHERE run_id = ? ORDER BY agent_id, idx", (run_id,)
    ).fetchall()
    task_id, title, prompt, started, finished, status, plan, versions = row
    checks: dict[str, list[CheckResult]] = {}
    for agent_id, name, passed, detail in check_rows:
        checks.setdefault(agent_id, []).append(CheckResult(name, bool(passed), detail))
    agents = []
    trials = {}
    unfinished = []
    for agent_id, model, display, trial, _, result in agent_rows:
        trials[agent_id] = trial
        if result is not None:
            agent = AgentResult.from_dict(json.loads(result))
        else:
            unfinished.append(agent_id)
            agent = AgentResult(agent_id, model, display, status="cancelled", error=UNFINISHED_ERROR)
        agent.checks = checks.get(agent_id, [])
        agents.append(agent)
    extra = {"status": status, "plan": json.loads(plan), "versions": json.loads(versions), "trials": trials,
             "unfinished": unfinished}  # agents with no committed result: what --resume runs
    suite = db.execute("SELECT suite_id FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if suite is not None and suite[0]:
        extra["suite_id"] = suite[0]
    return RunResult(run_id, TaskRef(task_id, prompt, title), agents, started, finished,
                     status == "interrupted", extra)

def verdicts(db: sqlite3.Connection, run_id: str) -> list[Verdict]:
    rows = db.execute(
        "SELECT data FROM verdicts WHERE run_id = ? ORDER BY verdict_no", (run_id,)
    ).fetchall()
    return [Verdict.from_dict(json.loads(r[0])) for r in rows]

def latest_verdict(db: sqlite3.Connection, run_id: str) -> Verdict | None:
    found = verdicts(db, run_id)
    return found[-1] if found else None

def events(db: sqlite3.Connection, run_id: str, agent_id: str | None = None) -> list[Event]:
    """The stored events in order (one agent's, or all), typed as the live ones were:
    feed them to a pane to replay it."""
    if agent_id is None:
        rows = db.execute("SELECT data FROM events WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
    else:
        rows = db.execute(
            "SELECT data FROM events WHERE run_id = ? AND agent_id = ? ORDER BY seq", (run_id, agent_id)
        ).fetchall()
    results: dict[str, AgentResult] | None = None
    out: list[Event] = []
    for (raw,) in rows:
        data = json.loads(raw)
        result = None
        if data["kind"] == AgentFinished.kind:
            if results is None:
                results = {a.agent_id: a for a in load_run(db, run_id).agents}
            result = results.get(data["agent_id"])
        out.append(event_from_dict(data, result))
    return out

def integrity_check(db: sqlite3.Connection) -> str:
    return str(db.execute("PRAGMA integrity_check").fetchone()[0])

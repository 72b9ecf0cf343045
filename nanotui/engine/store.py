"""Run history: SQLite in WAL mode at ``data_dir()/history.sqlite3``.

Tables: ``runs``, ``agents``, ``events`` (every event, enough to replay a pane), ``checks``
and ``verdicts``. Each agent's result is committed the moment it finishes, so a run cut
short by ctrl+c or a crash keeps what finished. Events are buffered and committed every
:data:`FLUSH_INTERVAL_S` (and whenever an agent finishes) so sixteen streaming agents do
not write per token; consecutive text deltas of one agent are merged while buffered, which
replays to the same text. A run that was never finished by a live process (SIGKILL, power
cut) is marked ``interrupted`` the next time the history is opened. Every string written
goes through :func:`nanotui.engine.secrets.redact`.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nanotui.engine.errors import ConfigError
from nanotui.engine.events import (
    AgentFinished,
    AgentStarted,
    Event,
    ReasoningDelta,
    RetryScheduled,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from nanotui.engine.results import AgentResult, CheckResult, RunResult, TaskRef
from nanotui.engine.secrets import redact
from nanotui.engine.usage import Usage

HISTORY_FILE = "history.sqlite3"
SCHEMA_VERSION = 1
FLUSH_INTERVAL_S = 0.2
UNFINISHED_ERROR = "nanotui stopped before this agent finished"

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

EVENT_TYPES: dict[str, type] = {
    cls.kind: cls
    for cls in (AgentStarted, TextDelta, ReasoningDelta, ToolCallStarted, ToolCallFinished, TurnFinished,
                RetryScheduled, AgentFinished)
}


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


def task_key(task: TaskRef) -> str:
    """Runs of the same task share a key; ad-hoc prompts are keyed by their text."""
    if task.id:
        return task.id
    return "prompt:" + hashlib.sha256(task.prompt.encode("utf-8")).hexdigest()[:16]


def scrub(value: Any) -> Any:
    """``value`` with :func:`redact` applied to every string in it, keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(scrub(value), ensure_ascii=False, separators=(",", ":"))


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # no signal-0 probe on Windows; never declare a live run dead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def event_from_dict(data: dict[str, Any], result: AgentResult | None = None) -> Event:
    data = dict(data)
    cls = EVENT_TYPES[data.pop("kind")]
    if cls is TurnFinished:
        data["usage"] = Usage.from_dict(data.get("usage", {}))
        data["total_usage"] = Usage.from_dict(data.get("total_usage", {}))
    if cls is AgentFinished:
        return AgentFinished(data["agent_id"], result)
    return cls(**data)


def _event_data(event: Event) -> dict[str, Any]:
    if isinstance(event, AgentFinished):
        # The result itself lives in the agents table; do not store it twice.
        status = event.result.status if event.result is not None else None
        return {"kind": event.kind, "agent_id": event.agent_id, "status": status}
    return event.to_dict()


class RunStore:
    """The history database. Usable from several threads; one recording run at a time."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from nanotui.engine.paths import data_dir

            path = data_dir() / HISTORY_FILE
        self.path = Path(path)
        self.error: str | None = None  # the first write failure while recording
        self._lock = threading.RLock()
        self._active: str | None = None
        self._seq = 0
        self._buffer: list[dict[str, Any]] = []
        self._last_of_agent: dict[str, int] = {}  # agent_id -> index in _buffer
        self._last_flush = time.monotonic()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"history folder {self.path.parent}: cannot create it ({exc.strerror})") from None
        try:
            self._db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
            self._setup()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"history {self.path}: not a usable nanotui history database ({exc}); move it aside to start afresh"
            ) from None
        self._mark_dead_runs()

    # -- setup ---------------------------------------------------------------------------

    def _setup(self) -> None:
        db = self._db
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode survives a crash of the process (not of the OS) without an
        # fsync per commit, which is the trade-off a run history wants.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"history {self.path}: written by a newer nanotui (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); upgrade nanotui"
            )
        if version == 0:
            db.execute("BEGIN IMMEDIATE")
            try:
                again = db.execute("PRAGMA user_version").fetchone()[0]
                if again == 0:  # another process may have created it meanwhile
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _mark_dead_runs(self) -> None:
        host = socket.gethostname()
        with self._lock:
            rows = self._db.execute("SELECT run_id, pid, host FROM runs WHERE status = 'running'").fetchall()
            dead = [r for r, pid, h in rows if h == host and (pid is None or not _pid_alive(pid))]
            if dead:
                with self._tx():
                    self._db.executemany("UPDATE runs SET status = 'interrupted' WHERE run_id = ?", [(r,) for r in dead])

    def _tx(self):
        return _Transaction(self._db)

    def close(self) -> None:
        with self._lock:
            try:
                self._flush()
            finally:
                self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- recording -------------------------------------------------------------------------

    def begin_run(
        self,
        run_id: str,
        plan: Any,  # nanotui.engine.plan.RunPlan
        *,
        started_at: str | None = None,
        trials: int = 1,
        judge: str | None = None,
        agent_ids: list[str] | None = None,
    ) -> None:
        """Record a run about to start and make it the one :meth:`record` writes to.
        ``plan.specs`` is the full list of agents (each model repeated for trials)."""
        from nanotui.engine.orchestrator import now_iso
        from nanotui.engine.prompt import SYSTEM_PROMPT
        from nanotui.engine.versions import component_versions

        specs = list(plan.specs)
        ids = agent_ids or [f"a{i + 1}" for i in range(len(specs))]
        task: TaskRef = plan.task_ref
        rubric = plan.rubric
        workspace = plan.agent_task.workspace
        limits = plan.limits
        plan_data = {
            "system_prompt": SYSTEM_PROMPT,
            "limits": {
                "max_turns": limits.max_turns,
                "timeout_s": limits.timeout_s,
                "max_tokens": limits.max_tokens,
                "max_cost_usd": limits.max_cost_usd,
            },
            "rubric": rubric or None,
            "variables": dict(sorted((plan.variables or {}).items())),
            # Only the folder's name: reports get shared, home paths need not be.
            "workspace": workspace.name if workspace is not None else None,
            "read_only": plan.agent_task.read_only,
            "trials": trials,
            "judge": judge,
        }
        seen: dict[str, int] = {}
        agent_rows = []
        for i, (agent_id, spec) in enumerate(zip(ids, specs)):
            seen[spec.spec] = seen.get(spec.spec, 0) + 1
            agent_rows.append((run_id, agent_id, i, spec.spec, redact(spec.display_name), seen[spec.spec]))
        with self._lock:
            self._flush()
            with self._tx():
                self._db.execute(
                    "INSERT INTO runs (run_id, task_key, task_id, task_title, prompt, started_at, status, pid, host,"
                    " models, plan, versions) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                    (
                        run_id, task_key(task), task.id, task.title, redact(task.prompt),
                        started_at or now_iso(), os.getpid(), socket.gethostname(),
                        _dumps([s.spec for s in specs]), _dumps(plan_data), _dumps(component_versions()),
                    ),
                )
                self._db.executemany(
                    "INSERT INTO agents (run_id, agent_id, idx, model, display_name, trial, status)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'queued')",
                    agent_rows,
                )
            self._active = run_id
            self._seq = 0
            self._last_flush = time.monotonic()

    def record(self, event: Event) -> None:
        """Sink for the orchestrator's event stream. Never raises: a history write failure
        must not stop the agents (the failure is kept in :attr:`error`)."""
        try:
            with self._lock:
                if self._active is None:
                    return
                if isinstance(event, AgentFinished):
                    self._buffer_event(event)
                    if event.result is not None:
                        self._finish_agent(self._active, event.result)
                    else:
                        self._flush()
                    return
                self._buffer_event(event)
                if time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S:
                    self._flush()
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)

    __call__ = record

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = f"history {self.path}: write failed ({exc})"

    def _buffer_event(self, event: Event) -> None:
        if isinstance(event, TextDelta | ReasoningDelta):
            i = self._last_of_agent.get(event.agent_id)
            if i is not None and self._buffer[i]["kind"] == event.kind:
                self._buffer[i]["text"] += event.text
                return
        self._last_of_agent[event.agent_id] = len(self._buffer)
        self._buffer.append(_event_data(event))

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer or self._active is None:
            self._buffer.clear()
            self._last_of_agent.clear()
            return
        rows = []
        for data in self._buffer:
            self._seq += 1
            rows.append((self._active, self._seq, data["agent_id"], data["kind"], _dumps(data)))
        self._buffer.clear()
        self._last_of_agent.clear()
        with self._tx():
            self._db.executemany("INSERT INTO events (run_id, seq, agent_id, kind, data) VALUES (?, ?, ?, ?, ?)", rows)

    def flush(self) -> None:
        with self._lock:
            try:
                self._flush()
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)

    def finish_agent(self, result: AgentResult, run_id: str | None = None) -> None:
        """Commit one agent's result and checks (with the events buffered so far)."""
        with self._lock:
            run_id = run_id or self._active
            if run_id is None:
                raise ValueError("finish_agent: no run is being recorded")
            self._finish_agent(run_id, result)

    def _finish_agent(self, run_id: str, result: AgentResult) -> None:
        from nanotui.engine.orchestrator import now_iso

        data = result.to_dict()
        data.pop("checks", None)
        if run_id == self._active:
            self._flush()
        with self._tx():
            self._db.execute(
                "UPDATE agents SET status = ?, result = ?, finished_at = ? WHERE run_id = ? AND agent_id = ?",
                (result.status, _dumps(data), now_iso(), run_id, result.agent_id),
            )
            self._db.execute("DELETE FROM checks WHERE run_id = ? AND agent_id = ?", (run_id, result.agent_id))
            self._db.executemany(
                "INSERT INTO checks (run_id, agent_id, idx, name, passed, detail) VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, result.agent_id, i, redact(c.name), int(c.passed), redact(c.detail))
                 for i, c in enumerate(result.checks)],
            )

    def finish_run(self, run: RunResult) -> None:
        """The run ended (``run.interrupted`` says how): commit any agent not yet committed."""
        self._end(run.run_id, run, "interrupted" if run.interrupted else "finished")

    def mark_interrupted(self, run_id: str | None = None, run: RunResult | None = None) -> None:
        """ctrl+c: keep what finished (and anything in ``run``), mark the run interrupted."""
        run_id = run_id or (run.run_id if run is not None else self._active)
        if run_id is None:
            return
        self._end(run_id, run, "interrupted")

    def _end(self, run_id: str, run: RunResult | None, status: str) -> None:
        from nanotui.engine.orchestrator import now_iso

        with self._lock:
            if run_id == self._active:
                self._flush()
            if run is not None:
                pending = {
                    r[0] for r in self._db.execute(
                        "SELECT agent_id FROM agents WHERE run_id = ? AND result IS NULL", (run_id,)
                    )
                }
                for agent in run.agents:
                    if agent.agent_id in pending:
                        self._finish_agent(run_id, agent)
            finished_at = (run.finished_at if run is not None else None) or now_iso()
            with self._tx():
                self._db.execute(
                    "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?", (status, finished_at, run_id)
                )
            if run_id == self._active:
                self._active = None

    def add_verdict(self, run_id: str, verdict: Any) -> int:  # verdict: nanotui.engine.judge.Verdict
        with self._lock, self._tx():
            row = self._db.execute(
                "SELECT COALESCE(MAX(verdict_no), 0) + 1 FROM verdicts WHERE run_id = ?", (run_id,)
            ).fetchone()
            number = int(row[0])
            self._db.execute(
                "INSERT INTO verdicts (run_id, verdict_no, judge, status, cost_usd, created_at, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, number, verdict.judge, verdict.status, verdict.cost_usd, verdict.created_at,
                 _dumps(verdict.to_dict())),
            )
        return number

    # -- reading ---------------------------------------------------------------------------

    def resolve_run_id(self, text: str) -> str:
        """A full run id from a unique prefix (or ``latest``)."""
        text = text.strip()
        with self._lock:
            if text == "latest":
                row = self._db.execute("SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1").fetchone()
                if row is None:
                    raise ConfigError("RUN_ID latest: the history is empty")
                return row[0]
            if not text:
                raise ConfigError("RUN_ID: expected a run id or a unique prefix (see `nanotui history`)")
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = [r[0] for r in self._db.execute(
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

    def list_runs(self, task: str | None = None, limit: int | None = None) -> list[RunSummary]:
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
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            RunSummary(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9], r[10], r[11])
            for r in rows
        ]

    def run_ids_for_task(self, key: str, *, up_to: str | None = None) -> list[str]:
        """Runs of one task (by :func:`task_key`), oldest first; ``up_to`` stops at that run
        (inclusive) so a report of an old run does not change when newer runs are added."""
        with self._lock:
            rows = self._db.execute(
                "SELECT run_id, started_at FROM runs WHERE task_key = ? ORDER BY started_at, rowid", (key,)
            ).fetchall()
        out = []
        for run_id, _ in rows:
            out.append(run_id)
            if run_id == up_to:
                break
        return out

    def load_run(self, run_id: str) -> RunResult:
        """The stored run, with ``extra``: ``status``, ``plan``, ``versions``, ``trials``
        (agent id -> trial number). Agents that never finished come back ``cancelled``."""
        with self._lock:
            row = self._db.execute(
                "SELECT task_id, task_title, prompt, started_at, finished_at, status, plan, versions"
                " FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise ConfigError(f"RUN_ID {run_id!r}: no stored run has this id (see `nanotui history`)")
            agent_rows = self._db.execute(
                "SELECT agent_id, model, display_name, trial, status, result FROM agents WHERE run_id = ? ORDER BY idx",
                (run_id,),
            ).fetchall()
            check_rows = self._db.execute(
                "SELECT agent_id, name, passed, detail FROM checks WHERE run_id = ? ORDER BY agent_id, idx", (run_id,)
            ).fetchall()
        task_id, title, prompt, started, finished, status, plan, versions = row
        checks: dict[str, list[CheckResult]] = {}
        for agent_id, name, passed, detail in check_rows:
            checks.setdefault(agent_id, []).append(CheckResult(name, bool(passed), detail))
        agents = []
        trials = {}
        for agent_id, model, display, trial, _, result in agent_rows:
            trials[agent_id] = trial
            if result is not None:
                agent = AgentResult.from_dict(json.loads(result))
            else:
                agent = AgentResult(agent_id, model, display, status="cancelled", error=UNFINISHED_ERROR)
            agent.checks = checks.get(agent_id, [])
            agents.append(agent)
        extra = {"status": status, "plan": json.loads(plan), "versions": json.loads(versions), "trials": trials}
        return RunResult(run_id, TaskRef(task_id, prompt, title), agents, started, finished,
                         status == "interrupted", extra)

    def verdicts(self, run_id: str) -> list[Any]:
        from nanotui.engine.judge import Verdict

        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM verdicts WHERE run_id = ? ORDER BY verdict_no", (run_id,)
            ).fetchall()
        return [Verdict.from_dict(json.loads(r[0])) for r in rows]

    def latest_verdict(self, run_id: str) -> Any:
        found = self.verdicts(run_id)
        return found[-1] if found else None

    def events(self, run_id: str, agent_id: str | None = None) -> list[Event]:
        """The stored events in order (one agent's, or all), typed as the live ones were:
        feed them to a pane to replay it."""
        with self._lock:
            if agent_id is None:
                rows = self._db.execute("SELECT data FROM events WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT data FROM events WHERE run_id = ? AND agent_id = ? ORDER BY seq", (run_id, agent_id)
                ).fetchall()
        results: dict[str, AgentResult] | None = None
        out: list[Event] = []
        for (raw,) in rows:
            data = json.loads(raw)
            result = None
            if data["kind"] == AgentFinished.kind:
                if results is None:
                    results = {a.agent_id: a for a in self.load_run(run_id).agents}
                result = results.get(data["agent_id"])
            out.append(event_from_dict(data, result))
        return out

    def integrity_check(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (ctrl+c included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")

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

import os
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nanotui.engine.clock import now_iso
from nanotui.engine.errors import ConfigError
from nanotui.engine.events import AgentFinished, Event, ReasoningDelta, TextDelta
from nanotui.engine.history import reader, suites
from nanotui.engine.history.codec import dumps, event_data, task_key
from nanotui.engine.history.reader import RunSummary
from nanotui.engine.history.schema import BUSY_TIMEOUT_S, Transaction, setup_connection
from nanotui.engine.history.versions import component_versions
from nanotui.engine.results import AgentResult, RunResult, TaskRef
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.secrets import redact

if TYPE_CHECKING:
    from nanotui.engine.verdict.verdict import Verdict

HISTORY_FILE = "history.sqlite3"
FLUSH_INTERVAL_S = 0.2


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


def open_problem(path: Path, exc: sqlite3.Error) -> str:
    """One line for a history that cannot be used, with what to do about it."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_BUSY") or "locked" in str(exc):
        return (f"history {path}: locked by another program (waited {BUSY_TIMEOUT_S:g} s); close it "
                "(a sqlite3 shell with an open transaction, say) and try again")
    if name.startswith("SQLITE_READONLY") or "readonly" in str(exc):
        return (f"history {path}: read-only ({exc}); make the file and its folder writable, "
                "or set NANOTUI_DATA_DIR to a writable folder")
    if name.startswith("SQLITE_CANTOPEN"):
        return f"history {path}: cannot open it ({exc}); check the folder's permissions or set NANOTUI_DATA_DIR"
    if name.startswith("SQLITE_CORRUPT") or "malformed" in str(exc):
        return (f"history {path}: damaged ({exc}); nanotui leaves it untouched: move it aside (runs can often "
                f"be saved with `sqlite3 {path} .recover`) and a new history is started")
    return f"history {path}: not a usable nanotui history database ({exc}); move it aside to start afresh"


class RunStore:
    """The history database. Usable from several threads; several runs may be recorded at
    once (the task runs of a suite), each event written with its own run's sequence."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from nanotui.engine.paths import data_dir

            path = data_dir() / HISTORY_FILE
        self.path = Path(path)
        self.error: str | None = None  # the first write failure while recording
        self._lock = threading.RLock()
        self._active: dict[str, int] = {}  # run being recorded -> the last event sequence written
        self._buffer: list[tuple[str, dict[str, Any]]] = []  # (run_id, event data)
        self._last_of_agent: dict[tuple[str, str], int] = {}  # (run_id, agent_id) -> index in _buffer
        self._last_flush = time.monotonic()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"history folder {self.path.parent}: cannot create it ({exc.strerror})") from None
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
            self._db = db
            self._setup()
            # Try a write now, so a read-only or locked history is one line before any agent
            # starts, not a failure to record half-way through a run.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                self._db.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                self._db.execute("ROLLBACK")
            self._mark_dead_runs()
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise ConfigError(open_problem(self.path, exc)) from None

    # -- setup ---------------------------------------------------------------------------

    def _setup(self) -> None:
        setup_connection(self._db, self.path)

    def _mark_dead_runs(self) -> None:
        host = socket.gethostname()
        with self._lock:
            rows = self._db.execute("SELECT run_id, pid, host FROM runs WHERE status = 'running'").fetchall()
            dead = [r for r, pid, h in rows if h == host and (pid is None or not _pid_alive(pid))]
            with self._tx():
                self._db.executemany("UPDATE runs SET status = 'interrupted' WHERE run_id = ?", [(r,) for r in dead])
                suites.mark_dead(self._db, _pid_alive)

    def _tx(self) -> Transaction:
        return Transaction(self._db)

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
        task: TaskRef,
        specs: Sequence[ModelSpec],
        plan: dict[str, Any],
        *,
        agent_ids: list[str] | None = None,
        started_at: str | None = None,
        suite_id: str | None = None,
    ) -> None:
        """Record a run about to start (in ``suite_id`` if it is part of a suite); its events
        go to :meth:`record`.
        ``specs`` is the full list of agents (each model repeated for trials); ``plan`` is
        what the report's method section shows (limits, prompt, rubric, trials, judge)."""
        ids = agent_ids or [f"a{i + 1}" for i in range(len(specs))]
        plan_data = dict(plan)
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
                    " models, plan, versions, suite_id) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                    (
                        run_id, task_key(task), task.id, task.title, redact(task.prompt),
                        started_at or now_iso(), os.getpid(), socket.gethostname(),
                        dumps([s.spec for s in specs]), dumps(plan_data), dumps(component_versions()), suite_id,
                    ),
                )
                self._db.executemany(
                    "INSERT INTO agents (run_id, agent_id, idx, model, display_name, trial, status)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'queued')",
                    agent_rows,
                )
            self._active[run_id] = 0
            self._last_flush = time.monotonic()

    def resume_run(self, run_id: str) -> None:
        """Record into a stored run again (``nanotui run --resume``): its events continue
        after the last one written; agents with a committed result are left as they are."""
        with self._lock:
            self._flush()
            last = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?", (run_id,)).fetchone()
            with self._tx():
                self._db.execute(
                    "UPDATE runs SET status = 'running', finished_at = NULL, pid = ?, host = ? WHERE run_id = ?",
                    (os.getpid(), socket.gethostname(), run_id),
                )
            self._active[run_id] = int(last[0])

    def record(self, event: Event, run_id: str | None = None) -> None:
        """Sink for the orchestrator's event stream (``run_id`` may be left out while one run
        is recorded). Never raises: a history write failure must not stop the agents (the
        failure is kept in :attr:`error`)."""
        try:
            with self._lock:
                if run_id is None:
                    if len(self._active) != 1:
                        return
                    run_id = next(iter(self._active))
                if run_id not in self._active:
                    return
                if isinstance(event, AgentFinished):
                    self._buffer_event(run_id, event)
                    if event.result is not None:
                        self._finish_agent(run_id, event.result)
                    else:
                        self._flush()
                    return
                self._buffer_event(run_id, event)
                if time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S:
                    self._flush()
        except Exception as exc:  # any one bad event: reported once, the run goes on
            self._fail(exc)

    __call__ = record

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = f"history {self.path}: write failed ({type(exc).__name__}: {exc})"

    def _buffer_event(self, run_id: str, event: Event) -> None:
        key = (run_id, event.agent_id)
        if isinstance(event, TextDelta | ReasoningDelta):
            i = self._last_of_agent.get(key)
            if i is not None and self._buffer[i][1]["kind"] == event.kind:
                self._buffer[i][1]["text"] += event.text
                return
        self._last_of_agent[key] = len(self._buffer)
        self._buffer.append((run_id, event_data(event)))

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            self._last_of_agent.clear()
            return
        rows = []
        buffer = self._buffer
        self._buffer = []
        self._last_of_agent.clear()
        for run_id, data in buffer:
            if run_id not in self._active:
                continue
            try:
                row = (data["agent_id"], data["kind"], dumps(data))
            except Exception as exc:  # one event that cannot be stored costs that event only
                self._fail(exc)
                continue
            self._active[run_id] += 1
            rows.append((run_id, self._active[run_id], *row))
        with self._tx():
            self._db.executemany("INSERT INTO events (run_id, seq, agent_id, kind, data) VALUES (?, ?, ?, ?, ?)", rows)

    def flush(self) -> None:
        with self._lock:
            try:
                self._flush()
            except Exception as exc:
                self._fail(exc)

    def finish_agent(self, result: AgentResult, run_id: str | None = None) -> None:
        """Commit one agent's result and checks (with the events buffered so far)."""
        with self._lock:
            if run_id is None:
                if len(self._active) != 1:
                    raise ValueError("finish_agent: which run? (give run_id)")
                run_id = next(iter(self._active))
            self._finish_agent(run_id, result)

    def _finish_agent(self, run_id: str, result: AgentResult) -> None:
        data = result.to_dict()
        data.pop("checks", None)
        if run_id in self._active:
            self._flush()
        with self._tx():
            self._db.execute(
                "UPDATE agents SET status = ?, result = ?, finished_at = ? WHERE run_id = ? AND agent_id = ?",
                (result.status, dumps(data), now_iso(), run_id, result.agent_id),
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
        run_id = run_id or (run.run_id if run is not None else None)
        if run_id is None:
            if len(self._active) != 1:
                return
            run_id = next(iter(self._active))
        self._end(run_id, run, "interrupted")

    def _end(self, run_id: str, run: RunResult | None, status: str) -> None:
        with self._lock:
            if run_id in self._active:
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
            self._active.pop(run_id, None)

    def add_verdict(self, run_id: str, verdict: Verdict) -> int:
        with self._lock, self._tx():
            row = self._db.execute(
                "SELECT COALESCE(MAX(verdict_no), 0) + 1 FROM verdicts WHERE run_id = ?", (run_id,)
            ).fetchone()
            number = int(row[0])
            self._db.execute(
                "INSERT INTO verdicts (run_id, verdict_no, judge, status, cost_usd, created_at, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, number, verdict.judge, verdict.status, verdict.cost_usd, verdict.created_at,
                 dumps(verdict.to_dict())),
            )
        return number

    # -- reading (nanotui.engine.history.reader, under the lock) ----------------------------

    def resolve_run_id(self, text: str) -> str:
        """A full run id from a unique prefix (or ``latest``)."""
        with self._lock:
            return reader.resolve_run_id(self._db, text)

    def list_runs(self, task: str | None = None, limit: int | None = None) -> list[RunSummary]:
        """Newest first. ``task`` filters by task id."""
        with self._lock:
            return reader.list_runs(self._db, task, limit)

    def run_ids_for_task(self, key: str, *, up_to: str | None = None) -> list[str]:
        with self._lock:
            return reader.run_ids_for_task(self._db, key, up_to=up_to)

    def load_run(self, run_id: str) -> RunResult:
        with self._lock:
            return reader.load_run(self._db, run_id)

    def verdicts(self, run_id: str) -> list[Verdict]:
        with self._lock:
            return reader.verdicts(self._db, run_id)

    def latest_verdict(self, run_id: str) -> Verdict | None:
        with self._lock:
            return reader.latest_verdict(self._db, run_id)

    def events(self, run_id: str, agent_id: str | None = None) -> list[Event]:
        with self._lock:
            return reader.events(self._db, run_id, agent_id)

    def integrity_check(self) -> str:
        with self._lock:
            return reader.integrity_check(self._db)

    # -- suites and housekeeping (nanotui.engine.history.suites) ------------------------------

    def begin_suite(self, suite_id: str, name: str | None, spec: dict[str, Any]) -> None:
        with self._lock, self._tx():
            suites.begin(self._db, suite_id, name, spec)

    def reopen_suite(self, suite_id: str) -> None:
        with self._lock, self._tx():
            suites.reopen(self._db, suite_id)

    def finish_suite(self, suite_id: str, status: str) -> None:
        with self._lock, self._tx():
            suites.finish(self._db, suite_id, status)

    def load_suite(self, suite_id: str) -> suites.SuiteSummary:
        with self._lock:
            return suites.load(self._db, suite_id)

    def list_suites(self, limit: int | None = None) -> list[suites.SuiteSummary]:
        with self._lock:
            return suites.list_all(self._db, limit)

    def resolve_suite_id(self, text: str) -> str | None:
        """A suite id from ``latest`` or a unique prefix, ``None`` when no suite matches."""
        with self._lock:
            return suites.resolve(self._db, text)

    def delete_runs(self, run_ids: list[str]) -> None:
        """Remove runs for good and give the space back (the WAL is checkpointed)."""
        with self._lock:
            self._flush()
            with self._tx():
                suites.delete(self._db, run_ids)
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

"""Suites: several tasks on several models in one run, and what they add up to.

A suite file (``NAME.suite.toml`` in a task folder: the built-in ``tasks/``, the config
folder's ``tasks/`` or ``./tasks``; or any path) lets a team commit its benchmark::

    title = "Our ladder"
    tasks = ["basic-read", "fix-bug"]    # or "all": every task in the library
    models = ["gpt-5-mini", "anthropic:claude-sonnet-4-6"]   # optional: every ready model
    trials = 3                            # optional, default 1
    judge = ["openai:gpt-5-mini"]         # optional: jurors; "jury" or "none" also work
    [limits]                              # optional
    max_turns = 12
    timeout_s = 300
    max_cost_usd = 5.0                    # the suite's budget: no new agent once spent

Every task of a suite is a run of its own (its own run id and report section), linked to
the suite in the history; :class:`RecordedSuite` runs them and ranks the models across all.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nanotui.engine.clock import new_run_id
from nanotui.engine.errors import ConfigError
from nanotui.engine.paths import config_dir
from nanotui.engine.results import RunResult
from nanotui.engine.run.orchestrator import RunInterrupted
from nanotui.engine.run.scheduler import Scheduler
from nanotui.engine.run.service import RecordedRun, RunHistory
from nanotui.engine.tasks.library import SUITE_SUFFIX, builtin_tasks_dir
from nanotui.engine.verdict.leaderboard import SuiteOutcome
from nanotui.engine.verdict.verdict import Verdict

SUITE_KEYS = ("title", "tasks", "models", "trials", "judge", "limits")
LIMIT_KEYS = ("max_turns", "timeout_s", "max_cost_usd")


@dataclass
class SuiteFile:
    name: str
    source: Path
    title: str | None = None
    tasks: list[str] | str = field(default_factory=list)  # ids, or "all"
    models: list[str] = field(default_factory=list)
    trials: int = 1
    judge: list[str] | str | None = None  # specs, "jury", "none", or None: the default
    limits: dict[str, float] = field(default_factory=dict)


def suite_folders() -> list[Path]:
    return [builtin_tasks_dir(), config_dir() / "tasks", Path.cwd() / "tasks"]


def find_suite(text: str) -> Path:
    """A suite by name (``ladder``: ``ladder.suite.toml`` in a task folder, later folders
    winning as for tasks) or by path."""
    path = Path(text).expanduser()
    if path.suffix == ".toml" or "/" in text:
        if not path.is_file():
            raise ConfigError("no such file", field="suite", value=text, expected="a suite name or a .suite.toml file")
        return path
    found = [f / f"{text}{SUITE_SUFFIX}" for f in suite_folders() if (f / f"{text}{SUITE_SUFFIX}").is_file()]
    if not found:
        known = sorted({p.name.removesuffix(SUITE_SUFFIX) for f in suite_folders() if f.is_dir()
                        for p in f.glob(f"*{SUITE_SUFFIX}")})
        raise ConfigError("no suite has this name", field="suite", value=text,
                          expected=f"one of {', '.join(known) or 'none found'}, or a path to a .suite.toml file")
    return found[-1]


def load_suite(text: str) -> SuiteFile:
    path = find_suite(text)
    where = str(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: file: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: toml: invalid TOML: {exc}") from None
    for key in data:
        if key not in SUITE_KEYS:
            raise ConfigError(f"{where}: {key}: unknown key (expected one of {', '.join(SUITE_KEYS)})")
    tasks = data.get("tasks")
    if tasks != "all" and (not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) for t in tasks)):
        raise ConfigError(f'{where}: tasks: expected a non-empty array of task ids, or "all"')
    models = data.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise ConfigError(f"{where}: models: expected an array of model specs or roster names")
    trials = data.get("trials", 1)
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ConfigError(f"{where}: trials: expected a whole number of at least 1, got {trials!r}")
    judge = data.get("judge")
    if judge is not None and judge not in ("jury", "none") and (
            not isinstance(judge, list) or not all(isinstance(j, str) for j in judge)):
        raise ConfigError(f'{where}: judge: expected an array of specs, "jury" or "none"')
    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise ConfigError(f"{where}: limits: expected a table")
    for key, value in limits.items():
        if key not in LIMIT_KEYS:
            raise ConfigError(f"{where}: limits.{key}: unknown key (expected one of {', '.join(LIMIT_KEYS)})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{where}: limits.{key}: expected a positive number, got {value!r}")
    title = data.get("title")
    name = path.name.removesuffix(SUITE_SUFFIX).removesuffix(".toml")
    return SuiteFile(name, path, title if isinstance(title, str) else None, tasks, list(models), trials, judge,
                     dict(limits))


def new_suite_id() -> str:
    return "s-" + new_run_id()


class RecordedSuite:
    """Every task of a suite as its own :class:`RecordedRun`, linked to one suite entry in the
    history; judged per task; ranked across all of them (:meth:`outcome`).

    ``runs`` are made by the caller (one per task, each with its plan, its jurors and its
    sink) so the CLI and the app build them the same way they build a single run."""

    def __init__(self, runs: list[RecordedRun], *, history: RunHistory | None, name: str | None,
                 spec: dict[str, Any], suite_id: str | None = None, resumed: bool = False,
                 scheduler: Scheduler | None = None) -> None:
        """``scheduler``: the one the runs were given (for the budget and the queue's state)."""
        self.runs = runs
        self.scheduler = scheduler or Scheduler()
        self.history = history
        self.suite_id = suite_id or new_suite_id()
        self.name = name
        self.spec = spec
        self.resumed = resumed
        self.history_error: str | None = None
        for run in runs:
            run.suite_id = self.suite_id

    def begin(self) -> None:
        if self.history is None:
            return
        try:
            if self.resumed:
                self.history.reopen_suite(self.suite_id)
            else:
                self.history.begin_suite(self.suite_id, self.name, self.spec)
        except Exception as exc:
            self.history_error = f"could not record the suite ({type(exc).__name__}: {exc})"

    async def execute(self, max_cost_usd: float | None = None,
                      notify: Callable[[str], None] | None = None) -> list[RunResult]:
        """Run every task at once, every agent through one queue (the runs share one
        :class:`Scheduler`: the per-provider limits hold across the suite); on cancel,
        what finished is kept and the suite is interrupted. With ``max_cost_usd``, no agent
        starts once the agents have spent it (those already running finish)."""
        self.begin()
        results: list[RunResult] = []
        status = "finished"
        try:
            done = await asyncio.gather(*(run.execute() for run in self.runs), return_exceptions=True)
            for outcome in done:
                if isinstance(outcome, BaseException):
                    if isinstance(outcome, RunInterrupted):
                        results.append(outcome.run)
                        status = "interrupted"
                        continue
                    raise outcome
                results.append(outcome)
            if max_cost_usd is not None and notify is not None and self.scheduler.spent_usd >= max_cost_usd:
                notify(f"suite budget ${max_cost_usd:g} reached (${self.scheduler.spent_usd:.4f} spent): "
                       "agents not started then are marked as such")
        except (RunInterrupted, asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        finally:
            if any(r.interrupted for r in results):
                status = "interrupted"
            self._finish(status)
        return results

    def _finish(self, status: str) -> None:
        if self.history is None or self.history_error is not None:
            return
        try:
            self.history.finish_suite(self.suite_id, status)
        except Exception as exc:
            self.history_error = f"could not save the suite ({type(exc).__name__}: {exc})"

    async def judge(self) -> dict[str, Verdict | None]:
        return {run.run_id: await run.judge() for run in self.runs if run.result is not None}

    def outcome(self, verdicts: dict[str, Verdict | None] | None = None) -> SuiteOutcome:
        results = [r.result for r in self.runs if r.result is not None]
        verdicts = verdicts if verdicts is not None else {r.run_id: r.verdict for r in self.runs}
        status = "interrupted" if len(results) < len(self.runs) or any(r.interrupted for r in results) else "finished"
        models = list(dict.fromkeys(s.spec for run in self.runs for s in run.plan.specs))
        tasks = [run.plan.task_ref.id or run.run_id for run in self.runs]
        return SuiteOutcome(self.suite_id, status, tasks, models, results, verdicts)

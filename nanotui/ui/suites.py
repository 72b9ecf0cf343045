"""A stored suite, read back for the Leaderboard screen: its task runs, their latest verdicts
and the ranking across them (the same :class:`SuiteOutcome` a fresh suite gives)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanotui.engine.run.suite import SuiteOutcome

if TYPE_CHECKING:
    from nanotui.engine.history.store import RunStore


def stored_suite(store: RunStore, suite_id: str) -> SuiteOutcome:
    """Raises :class:`~nanotui.engine.errors.NanotuiError` when the suite is not stored."""
    summary = store.load_suite(suite_id)
    runs = [store.load_run(run_id) for run_id in summary.run_ids]
    verdicts = {run.run_id: store.latest_verdict(run.run_id) for run in runs}
    tasks = [run.task.id or run.run_id for run in runs]
    models = list(dict.fromkeys(a.model for run in runs for a in run.agents))
    return SuiteOutcome(summary.suite_id, summary.status, tasks, models, runs, verdicts)


def suite_title(name: str | None, tasks: list[str]) -> str:
    """What a suite is called on screen: its suite file's name, else its tasks."""
    if name:
        return name
    return f"{len(tasks)} tasks: " + ", ".join(tasks) if len(tasks) != 1 else tasks[0]

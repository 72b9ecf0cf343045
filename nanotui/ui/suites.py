"""A stored suite, read back for the Leaderboard screen: its task runs, their latest verdicts
and the ranking across them (the same :class:`SuiteOutcome` a fresh suite gives)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanotui.engine.report.suite import stored_outcome
from nanotui.engine.verdict.leaderboard import SuiteOutcome

if TYPE_CHECKING:
    from nanotui.engine.history.store import RunStore


def stored_suite(store: RunStore, suite_id: str) -> SuiteOutcome:
    """Raises :class:`~nanotui.engine.errors.NanotuiError` when the suite is not stored."""
    return stored_outcome(store, suite_id)


def suite_title(name: str | None, tasks: list[str]) -> str:
    """What a suite is called on screen: its suite file's name, else its tasks."""
    if name:
        return name
    return f"{len(tasks)} tasks: " + ", ".join(tasks) if len(tasks) != 1 else tasks[0]

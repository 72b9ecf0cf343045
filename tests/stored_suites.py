"""Suites built by hand in a history, for the app's Leaderboard and History tests: fixed ids
and dates, a verdict per task run, nothing time-dependent."""

from __future__ import annotations

import pytest

from nanotui.engine.history import suites as stored_suites
from nanotui.engine.history.store import RunStore
from nanotui.engine.results import RunResult
from tests.stored_runs import agent, run_of, spec_of, store_run, verdict_for

SUITE_ID = "s-20261101-120000-5b1e0a"
STARTED = "2026-11-01T12:00:00+00:00"
MODELS = (("openai:gpt-5-mini", "GPT-5 mini"), ("anthropic:claude-sonnet-4-5", "Claude Sonnet 4.5"),
          ("ollama:gpt-oss:20b", "gpt-oss 20b (Ollama)"))
# Per task, each model's grade (one per trial): the first two models close, the third failing.
LADDER = {
    "json-answer": (("S",), ("A",), ("F",)),
    "basic-read": (("A",), ("A",), ("D",)),
    "file-ops": (("A",), ("B",), ("F",)),
    "code-analysis": (("B",), ("A",), (None,)),
    "mini-project": (("A",), ("C",), ("F",)),
}


def store_suite(store: RunStore, monkeypatch: pytest.MonkeyPatch, *, suite_id: str = SUITE_ID,
                name: str | None = "ladder", ladder: dict[str, tuple[tuple[str | None, ...], ...]] | None = None,
                models: tuple[tuple[str, str], ...] = MODELS, status: str = "finished") -> list[RunResult]:
    """A suite of one run per task, each judged with the grades given, stored as the suite
    service stores it (task runs linked to one suite entry)."""
    monkeypatch.setattr(stored_suites, "now_iso", lambda: STARTED)
    ladder = ladder or LADDER
    trials = max(len(g) for per_model in ladder.values() for g in per_model)
    store.begin_suite(suite_id, name, {"tasks": list(ladder), "models": [m for m, _ in models], "trials": trials})
    runs = []
    for t, (task, per_model) in enumerate(ladder.items()):
        agents, grades = [], {}
        for m, ((model, display), model_grades) in enumerate(zip(models, per_model)):
            for trial, grade in enumerate(model_grades):
                agent_id = f"a{m * trials + trial + 1}"
                agents.append(agent(agent_id, model, display_name=display, wall_s=4.0 + m + t, retry_wait_s=1.0,
                                    cost_usd=0.002 * (3 - m) if not model.startswith("ollama") else 0.0,
                                    status="ok" if grade else "error"))
                grades[agent_id] = grade
        run = run_of(*agents, run_id=f"20261101-12{t:02d}00-5b1e0{t}", task_id=task)
        run.started_at = f"2026-11-01T12:{t:02d}:00+00:00"
        run.finished_at = f"2026-11-01T12:{t:02d}:30+00:00"
        _store_in_suite(store, run, suite_id, trials)
        store.add_verdict(run.run_id, verdict_for(run, grades))
        runs.append(run)
    store.finish_suite(suite_id, status)
    return runs


def _store_in_suite(store: RunStore, run: RunResult, suite_id: str, trials: int) -> None:
    # store_run's recording, with the suite link the suite service adds.
    begin = store.begin_run

    def linked(*args, **kwargs):
        return begin(*args, suite_id=suite_id, **kwargs)

    store.begin_run = linked  # type: ignore[method-assign]
    try:
        store_run(store, run, trials=trials)
    finally:
        del store.begin_run


__all__ = ["SUITE_ID", "spec_of", "store_suite"]

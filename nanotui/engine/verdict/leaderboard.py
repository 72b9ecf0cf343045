"""The leaderboard of a suite: per model, across every task and trial, how it did and how sure
that is.

- ``mean_points``: the mean performance (S=5 .. F=0) over the model's attempts (task x trial);
  an ungraded attempt counts as F (0): a model that did not produce a gradable result did
  not do the job. A cancelled attempt is left out.
- ``ci95``: a 95 % percentile bootstrap interval of that mean, resampling the attempts
  (``BOOTSTRAP_SAMPLES`` times, seeded with the suite id, so the same data gives the same
  interval).
- ``passed``: attempts whose performance reached A or better; ``pass_k`` (trials > 1): for
  each task the chance that k trials drawn from the model's trials all pass,
  C(passes, k) / C(trials, k), averaged over the tasks, for k = 1 and k = trials.
- Ranked by mean points, then total working time, then total cost (unknown last).
- ``clear_winner``: false when the first model's interval overlaps the second's; the note
  then says so, with how many more trials per task would separate them if the difference
  held (the interval narrows as 1/sqrt(n)).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.results import RunResult
from nanotui.engine.verdict.grading import BY_POINTS, PASS_GRADE, POINTS, AgentGrades, grade_run, pass_hat_k, reaches
from nanotui.engine.verdict.verdict import Verdict

BOOTSTRAP_SAMPLES = 2000


@dataclass(slots=True)
class ModelRow:
    model: str
    display_name: str
    attempts: int = 0
    passed: int = 0
    mean_points: float | None = None
    ci95: tuple[float, float] | None = None
    pass_k: dict[str, float] | None = None
    cost_usd: float | None = 0.0
    working_s: float = 0.0
    wall_s: float = 0.0
    grades_by_task: dict[str, str | None] = field(default_factory=dict)
    rank: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "model": self.model,
            "display_name": self.display_name,
            "attempts": self.attempts,
            "passed": self.passed,
            "mean_points": None if self.mean_points is None else round(self.mean_points, 4),
            "ci95": None if self.ci95 is None else [round(self.ci95[0], 4), round(self.ci95[1], 4)],
            "pass_k": self.pass_k,
            "cost_usd": self.cost_usd,
            "working_s": round(self.working_s, 3),
            "wall_s": round(self.wall_s, 3),
            "grades_by_task": dict(self.grades_by_task),
        }


@dataclass(slots=True)
class Leaderboard:
    rows: list[ModelRow]
    tasks: list[str]
    clear_winner: bool
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"leaderboard": [r.to_dict() for r in self.rows], "clear_winner": self.clear_winner,
                "leaderboard_note": self.note}


def bootstrap_ci(values: list[float], seed: str, samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean of ``values`` (seeded)."""
    if len(values) == 1:
        return values[0], values[0]
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choice(values) for _ in range(n)) / n for _ in range(samples))
    lo = means[math.floor(0.025 * (samples - 1))]
    hi = means[math.ceil(0.975 * (samples - 1))]
    return lo, hi


def _task_id(run: RunResult) -> str:
    return run.task.id or run.run_id


def leaderboard(graded: list[tuple[RunResult, list[AgentGrades]]], seed: str) -> Leaderboard:
    """``graded``: one (run, grades) per task of the suite."""
    rows: dict[str, ModelRow] = {}
    points: dict[str, list[float]] = {}
    passes: dict[tuple[str, str], list[bool]] = {}
    task_points: dict[tuple[str, str], list[int]] = {}
    tasks = [_task_id(run) for run, _ in graded]
    for run, grades in graded:
        task = _task_id(run)
        by_id = {g.agent_id: g for g in grades}
        for a in run.agents:
            row = rows.setdefault(a.model, ModelRow(a.model, a.display_name))
            g = by_id.get(a.agent_id)
            row.wall_s += a.wall_s
            row.working_s += a.working_s
            row.cost_usd = None if row.cost_usd is None or a.cost_usd is None else row.cost_usd + a.cost_usd
            if a.status == "cancelled" and (g is None or g.performance is None):
                continue
            row.attempts += 1
            perf = g.performance if g is not None else None
            points.setdefault(a.model, []).append(float(POINTS[perf]) if perf is not None else 0.0)
            if perf is not None:
                task_points.setdefault((a.model, task), []).append(POINTS[perf])
            ok = reaches(perf, PASS_GRADE)
            row.passed += ok
            passes.setdefault((a.model, task), []).append(ok)
    for model, row in rows.items():
        values = points.get(model, [])
        if values:
            row.mean_points = sum(values) / len(values)
            row.ci95 = bootstrap_ci(values, f"{seed}:{model}")
        for task in tasks:  # the model's grade on a task: its trials' mean, rounded half up
            got = task_points.get((model, task), [])
            row.grades_by_task[task] = BY_POINTS[math.floor(sum(got) / len(got) + 0.5)] if got else None
        trials = max((len(v) for (m, _), v in passes.items() if m == model), default=0)
        if trials > 1:
            per = [v for (m, _), v in passes.items() if m == model and len(v) == trials]
            row.pass_k = {str(k): round(sum(pass_hat_k(sum(v), trials, k) for v in per) / len(per), 4)
                          for k in sorted({1, trials})} if per else None
    ordered = sorted(rows.values(), key=lambda r: (-(r.mean_points if r.mean_points is not None else -1.0),
                                                   r.working_s,
                                                   r.cost_usd if r.cost_usd is not None else math.inf, r.model))
    for i, r in enumerate(ordered, start=1):
        r.rank = i
    clear, note = _winner(ordered, tasks)
    return Leaderboard(ordered, tasks, clear, note)


def _winner(rows: list[ModelRow], tasks: list[str]) -> tuple[bool, str]:
    scored = [r for r in rows if r.ci95 is not None and r.mean_points is not None]
    if not scored:
        return False, "no model was graded"
    if len(scored) == 1:
        return True, f"{scored[0].display_name} is the only model graded"
    first, second = scored[0], scored[1]
    assert first.ci95 is not None and second.ci95 is not None
    if first.ci95[0] > second.ci95[1]:
        return True, (f"{first.display_name} leads: its interval [{first.ci95[0]:.2f}, {first.ci95[1]:.2f}] "
                      f"is above {second.display_name}'s [{second.ci95[0]:.2f}, {second.ci95[1]:.2f}]")
    gap = (first.mean_points or 0.0) - (second.mean_points or 0.0)
    half = (first.ci95[1] - first.ci95[0]) / 2 + (second.ci95[1] - second.ci95[0]) / 2
    words = f"no clear winner between {first.display_name} and {second.display_name}: their intervals overlap"
    n = max(first.attempts, 1)
    per_task = max(len(tasks), 1)
    if gap <= 0 or half <= 0:
        return False, words + "; no difference was seen, so more trials would not separate them"
    needed = math.ceil(n * (half / gap) ** 2)  # the interval narrows as 1/sqrt(n)
    trials_now = max(1, round(n / per_task))
    more = max(1, math.ceil(needed / per_task) - trials_now)
    return False, words + f"; about {more} more trial(s) per task would separate them if the difference holds"


@dataclass
class SuiteOutcome:
    """A suite's runs (one per task, in task order), their verdicts, and the leaderboard."""

    suite_id: str
    status: str  # finished | interrupted
    tasks: list[str]
    models: list[str]
    runs: list[RunResult]
    verdicts: dict[str, Verdict | None]

    def board(self) -> Leaderboard:
        graded = [(run, grade_run(run, self.verdicts.get(run.run_id))) for run in self.runs]
        return leaderboard(graded, seed=self.suite_id)

    def to_dict(self, run_documents: list[dict[str, Any]]) -> dict[str, Any]:
        """The ``--json`` shape for more than one task (docs/cli.md)."""
        board = self.board()
        return {
            "suite_id": self.suite_id,
            "status": self.status,
            "tasks": list(self.tasks),
            "models": list(self.models),
            "runs": run_documents,
            **board.to_dict(),
        }

"""Trials: each model run N times in one run, and what the repeats say about it.

A trial *passes* when its performance reached A or better (the same bar the advisor uses).
pass^k is the chance that k trials drawn from the N all pass: C(passes, k) / C(N, k), so
pass^1 is the pass rate and pass^N is 1 only if every trial passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nanotui.engine.results import AgentResult, RunResult
from nanotui.engine.roster.spec import ModelSpec
from nanotui.engine.verdict.grading import AgentGrades, pass_hat_k


def expand_trials(specs: list[ModelSpec], trials: int) -> list[ModelSpec]:
    """Each model ``trials`` times, a model's trials side by side (agents a1..aN are model 1)."""
    return [spec for spec in specs for _ in range(trials)]


@dataclass(frozen=True, slots=True)
class Spread:
    mean: float
    min: float
    max: float

    def to_dict(self) -> dict[str, float]:
        return {"mean": round(self.mean, 6), "min": round(self.min, 6), "max": round(self.max, 6)}


def _spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    return Spread(sum(values) / len(values), min(values), max(values))


@dataclass(frozen=True, slots=True)
class TrialStats:
    model: str
    display_name: str
    trials: int
    passes: int
    wall_s: Spread
    cost_usd: Spread | None  # None when any trial's cost is unknown

    def pass_hat(self, k: int) -> float:
        return pass_hat_k(self.passes, self.trials, k)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "display_name": self.display_name,
            "trials": self.trials,
            "passes": self.passes,
            "pass_hat_1": round(self.pass_hat(1), 4),
            f"pass_hat_{self.trials}": round(self.pass_hat(self.trials), 4),
            "wall_s": self.wall_s.to_dict(),
            "cost_usd": self.cost_usd.to_dict() if self.cost_usd else None,
        }


def trial_stats(run: RunResult, grades: list[AgentGrades]) -> list[TrialStats]:
    """Per model, in the order the models first appear in the run."""
    by_id = {g.agent_id: g for g in grades}
    groups: dict[str, list[AgentResult]] = {}
    for agent in run.agents:
        groups.setdefault(agent.model, []).append(agent)
    out = []
    for model, agents in groups.items():
        costs = [a.cost_usd for a in agents]
        out.append(
            TrialStats(
                model=model,
                display_name=agents[0].display_name,
                trials=len(agents),
                passes=sum(1 for a in agents if a.agent_id in by_id and by_id[a.agent_id].passed),
                wall_s=_spread([a.wall_s for a in agents]),  # type: ignore[arg-type]  # a group is never empty
                cost_usd=None if any(c is None for c in costs) else _spread(costs),  # type: ignore[arg-type]  # no None left: checked just before
            )
        )
    return out

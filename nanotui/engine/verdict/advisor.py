"""The trade-off advisor: across the stored runs of one task, which model to pick.

Per model it pools every attempt (runs and trials): how often performance reached A or
better, the mean performance, the median wall time and the median cost. Like is pooled with
like: a model's mean performance comes from its judged attempts when it has any (a judge's
grade and a checks-only grade are not the same measure), else from its checks-only ones,
and the basis is shown. It names the
cheapest and the fastest model that reached A or better in at least half of its attempts,
and the Pareto front on quality (higher), cost and latency (lower): the models no other
model beats on all three (leaving out models whose mean grade is F).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.results import RunResult
from nanotui.engine.verdict.grading import BY_POINTS, PASS_GRADE, POINTS, AgentGrades, reaches


@dataclass(frozen=True, slots=True)
class ModelStats:
    model: str  # provider:model
    display_name: str
    attempts: int
    graded: int  # attempts with a performance grade
    reached: int  # attempts whose performance reached PASS_GRADE or better
    mean_points: float | None  # mean performance points (S=5 .. F=0) of graded attempts
    median_wall_s: float
    median_cost_usd: float | None  # median of the attempts whose cost is known
    basis: str = "none"  # what mean_points rests on: "judge", "checks" or "none"

    @property
    def quality(self) -> str | None:
        """The mean performance as a grade (rounded half up)."""
        if self.mean_points is None:
            return None
        return BY_POINTS[math.floor(round(self.mean_points, 9) + 0.5)]

    @property
    def recommendable(self) -> bool:
        return self.attempts > 0 and self.reached * 2 >= self.attempts

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "display_name": self.display_name,
            "attempts": self.attempts,
            "graded": self.graded,
            "reached_a": self.reached,
            "mean_performance_points": None if self.mean_points is None else round(self.mean_points, 3),
            "quality": self.quality,
            "quality_basis": self.basis,
            "median_wall_s": round(self.median_wall_s, 3),
            "median_cost_usd": self.median_cost_usd,
        }


@dataclass(frozen=True, slots=True)
class Advice:
    runs: list[str]
    models: list[ModelStats]  # sorted by model spec
    cheapest: ModelStats | None
    fastest: ModelStats | None
    pareto: list[ModelStats] = field(default_factory=list)  # best quality first

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": list(self.runs),
            "pass_grade": PASS_GRADE,
            "cheapest": self.cheapest.model if self.cheapest else None,
            "fastest": self.fastest.model if self.fastest else None,
            "pareto_front": [m.model for m in self.pareto],
            "pareto_reasons": {m.model: front_reason(m, self.pareto) for m in self.pareto},
            "models": [m.to_dict() for m in self.models],
        }


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def model_stats(graded_runs: list[tuple[RunResult, list[AgentGrades]]]) -> list[ModelStats]:
    pooled: dict[str, list[tuple[Any, AgentGrades]]] = {}
    names: dict[str, str] = {}
    for run, grades in graded_runs:
        by_id = {g.agent_id: g for g in grades}
        for agent in run.agents:
            g = by_id.get(agent.agent_id)
            if g is None:
                continue
            pooled.setdefault(agent.model, []).append((agent, g))
            names.setdefault(agent.model, agent.display_name)
    out = []
    for model in sorted(pooled):
        items = pooled[model]
        judged = [g for _, g in items if g.performance is not None and g.basis == "judge"]
        checked = [g for _, g in items if g.performance is not None and g.basis != "judge"]
        basis = "judge" if judged else "checks" if checked else "none"
        points = [POINTS[g.performance] for g in (judged or checked) if g.performance is not None]
        costs = [a.cost_usd for a, _ in items if a.cost_usd is not None]
        out.append(
            ModelStats(
                model=model,
                display_name=names[model],
                attempts=len(items),
                graded=len(points),
                reached=sum(reaches(g.performance, PASS_GRADE) for _, g in items),
                mean_points=(sum(points) / len(points)) if points else None,
                median_wall_s=float(_median([a.wall_s for a, _ in items]) or 0.0),
                median_cost_usd=_median(costs),
                basis=basis,
            )
        )
    return out


def _cost(m: ModelStats) -> float:
    return m.median_cost_usd if m.median_cost_usd is not None else math.inf


def dominates(a: ModelStats, b: ModelStats) -> bool:
    """``a`` is at least as good as ``b`` on quality, cost and latency, and better on one."""
    assert a.mean_points is not None and b.mean_points is not None
    no_worse = a.mean_points >= b.mean_points and _cost(a) <= _cost(b) and a.median_wall_s <= b.median_wall_s
    better = a.mean_points > b.mean_points or _cost(a) < _cost(b) or a.median_wall_s < b.median_wall_s
    return no_worse and better


def pareto_front(models: list[ModelStats]) -> list[ModelStats]:
    """Models graded F on average never make the front: being cheap or fast does not
    redeem a model that cannot do the job."""
    graded = [m for m in models if m.mean_points is not None and m.quality != "F"]
    front = [m for m in graded if not any(dominates(o, m) for o in graded if o is not m)]
    return sorted(front, key=lambda m: (-(m.mean_points or 0.0), _cost(m), m.median_wall_s, m.model))


def advise(graded_runs: list[tuple[RunResult, list[AgentGrades]]]) -> Advice:
    models = model_stats(graded_runs)
    good = [m for m in models if m.recommendable]
    priced = [m for m in good if m.median_cost_usd is not None]
    cheapest = min(priced, key=lambda m: (_cost(m), m.median_wall_s, m.model), default=None)
    fastest = min(good, key=lambda m: (m.median_wall_s, _cost(m), m.model), default=None)
    return Advice([r.run_id for r, _ in graded_runs], models, cheapest, fastest, pareto_front(models))


def front_reason(m: ModelStats, front: list[ModelStats]) -> str:
    """One line: why ``m`` is on the Pareto front (what no other front member beats it on)."""
    if m.mean_points is None:
        return ""
    quality = f"{m.quality} ({m.mean_points:.1f}, {m.basis})"
    better = [o for o in front if o is not m and (o.mean_points or 0.0) > m.mean_points]
    if not better:
        return f"the best quality: {quality}"
    cheaper = [o for o in better if _cost(o) <= _cost(m)]
    if not cheaper:
        return f"cheaper than every model above its quality {quality}"
    return f"faster than every model above its quality {quality}"

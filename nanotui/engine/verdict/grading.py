"""Grades S (best) to F and the ranking: pure functions of a run and, when there is one, the
judge's verdict.

Performance comes from the judge, or without one from the task's checks (all pass A, none
F, in between proportional). Speed and cost are graded against the run's field by the ratio
to the best contender. Overall is a weighted mean gated by performance: an F in performance
is an F overall, and being fast or cheap never lifts overall above performance.
The README's "History, judge and reports" section documents the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from nanotui.engine.results import AgentResult, CheckResult, RunResult

if TYPE_CHECKING:
    from nanotui.engine.verdict.verdict import Verdict

GRADES = ("S", "A", "B", "C", "D", "F")
POINTS = {"S": 5, "A": 4, "B": 3, "C": 2, "D": 1, "F": 0}
BY_POINTS = {p: g for g, p in POINTS.items()}

# Ratio of an agent's figure to the best contender's -> grade (first limit it fits under).
RATIO_STEPS: tuple[tuple[float, str], ...] = ((1.10, "S"), (1.5, "A"), (2.0, "B"), (3.0, "C"), (5.0, "D"))
# Added to both sides of the ratio so that differences too small to matter do not read as
# a factor: under a second of working time, under a cent (a free local model beside a
# $0.01 run must not make that run read as F). Speed is measured on working time (wall less
# queue and retry waits): the model's speed, not the rate limiter's.
SPEED_FLOOR_S = 1.0
COST_FLOOR_USD = 0.01
WEIGHTS = {"performance": 0.6, "speed": 0.25, "cost": 0.15}

PASS_GRADE = "A"  # "reached A or better": a trial passes, the advisor recommends

Basis = str  # "judge" | "checks" | "status" | "unscored" | "cancelled" | "none"


@dataclass(frozen=True, slots=True)
class AgentGrades:
    agent_id: str
    performance: str | None  # None: unscored
    basis: Basis
    speed: str | None
    cost: str | None  # None: the price is unknown
    overall: str | None
    score: float | None  # weighted points 0..5 before the performance cap
    rank: int = 0
    rationale: str = ""
    label: str = ""  # the judge's blind label ("Candidate C"), if judged
    cap: str | None = None  # why the judge's grade was lowered to the checks-only grade
    juror_grades: dict[str, str | None] = field(default_factory=dict)
    position_consistent: bool | None = None  # False: a juror graded it differently in the two orders

    @property
    def passed(self) -> bool:
        return reaches(self.performance, PASS_GRADE)

    @property
    def capped_by_checks(self) -> bool:
        return self.cap is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "performance": self.performance,
            "performance_basis": {
                "source": self.basis,
                "capped_by_checks": self.capped_by_checks,
                "cap": self.cap,
                "juror_grades": dict(self.juror_grades),
                "position_consistent": self.position_consistent,
            },
            "speed": self.speed,
            "cost": self.cost,
            "overall": self.overall,
            "score": self.score,
            "rationale": self.rationale,
            "judge_label": self.label or None,
        }


def reaches(grade: str | None, bar: str) -> bool:
    return grade is not None and POINTS[grade] >= POINTS[bar]


def _half_up(x: float) -> int:
    return math.floor(round(x, 9) + 0.5)


def performance_from_checks(checks: list[CheckResult]) -> str | None:
    """All pass A, none F; otherwise B, C or D in proportion (``round(4 x share)`` kept in 1..3)."""
    if not checks:
        return None
    share = sum(c.passed for c in checks) / len(checks)
    if share == 1.0:
        return "A"
    if share == 0.0:
        return "F"
    return BY_POINTS[min(3, max(1, _half_up(4 * share)))]


def relative_grade(value: float, best: float, floor: float) -> str:
    """``(value + floor) / (best + floor)`` against :data:`RATIO_STEPS`."""
    ratio = (value + floor) / (best + floor)
    for limit, grade in RATIO_STEPS:
        if ratio <= limit + 1e-9:
            return grade
    return "F"


def overall_grade(performance: str | None, speed: str | None, cost: str | None) -> tuple[str | None, float | None]:
    """Weighted points, capped at performance; F performance is F overall. An unknown cost
    drops out and the other weights are scaled up."""
    if performance is None:
        return None, None
    parts = [(WEIGHTS["performance"], POINTS[performance])]
    if speed is not None:
        parts.append((WEIGHTS["speed"], POINTS[speed]))
    if cost is not None:
        parts.append((WEIGHTS["cost"], POINTS[cost]))
    score = round(sum(w * p for w, p in parts) / sum(w for w, _ in parts), 4)
    if performance == "F":
        return "F", score
    return BY_POINTS[min(POINTS[performance], _half_up(score))], score


@dataclass(frozen=True, slots=True)
class Performance:
    grade: str | None
    basis: Basis
    rationale: str = ""
    label: str = ""
    cap: str | None = None
    juror_grades: dict[str, str | None] = field(default_factory=dict)
    position_consistent: bool | None = None


def _performance(agent: AgentResult, verdict: Verdict | None) -> Performance:
    """Checks are facts: a judge's grade never stands above the checks-only grade when a
    check failed, and without a usable judge grade the checks grade."""
    from_checks = performance_from_checks(agent.checks)
    cand = verdict.candidates.get(agent.agent_id) if verdict is not None and verdict.usable else None
    if cand is not None and cand.grade is not None:
        grade, cap = cand.grade, None
        failed = [c for c in agent.checks if not c.passed]
        if failed and from_checks is not None and POINTS[grade] > POINTS[from_checks]:
            passed = len(agent.checks) - len(failed)
            cap = f"judge said {grade}; {passed}/{len(agent.checks)} checks passed, so at most {from_checks}"
            grade = from_checks
        return Performance(grade, "judge", cand.rationale, cand.label, cap, dict(cand.juror_grades),
                           cand.position_consistent)
    if agent.status == "cancelled":
        # Stopped by the user (or a crash of nanotui): not the model's failure, so no F.
        return Performance(None, "cancelled", "cancelled before it finished")
    if from_checks is not None:
        return Performance(from_checks, "checks")
    if agent.status != "ok":
        return Performance("F", "status", f"did not finish: {agent.status}")
    if cand is not None:
        return Performance(None, "unscored", cand.rationale, cand.label, None, dict(cand.juror_grades))
    return Performance(None, "none")


def _agent_index(agent_id: str) -> tuple[int, str]:
    digits = "".join(ch for ch in agent_id if ch.isdigit())
    return (int(digits) if digits else 0, agent_id)


def rank_key(g: AgentGrades, agent: AgentResult) -> tuple[float, float, float, tuple[int, str]]:
    """Overall grade (unscored last), then working time, then cost (unknown last), then agent id."""
    overall = -POINTS[g.overall] if g.overall is not None else 1
    cost = agent.cost_usd if agent.cost_usd is not None else math.inf
    return (overall, round(agent.working_s, 6), cost, _agent_index(agent.agent_id))


def grade_run(run: RunResult, verdict: Verdict | None = None) -> list[AgentGrades]:
    """Grades for every agent of ``run``, in ranking order (``rank`` 1 is the best)."""
    perf = {a.agent_id: _performance(a, verdict) for a in run.agents}
    # The field speed and cost are measured against: agents that did the job at least
    # partly. An agent that failed in 0.1 s must not make everyone else look slow.
    contenders = [a for a in run.agents if perf[a.agent_id].grade not in (None, "F")] or list(run.agents)
    best_working = min((a.working_s for a in contenders), default=0.0)
    known_costs = [a.cost_usd for a in contenders if a.cost_usd is not None]
    best_cost = min(known_costs) if known_costs else None
    graded: list[tuple[AgentGrades, AgentResult]] = []
    for a in run.agents:
        p = perf[a.agent_id]
        speed = relative_grade(a.working_s, best_working, SPEED_FLOOR_S)
        cost = None
        if a.cost_usd is not None:
            cost = relative_grade(a.cost_usd, best_cost if best_cost is not None else a.cost_usd, COST_FLOOR_USD)
        overall, score = overall_grade(p.grade, speed, cost)
        graded.append((AgentGrades(a.agent_id, p.grade, p.basis, speed, cost, overall, score, 0, p.rationale, p.label,
                                   p.cap, p.juror_grades, p.position_consistent), a))
    graded.sort(key=lambda pair: rank_key(*pair))
    return [replace(g, rank=i + 1) for i, (g, _) in enumerate(graded)]


def grading_note(grades: list[AgentGrades]) -> str:
    """One line saying what the performance grades rest on."""
    bases = {g.basis for g in grades}
    if "judge" in bases or "unscored" in bases:
        capped = sum(g.capped_by_checks for g in grades)
        note = f"; {capped} capped by failed checks" if capped else ""
        return "performance graded by the judge, never above what the task's checks allow" + note
    if "checks" in bases:
        return "checks only (no judge): performance from the task's checks"
    if bases == {"cancelled"}:
        return "not graded: every agent was cancelled before it finished"
    return "no judge and no checks: only agents that failed to finish are graded (F)"


def pass_hat_k(passes: int, trials: int, k: int) -> float:
    """pass^k: the chance that k trials drawn from these all pass, C(c, k) / C(n, k)."""
    if k < 1 or k > trials:
        raise ValueError(f"k must be in 1..{trials}")
    return math.comb(passes, k) / math.comb(trials, k)

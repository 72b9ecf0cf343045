"""What a jury decided about one run: each juror's grades per pass, the aggregated grade per
candidate, the jury's agreement, position consistency and self-preference, and the cost.

A verdict with one juror and one pass is what a single judge gives (and what histories
written before juries held: :meth:`Verdict.from_dict` reads both)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.usage import Usage


@dataclass(slots=True)
class CandidateGrade:
    """The jury's grade of one candidate (``None``: unscored by every juror)."""

    agent_id: str
    label: str  # the first juror's blind label in its first pass ("Candidate C")
    grade: str | None
    rationale: str = ""
    juror_grades: dict[str, str | None] = field(default_factory=dict)  # juror spec -> its grade
    position_consistent: bool | None = None  # False: some juror graded it differently in the two orders

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "label": self.label,
            "grade": self.grade,
            "rationale": self.rationale,
            "juror_grades": dict(sorted(self.juror_grades.items())),
            "position_consistent": self.position_consistent,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CandidateGrade:
        return cls(d["agent_id"], d.get("label", ""), d.get("grade"), d.get("rationale", ""),
                   dict(d.get("juror_grades", {})), d.get("position_consistent"))


@dataclass(slots=True)
class JurorVerdict:
    """One juror: its passes (1, or 2 with the order swapped) and its grade per candidate."""

    spec: str
    status: str  # ok | partial | unscored | error
    passes: int
    grades: dict[str, str | None]  # agent_id -> this juror's grade (passes combined)
    pass_grades: list[dict[str, str | None]] = field(default_factory=list)  # per pass, agent_id -> grade
    rationales: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    attempts: int = 0
    wall_s: float = 0.0
    error: str | None = None
    position_consistency: float | None = None  # share of candidates graded the same in both orders

    @property
    def usable(self) -> bool:
        return self.status != "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "status": self.status,
            "passes": self.passes,
            "cost_usd": self.cost_usd,
            "grades": dict(sorted(self.grades.items())),
            "pass_grades": [dict(sorted(p.items())) for p in self.pass_grades],
            "position_consistency": None if self.position_consistency is None else round(self.position_consistency, 4),
            "usage": self.usage.to_dict(),
            "attempts": self.attempts,
            "wall_s": round(self.wall_s, 3),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JurorVerdict:
        return cls(
            spec=d["spec"], status=d["status"], passes=d.get("passes", 1), grades=dict(d.get("grades", {})),
            pass_grades=[dict(p) for p in d.get("pass_grades", [])], usage=Usage.from_dict(d.get("usage", {})),
            cost_usd=d.get("cost_usd"), attempts=d.get("attempts", 0), wall_s=d.get("wall_s", 0.0),
            error=d.get("error"), position_consistency=d.get("position_consistency"),
        )


@dataclass(slots=True)
class Agreement:
    """How much the jurors agree: Krippendorff's alpha (ordinal), or ``None`` with the reason."""

    metric: str = "krippendorff_alpha_ordinal"
    value: float | None = None
    reason: str | None = None

    LOW = 0.67  # below this, the grades are flagged: the jurors disagree too much to lean on

    @property
    def low(self) -> bool:
        return self.value is not None and self.value < self.LOW

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": None if self.value is None else round(self.value, 4),
                "reason": self.reason, "low": self.low}


@dataclass(slots=True)
class Verdict:
    """The jury's outcome. ``status``: ``ok`` (every candidate graded), ``partial`` (some
    unscored), ``unscored`` (none readable), ``error`` (every juror failed; grades fall back
    to the checks)."""

    judge: str  # the jurors' specs, comma-separated
    status: str
    candidates: dict[str, CandidateGrade]  # agent_id -> the jury's grade
    jurors: list[JurorVerdict] = field(default_factory=list)
    agreement: Agreement = field(default_factory=Agreement)
    position_consistency: float | None = None
    self_preference: list[dict[str, Any]] = field(default_factory=list)  # {"juror", "agent_id", "excluded"}
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    attempts: int = 0
    wall_s: float = 0.0
    error: str | None = None
    seed: str = ""
    created_at: str = ""
    skipped: list[str] = field(default_factory=list)  # agents not sent to the jury (nothing to grade)

    @property
    def usable(self) -> bool:
        return self.status != "error"

    @property
    def failed_jurors(self) -> list[JurorVerdict]:
        return [j for j in self.jurors if not j.usable]

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "status": self.status,
            "jurors": [j.to_dict() for j in self.jurors],
            "agreement": self.agreement.to_dict(),
            "position_consistency": None if self.position_consistency is None else round(self.position_consistency, 4),
            "self_preference": list(self.self_preference),
            "cost_usd": self.cost_usd,
            "candidates": {k: self.candidates[k].to_dict() for k in sorted(self.candidates)},
            "usage": self.usage.to_dict(),
            "attempts": self.attempts,
            "wall_s": round(self.wall_s, 3),
            "error": self.error,
            "seed": self.seed,
            "created_at": self.created_at,
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        candidates = {k: CandidateGrade.from_dict(v) for k, v in d.get("candidates", {}).items()}
        jurors = [JurorVerdict.from_dict(j) for j in d.get("jurors", [])]
        if not jurors:  # a single judge's verdict from before juries
            jurors = [JurorVerdict(d["judge"], d["status"], 1, {k: c.grade for k, c in candidates.items()},
                                   usage=Usage.from_dict(d.get("usage", {})), cost_usd=d.get("cost_usd"),
                                   attempts=d.get("attempts", 0), wall_s=d.get("wall_s", 0.0), error=d.get("error"))]
            for c in candidates.values():
                c.juror_grades = c.juror_grades or {d["judge"]: c.grade}
        a = d.get("agreement") or {}
        return cls(
            judge=d["judge"], status=d["status"], candidates=candidates, jurors=jurors,
            agreement=Agreement(a.get("metric", "krippendorff_alpha_ordinal"), a.get("value"),
                                a.get("reason", "one juror" if len(jurors) == 1 else None)),
            position_consistency=d.get("position_consistency"), self_preference=list(d.get("self_preference", [])),
            usage=Usage.from_dict(d.get("usage", {})), cost_usd=d.get("cost_usd"), attempts=d.get("attempts", 0),
            wall_s=d.get("wall_s", 0.0), error=d.get("error"), seed=d.get("seed", ""),
            created_at=d.get("created_at", ""), skipped=list(d.get("skipped", [])),
        )

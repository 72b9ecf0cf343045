"""What a run produces: per-agent results and the run as a whole (the ``--json`` shape)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nanotui.engine.usage import Usage


@dataclass(slots=True)
class ToolCallRecord:
    call_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    result_size: int = 0
    result_preview: str = ""
    turn: int = 0  # the 1-based turn that asked for it (0 in runs recorded before)

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "name": self.name,
            "arguments": self.arguments,
            "ok": self.ok,
            "result_size": self.result_size,
            "result_preview": self.result_preview,
            "turn": self.turn,
        }


@dataclass(frozen=True, slots=True)
class TimelineSegment:
    """A stretch of an agent's wall time spent one way (see ``nanotui.engine.agent.timeline``).

    ``kind``: queued | waiting | reasoning | streaming | tool | retry. ``turn`` is the 1-based
    turn it belongs to (``None`` for the queue before the start); ``tool`` names the tool of
    a ``tool`` segment. Seconds on the agent's clock, which starts when it was queued."""

    kind: str
    start_s: float
    end_s: float
    turn: int | None = None
    tool: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_s": self.start_s, "end_s": self.end_s, "turn": self.turn, "tool": self.tool}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TimelineSegment:
        return cls(d["kind"], float(d["start_s"]), float(d["end_s"]), d.get("turn"), d.get("tool"))


@dataclass(slots=True)
class CheckResult:
    name: str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(slots=True)
class AgentResult:
    agent_id: str
    model: str  # provider:model
    display_name: str
    status: str = "ok"
    error: str | None = None
    final_answer: str = ""
    turns: int = 0
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    wall_s: float = 0.0
    ttft_s: float | None = None
    files_changed: list[str] = field(default_factory=list)
    retries: int = 0
    retry_wait_s: float = 0.0
    queue_s: float = 0.0  # part of wall_s spent waiting for a provider slot
    stop_reason: str | None = None
    emulated_tools: bool = False
    metrics: dict[str, float] = field(default_factory=dict)  # load_s, gen_tokens_per_s, ...
    checks: list[CheckResult] = field(default_factory=list)
    file_diffs: dict[str, str] = field(default_factory=dict)  # path -> unified diff
    timeline: list[TimelineSegment] = field(default_factory=list)  # [] in runs recorded before

    @property
    def working_s(self) -> float:
        """Wall time less the time spent waiting for a slot and waiting to retry after a
        rate limit or a failed request: the time the model and the tools took."""
        return max(0.0, self.wall_s - self.retry_wait_s - self.queue_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "model": self.model,
            "display_name": self.display_name,
            "status": self.status,
            "error": self.error,
            "final_answer": self.final_answer,
            "turns": self.turns,
            "tool_calls": [t.to_dict() for t in self.tool_calls],
            "usage": self.usage.to_dict(),
            "cost_usd": self.cost_usd,
            "wall_s": round(self.wall_s, 3),
            "working_s": round(self.working_s, 3),
            "ttft_s": None if self.ttft_s is None else round(self.ttft_s, 3),
            "files_changed": list(self.files_changed),
            "retries": self.retries,
            "retry_wait_s": round(self.retry_wait_s, 3),
            "queue_s": round(self.queue_s, 3),
            "stop_reason": self.stop_reason,
            "emulated_tools": self.emulated_tools,
            "metrics": {k: round(v, 3) for k, v in self.metrics.items()},
            "checks": [c.to_dict() for c in self.checks],
            "file_diffs": dict(self.file_diffs),
            "timeline": [t.to_dict() for t in self.timeline],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AgentResult:
        return cls(
            agent_id=d["agent_id"],
            model=d["model"],
            display_name=d.get("display_name", d["model"]),
            status=d["status"],
            error=d.get("error"),
            final_answer=d.get("final_answer", ""),
            turns=d.get("turns", 0),
            tool_calls=[ToolCallRecord(**t) for t in d.get("tool_calls", [])],
            usage=Usage.from_dict(d.get("usage", {})),
            cost_usd=d.get("cost_usd"),
            wall_s=d.get("wall_s", 0.0),
            ttft_s=d.get("ttft_s"),
            files_changed=list(d.get("files_changed", [])),
            retries=d.get("retries", 0),
            retry_wait_s=d.get("retry_wait_s", 0.0),
            queue_s=d.get("queue_s", 0.0),
            stop_reason=d.get("stop_reason"),
            emulated_tools=d.get("emulated_tools", False),
            metrics=dict(d.get("metrics", {})),
            checks=[CheckResult(**c) for c in d.get("checks", [])],
            file_diffs=dict(d.get("file_diffs", {})),
            timeline=[TimelineSegment.from_dict(t) for t in d.get("timeline", [])],
        )


@dataclass(slots=True)
class TaskRef:
    id: str | None
    prompt: str
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "prompt": self.prompt, "title": self.title}


@dataclass(slots=True)
class RunResult:
    run_id: str
    task: TaskRef
    agents: list[AgentResult]
    started_at: str  # ISO 8601 UTC
    finished_at: str | None = None
    interrupted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # judge, grades, versions: added by later stages

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "task": self.task.to_dict(),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "interrupted": self.interrupted,
            "agents": [a.to_dict() for a in self.agents],
            **self.extra,
        }

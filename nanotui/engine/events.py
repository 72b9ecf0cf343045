"""The one stream of typed events: agent loop -> orchestrator -> (store, UI, headless runner).

Every event carries the ``agent_id`` it belongs to and ``at``, the seconds on that agent's
clock when it happened (the clock starts when the agent is queued and runs in the process that
talks to the provider; ``0.0`` in runs recorded before events had times). Events serialise
with :meth:`to_dict` (the store keeps every event, enough to replay a pane and draw its
timeline).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, get_args

from nanotui.engine.results import AgentResult
from nanotui.engine.usage import Usage


@dataclass(slots=True)
class _Event:
    kind: ClassVar[str] = ""
    agent_id: str
    at: float = field(default=0.0, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(slots=True)
class AgentStarted(_Event):
    kind: ClassVar[str] = "agent_started"
    model: str = ""
    display_name: str = ""
    emulated_tools: bool = False


@dataclass(slots=True)
class AgentQueued(_Event):
    """The agent waits for a slot of its provider (sent only when it cannot start at once)."""

    kind: ClassVar[str] = "agent_queued"
    model: str = ""
    display_name: str = ""
    reason: str = ""  # e.g. "Ollama at 127.0.0.1:11434 runs 1 at a time"


@dataclass(slots=True)
class RequestStarted(_Event):
    """A request for ``turn`` goes to the model (after ``queued_s`` waiting for a slot between
    turns; ``attempt`` counts retries of the same turn from 1)."""

    kind: ClassVar[str] = "request_started"
    turn: int = 0
    attempt: int = 1
    queued_s: float = 0.0


@dataclass(slots=True)
class ResponseStarted(_Event):
    """The first token (text, reasoning or tool-call arguments) of a request arrived."""

    kind: ClassVar[str] = "response_started"
    turn: int = 0


@dataclass(slots=True)
class TextDelta(_Event):
    kind: ClassVar[str] = "text_delta"
    text: str = ""


@dataclass(slots=True)
class ReasoningDelta(_Event):
    kind: ClassVar[str] = "reasoning_delta"
    text: str = ""


@dataclass(slots=True)
class ToolCallStarted(_Event):
    kind: ClassVar[str] = "tool_call_started"
    call_id: str = ""
    name: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str = ""


@dataclass(slots=True)
class ToolCallFinished(_Event):
    kind: ClassVar[str] = "tool_call_finished"
    call_id: str = ""
    name: str = ""
    ok: bool = True
    result: str = ""
    result_size: int = 0


@dataclass(slots=True)
class TurnFinished(_Event):
    kind: ClassVar[str] = "turn_finished"
    turn: int = 0
    usage: Usage = field(default_factory=Usage)  # this turn's usage
    total_usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None  # running total for the agent
    stop_reason: str = "end"


@dataclass(slots=True)
class RetryScheduled(_Event):
    kind: ClassVar[str] = "retry_scheduled"
    attempt: int = 0
    wait_s: float = 0.0
    reason: str = ""


@dataclass(slots=True)
class AgentFinished(_Event):
    kind: ClassVar[str] = "agent_finished"
    result: AgentResult | None = None

    def to_dict(self) -> dict[str, Any]:
        result = self.result.to_dict() if self.result else None
        return {"kind": self.kind, "agent_id": self.agent_id, "at": self.at, "result": result}


Event = (
    AgentQueued
    | AgentStarted
    | RequestStarted
    | ResponseStarted
    | TextDelta
    | ReasoningDelta
    | ToolCallStarted
    | ToolCallFinished
    | TurnFinished
    | RetryScheduled
    | AgentFinished
)

# kind -> event class, for reading stored events back (every member of the union above).
EVENT_TYPES: dict[str, type[Event]] = {cls.kind: cls for cls in get_args(Event)}

Sink = Callable[[Event], None]


def fan_out(*sinks: Sink | None) -> Sink:
    """One sink that hands every event to each of ``sinks`` in order (``None`` skipped)."""
    chain = tuple(s for s in sinks if s is not None)

    def sink(event: Event) -> None:
        for s in chain:
            s(event)

    return sink

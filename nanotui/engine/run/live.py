"""Live per-agent state folded from the event stream; the headless progress view and the
TUI panes both read it, so nothing is recomputed differently for display."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from nanotui.engine import events as ev
from nanotui.engine.events import Event
from nanotui.engine.results import AgentResult
from nanotui.engine.usage import Usage


@dataclass
class LiveAgent:
    agent_id: str
    model: str
    display_name: str
    status: str = "queued"  # queued | thinking | calling tool | retrying | <final status>
    started_at: float | None = None
    queued_at: float | None = None  # set when it had to wait for a slot
    queue_reason: str | None = None  # why it waits ("Ollama at ... runs 1 at a time"); None once started
    finished_wall_s: float | None = None
    turns: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    text_chars: int = 0
    retries: int = 0
    emulated_tools: bool = False
    error: str | None = None
    result: AgentResult | None = None

    @property
    def done(self) -> bool:
        return self.result is not None

    def elapsed(self, now: float | None = None) -> float:
        if self.finished_wall_s is not None:
            return self.finished_wall_s
        # Counted from the queue, like the result's wall time (docs/grading.md).
        since = self.queued_at if self.queued_at is not None else self.started_at
        if since is None:
            return 0.0
        return (now if now is not None else time.monotonic()) - since


class LiveBoard:
    def __init__(self) -> None:
        self.agents: dict[str, LiveAgent] = {}

    def add(self, agent_id: str, model: str, display_name: str) -> None:
        self.agents[agent_id] = LiveAgent(agent_id, model, display_name)

    def apply(self, event: Event) -> LiveAgent | None:
        a = self.agents.get(event.agent_id)
        if a is None:
            if not isinstance(event, ev.AgentStarted | ev.AgentQueued):
                return None
            a = self.agents[event.agent_id] = LiveAgent(event.agent_id, event.model, event.display_name)
        match event:
            case ev.AgentQueued():
                a.status = "queued"
                a.queued_at = time.monotonic()
                a.queue_reason = event.reason
            case ev.AgentStarted():
                a.status = "thinking"
                a.queue_reason = None
                a.started_at = time.monotonic()
                a.emulated_tools = event.emulated_tools
            case ev.TextDelta():
                a.status = "thinking"
                a.text_chars += len(event.text)
            case ev.ReasoningDelta():
                a.status = "thinking"
            case ev.ToolCallStarted():
                a.status = "calling tool"
                a.tool_calls += 1
            case ev.ToolCallFinished():
                a.status = "thinking"
                if not event.ok:
                    a.tool_errors += 1
            case ev.TurnFinished():
                a.turns = event.turn
                a.usage = event.total_usage
                a.cost_usd = event.cost_usd
            case ev.RetryScheduled():
                a.status = "retrying"
                a.retries += 1
            case ev.AgentFinished():
                r = event.result
                if r is not None:
                    a.result = r
                    a.status = r.status
                    a.error = r.error
                    a.finished_wall_s = r.wall_s
                    a.usage = r.usage
                    a.cost_usd = r.cost_usd
                    a.turns = r.turns
        return a

    @property
    def all_done(self) -> bool:
        return all(a.done for a in self.agents.values())

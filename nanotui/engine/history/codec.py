"""How task keys, values and events become the (redacted) JSON the history stores, and back."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nanotui.engine.events import (
    AgentFinished,
    AgentQueued,
    AgentStarted,
    Event,
    ReasoningDelta,
    RetryScheduled,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from nanotui.engine.results import AgentResult, TaskRef
from nanotui.engine.secrets import redact
from nanotui.engine.usage import Usage

EVENT_TYPES: dict[str, type] = {
    cls.kind: cls
    for cls in (AgentQueued, AgentStarted, TextDelta, ReasoningDelta, ToolCallStarted, ToolCallFinished, TurnFinished,
                RetryScheduled, AgentFinished)
}


def task_key(task: TaskRef) -> str:
    """Runs of the same task share a key; ad-hoc prompts are keyed by their text."""
    if task.id:
        return task.id
    return "prompt:" + hashlib.sha256(task.prompt.encode("utf-8")).hexdigest()[:16]


def scrub(value: Any) -> Any:
    """``value`` with :func:`redact` applied to every string in it, keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(scrub(value), ensure_ascii=False, separators=(",", ":"))


def event_from_dict(data: dict[str, Any], result: AgentResult | None = None) -> Event:
    data = dict(data)
    cls = EVENT_TYPES[data.pop("kind")]
    if cls is TurnFinished:
        data["usage"] = Usage.from_dict(data.get("usage", {}))
        data["total_usage"] = Usage.from_dict(data.get("total_usage", {}))
    if cls is AgentFinished:
        return AgentFinished(data["agent_id"], result)
    return cls(**data)


def event_data(event: Event) -> dict[str, Any]:
    if isinstance(event, AgentFinished):
        # The result itself lives in the agents table; do not store it twice.
        status = event.result.status if event.result is not None else None
        return {"kind": event.kind, "agent_id": event.agent_id, "status": status}
    return event.to_dict()

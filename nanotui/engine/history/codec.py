"""How task keys, values and events become the (redacted) JSON the history stores, and back."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nanotui.engine.events import EVENT_TYPES, AgentFinished, Event, TurnFinished
from nanotui.engine.results import AgentResult, TaskRef
from nanotui.engine.secrets import scrub
from nanotui.engine.text import safe_text
from nanotui.engine.usage import Usage


def task_key(task: TaskRef) -> str:
    """Runs of the same task share a key; ad-hoc prompts are keyed by their text."""
    if task.id:
        return task.id
    return "prompt:" + hashlib.sha256(task.prompt.encode("utf-8")).hexdigest()[:16]


def dumps(value: Any) -> str:
    """Redacted JSON that SQLite can always store (text that slipped past the agent loop
    with a lone surrogate is made safe here rather than failing the write)."""
    return safe_text(json.dumps(scrub(value), ensure_ascii=False, separators=(",", ":")))


def event_from_dict(data: dict[str, Any], result: AgentResult | None = None) -> Event:
    data = dict(data)
    cls = EVENT_TYPES[data.pop("kind")]
    if cls is TurnFinished:
        data["usage"] = Usage.from_dict(data.get("usage", {}))
        data["total_usage"] = Usage.from_dict(data.get("total_usage", {}))
    if cls is AgentFinished:
        return AgentFinished(data["agent_id"], result, at=data.get("at", 0.0))
    event: Event = cls(**data)
    return event


def event_data(event: Event) -> dict[str, Any]:
    if isinstance(event, AgentFinished):
        # The result itself lives in the agents table; do not store it twice.
        status = event.result.status if event.result is not None else None
        return {"kind": event.kind, "agent_id": event.agent_id, "at": round(event.at, 6), "status": status}
    data = event.to_dict()
    data["at"] = round(event.at, 6)
    return data

"""What a provider yields for one model turn; the agent loop turns these into events."""

from __future__ import annotations

from dataclasses import dataclass, field

from nanotui.engine.agent.transcript import AssistantMessage
from nanotui.engine.usage import Usage


@dataclass(slots=True)
class StreamText:
    text: str


@dataclass(slots=True)
class StreamReasoning:
    text: str


@dataclass(slots=True)
class StreamToolCallDelta:
    """A fragment of a tool call while it streams (name first, then argument pieces)."""

    index: int
    name: str | None = None
    arguments_delta: str = ""


@dataclass(slots=True)
class StreamTurnEnd:
    """The whole assistant message of the turn, its usage and why it stopped.

    ``stop_reason`` is normalised to one of: ``end``, ``tool_use``, ``max_tokens``,
    ``refusal``, ``other``. ``metrics`` carries provider-measured figures such as
    ``load_s``, ``prompt_tokens_per_s``, ``gen_tokens_per_s``.
    """

    message: AssistantMessage
    usage: Usage
    stop_reason: str = "end"
    metrics: dict[str, float] = field(default_factory=dict)


StreamEvent = StreamText | StreamReasoning | StreamToolCallDelta | StreamTurnEnd

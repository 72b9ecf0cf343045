"""The neutral conversation every provider translates to and from its wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ToolCall:
    """A tool call as the model asked for it.

    ``arguments`` is ``None`` when ``raw_arguments`` was not a JSON object; the agent
    loop then answers the model with an error result instead of running the tool.
    """

    id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None = None


@dataclass(slots=True)
class UserMessage:
    text: str


@dataclass(slots=True)
class AssistantMessage:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: str = ""
    # Opaque, provider-specific items replayed verbatim on the next turn
    # (e.g. OpenAI Responses reasoning items, Anthropic thinking blocks).
    provider_items: Any = None


@dataclass(slots=True)
class ToolResultMessage:
    call_id: str
    name: str
    content: str
    is_error: bool = False


Message = UserMessage | AssistantMessage | ToolResultMessage


def parse_arguments(raw: str) -> dict[str, Any] | None:
    """Arguments as a dict, or ``None`` when ``raw`` is not a JSON object."""
    import json

    if raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
